import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findChromium, launchChromium, npmChromium, SYSTEM_CHROMIUM, type ChromiumChoice } from './browser.ts';

/** The browser the e2e tests drive: found without apt, and a clear failure when it cannot start. */

async function renders(choice?: ChromiumChoice): Promise<{ text: string; source: string; env: Record<string, string> }> {
  const chromium = await launchChromium(choice);
  try {
    const page = await chromium.browser.newPage();
    await page.setContent('<p id="out"></p><script>document.getElementById("out").textContent = String(6 * 7)</script>');
    return { text: (await page.textContent('#out')) ?? '', source: chromium.choice.source, env: chromium.choice.env };
  } finally {
    await chromium.close();
  }
}

describe('Chromium for the browser tests', () => {
  it('prefers CHROMIUM_PATH, then the system Chromium, then the one npm delivers', async () => {
    const chosen = await findChromium({ ...process.env, CHROMIUM_PATH: '' });
    expect(chosen.source).toBe(existsSync(SYSTEM_CHROMIUM) ? 'system' : '@sparticuz/chromium');
    expect(await findChromium({ CHROMIUM_PATH: process.execPath })).toEqual({ path: process.execPath, source: 'CHROMIUM_PATH', env: {} });
  });

  it('starts the one it finds and runs a page script', async () => {
    expect((await renders()).text).toBe('42');
  }, 60_000);

  it('starts the npm-delivered headless shell on the libraries it ships, whatever the system has', async () => {
    const result = await renders(await npmChromium());
    expect(result).toMatchObject({ text: '42', source: '@sparticuz/chromium' });
    expect(existsSync(`${result.env.LD_LIBRARY_PATH}/libnss3.so`)).toBe(true);
  }, 60_000);

  it('names CHROMIUM_PATH and the fix when it points nowhere', async () => {
    await expect(launchChromium(findChromium({ CHROMIUM_PATH: '/nonexistent/chromium' }))).rejects.toThrow(
      /CHROMIUM_PATH is \/nonexistent\/chromium, which does not exist\. Fix: run `npm ci`.*apt-get install chromium.*CHROMIUM_PATH/,
    );
  });

  it('names the binary and the fix when it is not a browser', async () => {
    await expect(launchChromium(findChromium({ CHROMIUM_PATH: '/bin/false' }))).rejects.toThrow(/Chromium from CHROMIUM_PATH \(\/bin\/false\) did not start: [\s\S]*Fix: run `npm ci`/);
  }, 60_000);
});
