import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Debian Chromium (never downloaded). playwright's launch() already gives every browser a
 * fresh temporary profile directory (it refuses --user-data-dir), so nothing leaks between runs.
 */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return { browser, close: () => browser.close() };
}
