import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureUiBuild } from '../../workbench/build.ts';
import { launchChromium } from './browser.ts';
import { startTestWorkbench, TOKEN, type TestWorkbench } from './helpers.ts';

/** The workbench in a real browser: the path a user takes, from login to a shared report. */

let wb: TestWorkbench;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;
const cspViolations: string[] = [];

beforeAll(async () => {
  await ensureUiBuild();
  [wb, chromium] = await Promise.all([startTestWorkbench(), launchChromium()]);
  browser = chromium.browser;
}, 120_000);
afterAll(async () => {
  await chromium?.close();
  await wb?.stop();
});

function watch(page: Page): void {
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => cspViolations.push(`page error: ${e.message}`));
}

describe('workbench in Chromium', () => {
  it('logs in, creates a notebook, runs cells with streamed output and a Plot, saves, reloads, shares read-only', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watch(page);
    page.setDefaultTimeout(60_000);

    await page.goto(`${wb.url}/`);
    await expect.poll(() => page.url()).toContain('/login');
    await page.getByLabel('Access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'New notebook' }).click();
    await page.waitForURL(/\/notebooks\/Untitled\.ipynb$/);
    await page.locator('[data-ready="true"]').waitFor();

    // Type a cell that streams two lines a second apart, then draws a Plot.
    await page.locator('.cell .editor-host').first().click();
    await page.locator('.cell .monaco-editor').first().waitFor();
    await page.keyboard.insertText(
      'console.log("first line");\nawait new Promise((r) => setTimeout(r, 1500));\nconsole.log("second line");\nPlot.dot([{ x: 1, y: 2 }, { x: 2, y: 3 }], { x: "x", y: "y" }).plot()',
    );
    // Streamed: the first line shows while the cell is still running, before the second line exists. Watched in the
    // page as the DOM changes, so a slow test process (a loaded machine) cannot look only after the second line.
    await page.evaluate(() => {
      const w = window as unknown as { sawStreamed?: boolean };
      w.sawStreamed = false;
      new MutationObserver(() => {
        const cell = document.querySelector('.cell');
        const text = cell?.querySelector('.out.stream') ? cell.textContent! : '';
        if (cell?.classList.contains('running') && text.includes('first line') && !text.includes('second line')) w.sawStreamed = true;
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.keyboard.press('Shift+Enter');
    const firstCell = page.locator('.cell').first();
    await firstCell.locator('.out.stream', { hasText: 'first line' }).waitFor();
    await firstCell.locator('.out.stream', { hasText: 'second line' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { sawStreamed?: boolean }).sawStreamed)).toBe(true);
    await firstCell.locator('.out svg').waitFor();
    await expect.poll(() => firstCell.locator('.count').innerText()).toBe('[1]');
    expect((await firstCell.locator('.out.stream').innerText()).trim()).toBe('first line\nsecond line');
    expect(await firstCell.locator('.time').innerText()).toMatch(/✓ \d/);
    expect(await page.getByRole('status', { name: 'Kernel status: idle' }).count()).toBe(1);

    // Shift+Enter on the last cell added a new one in edit mode: a type error shows as a marker, yet runs.
    await page.locator('.cell').nth(1).locator('.monaco-editor').waitFor();
    await page.keyboard.insertText('const n: number = "text"; n');
    await page.locator('.cell').nth(1).locator('.squiggly-error').waitFor({ timeout: 90_000 });
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.cell').nth(1).locator('.out').innerText()).toContain('text');

    // Markdown via command mode: Esc, B inserts below, M makes it markdown.
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await page.keyboard.press('m');
    await page.keyboard.press('Enter');
    await page.locator('.cell').nth(2).locator('.monaco-editor').waitFor();
    await page.keyboard.insertText('## Findings\n\nAll **good**.');
    await page.keyboard.press('Shift+Enter');
    await page.locator('.cell.markdown h2', { hasText: 'Findings' }).waitFor();

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('.save-state').innerText()).toBe('Saved');
    const saved = JSON.parse(await readFile(join(wb.dir, 'Untitled.ipynb'), 'utf8'));
    expect(saved.cells.map((c: { cell_type: string }) => c.cell_type)).toEqual(['code', 'code', 'markdown', 'code']);
    expect(saved.cells[0].execution_count).toBe(1);

    // Reload: source, outputs (the SVG) and execution counts are kept.
    await page.reload();
    await page.locator('[data-ready="true"]').waitFor();
    await expect.poll(() => page.locator('.cell').count()).toBe(4);
    expect(await page.locator('.cell').first().locator('.out svg').count()).toBe(1);
    expect(await page.locator('.cell').first().locator('.count').innerText()).toBe('[1]');
    expect(await page.locator('.cell').first().innerText()).toContain('second line');

    // Share: the link opens, in a fresh context without the session, a read-only report.
    await page.getByRole('button', { name: 'Share' }).click();
    const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
    expect(link).toMatch(/\/share\//);
    const anonymous = await browser.newContext();
    const report = await anonymous.newPage();
    watch(report);
    await report.goto(link);
    await report.locator('h1', { hasText: 'Untitled' }).waitFor();
    expect(await report.locator('h2', { hasText: 'Findings' }).count()).toBe(1);
    expect(await report.locator('.out svg').count()).toBe(1);
    expect(await report.locator('pre.out.stream', { hasText: 'second line' }).count()).toBe(1);
    expect(await report.locator('button, input, textarea, [contenteditable], script').count()).toBe(0);
    // The same fresh context cannot reach the app or the API.
    await report.goto(`${wb.url}/notebooks/Untitled.ipynb`);
    expect(report.url()).toContain('/login');
    expect((await anonymous.request.get(`${wb.url}/api/notebooks`)).status()).toBe(401);
    await anonymous.close();
    await context.close();

    expect(cspViolations).toEqual([]);
  }, 240_000);

  it('completes the kernel globals from their generated .d.ts', async () => {
    await wb.store.create('complete.ipynb');
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(90_000);
    await page.request.post(`${wb.url}/login`, { form: { token: TOKEN, next: '/' }, headers: { origin: wb.url }, maxRedirects: 0 });
    await page.goto(`${wb.url}/notebooks/complete.ipynb`);
    await page.locator('[data-ready="true"]').waitFor();
    await page.locator('.cell .editor-host').first().click();
    await page.locator('.cell .monaco-editor').first().waitFor();
    await page.keyboard.insertText('Plot.');
    await page.keyboard.press('Control+Space');
    const suggestions = page.locator('.suggest-widget.visible .monaco-list-row');
    await suggestions.filter({ hasText: 'legend' }).first().waitFor();
    expect(await suggestions.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/^plot/)]));
    await context.close();
  }, 120_000);

  it('shows a conflict banner instead of overwriting a notebook changed elsewhere', async () => {
    const created = await wb.store.create('conflict.ipynb');
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.request.post(`${wb.url}/login`, { form: { token: TOKEN, next: '/' }, headers: { origin: wb.url }, maxRedirects: 0 });
    await page.goto(`${wb.url}/notebooks/conflict.ipynb`);
    await page.locator('[data-ready="true"]').waitFor();
    // Someone else saves first.
    await wb.store.save('conflict.ipynb', { ...created.notebook, metadata: { ...created.notebook.metadata, other: true } }, created.version);
    const theirs = await readFile(join(wb.dir, 'conflict.ipynb'), 'utf8');
    await page.locator('.cell .editor-host').first().click();
    await page.locator('.cell .monaco-editor').first().waitFor();
    await page.keyboard.insertText('mine()');
    await page.getByRole('alert').filter({ hasText: 'changed on disk' }).waitFor();
    expect(await page.locator('.save-state').innerText()).toBe('Not saved: conflict');
    expect(await readFile(join(wb.dir, 'conflict.ipynb'), 'utf8')).toBe(theirs);
    await context.close();
  }, 120_000);
});
