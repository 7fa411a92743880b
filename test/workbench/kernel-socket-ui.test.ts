import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyNotebook, serialiseNotebook } from '../../notebook/format.ts';
import { ensureUiBuild } from '../../workbench/build.ts';
import { launchChromium } from './browser.ts';
import { startTestWorkbench, TOKEN, type TestWorkbench } from './helpers.ts';

/** Run all on a notebook with a cell over the message limit: the UI answers that cell itself, and sends the rest. */

let wb: TestWorkbench;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;

beforeAll(async () => {
  await ensureUiBuild();
  [wb, chromium] = await Promise.all([startTestWorkbench({ maxMessageBytes: 1024 * 1024 }), launchChromium()]);
  browser = chromium.browser;
}, 180_000);
afterAll(async () => {
  await chromium?.close();
  await wb?.stop();
});

describe('a cell over the kernel message limit, in Chromium', () => {
  it('shows "cell too large" in that cell instead of sending it, runs the other cells, and keeps the connection', async () => {
    const cell = (id: string, source: string) => ({ id, cell_type: 'code' as const, source, metadata: {}, execution_count: null, outputs: [] });
    const notebook = { ...emptyNotebook(), cells: [cell('small', '1 + 1'), cell('huge', `// ${'x'.repeat(1.5 * 1024 * 1024)}\n2`), cell('after', "['still', 'connected'].join(' ')")] };
    await writeFile(join(wb.dir, 'huge.ipynb'), serialiseNotebook(notebook));

    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(60_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.request.post(`${wb.url}/login`, { form: { token: TOKEN, next: '/' }, headers: { origin: wb.url }, maxRedirects: 0 });
    await page.goto(`${wb.url}/notebooks/huge.ipynb`);
    await page.locator('[data-ready="true"]').waitFor();
    await page.getByRole('button', { name: 'Run all' }).click();

    const cells = page.locator('.cell');
    await expect.poll(() => cells.nth(1).locator('.out.error').textContent(), { timeout: 30_000 }).toContain('cell too large: 1.5 MB, limit 1 MB');
    await expect.poll(() => cells.nth(2).locator('.out').first().textContent(), { timeout: 60_000 }).toContain('still connected');
    await expect.poll(() => cells.nth(0).locator('.out').first().textContent()).toContain('2');
    // The big cell never reached the server: two executions, and the socket was never closed for size.
    await expect.poll(() => cells.nth(2).locator('.count').innerText()).toBe('[2]');
    expect(await page.locator('.toast.error').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 180_000);
});
