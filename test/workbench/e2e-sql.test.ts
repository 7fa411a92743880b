import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { ensureUiBuild } from '../../workbench/build.ts';
import { launchChromium } from './browser.ts';
import { startTestWorkbench, TOKEN, type TestWorkbench } from './helpers.ts';

/** %%sql cells in the workbench editor: SQL highlighting, table and column completion, the bound variable typed in later cells. */

let wb: TestWorkbench;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;
let cache: string;
const savedCache = process.env.TRAILBOOK_CACHE_DIR;

beforeAll(async () => {
  // The kernel builds its DuckDB table here, never in the project's .cache.
  cache = await mkdtemp(join(tmpdir(), 'trailbook-e2e-sql-'));
  process.env.TRAILBOOK_CACHE_DIR = cache;
  await ensureUiBuild();
  [wb, chromium] = await Promise.all([startTestWorkbench(), launchChromium()]);
  browser = chromium.browser;
}, 120_000);
afterAll(async () => {
  await chromium?.close();
  await wb?.stop();
  if (savedCache === undefined) delete process.env.TRAILBOOK_CACHE_DIR;
  else process.env.TRAILBOOK_CACHE_DIR = savedCache;
  await rm(cache, { recursive: true, force: true });
});

const suggestionsAfter = async (page: Page, text: string) => {
  await page.keyboard.insertText(text);
  await page.keyboard.press('Control+Space');
  const rows = page.locator('.suggest-widget.visible .monaco-list-row');
  await rows.first().waitFor();
  return rows;
};

/** Moves the mouse to the middle of the first `word` in a cell's rendered lines (tokens share spans with spaces). */
async function hoverWord(page: Page, cell: Locator, word: string): Promise<void> {
  const box = await cell.locator('.view-lines').evaluate((lines, w) => {
    const walker = document.createTreeWalker(lines, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent!.search(new RegExp(`\\b${w}\\b`));
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + w.length);
      const r = range.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    }
    return undefined;
  }, word);
  if (!box) throw new Error(`${word} is not in the cell`);
  await page.mouse.move(box.x, box.y);
}

describe('%%sql cells in the workbench', () => {
  it('highlight as SQL, complete the table, columns and struct fields, run, and type their variable in later cells', async () => {
    await wb.store.create('sql.ipynb');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(90_000);
    await page.request.post(`${wb.url}/login`, { form: { token: TOKEN, next: '/' }, headers: { origin: wb.url }, maxRedirects: 0 });
    await page.goto(`${wb.url}/notebooks/sql.ipynb`);
    await page.locator('[data-ready="true"]').waitFor();

    const first = page.locator('.cell').nth(0);
    await first.locator('.editor-host').click();
    await first.locator('.monaco-editor').waitFor();
    expect(await first.locator('.editor-host').getAttribute('data-mode-id')).toBe('typescript');
    await page.keyboard.insertText('%%sql busiest <<\nSELECT eventname, count(*) AS n FROM cloudtrail GROUP BY 1 ORDER BY n DESC, eventname LIMIT 3');
    await expect.poll(() => first.locator('.editor-host').getAttribute('data-mode-id')).toBe('sql');
    // SQL keywords get the SQL grammar's token colours, not TypeScript's identifiers.
    expect(await first.locator('.view-line span span').filter({ hasText: /^SELECT$/ }).first().getAttribute('class')).not.toBe(
      await first.locator('.view-line span span').filter({ hasText: /^eventname$/ }).first().getAttribute('class'),
    );
    await page.keyboard.press('Shift+Enter');
    await first.locator('.outputs table th', { hasText: 'eventname' }).waitFor();
    expect(await first.locator('.outputs table tbody tr').count()).toBe(3);

    // The next cell is TypeScript again and knows `busiest` as the rows of a SQL query.
    const second = page.locator('.cell').nth(1);
    await second.locator('.monaco-editor').waitFor();
    const members = await suggestionsAfter(page, 'busiest.trunc');
    // Only SqlRows has `truncated` (an array does not): the variable is declared with the query's type.
    await expect.poll(() => members.allInnerTexts()).toEqual([expect.stringMatching(/^truncated/)]);
    expect(await second.locator('.editor-host').getAttribute('data-mode-id')).toBe('typescript');
    await page.keyboard.press('Enter');
    await page.keyboard.insertText(' === false && busiest.length');
    await page.keyboard.press('Shift+Enter');
    await second.locator('.outputs', { hasText: '3' }).waitFor();

    // Completion in a SQL cell: the fields of useridentity, then the table name.
    const third = page.locator('.cell').nth(2);
    await third.locator('.monaco-editor').waitFor();
    await page.keyboard.insertText('%%sql\n');
    const fields = await suggestionsAfter(page, 'SELECT useridentity.ar');
    await expect.poll(() => fields.allInnerTexts()).toEqual([expect.stringMatching(/^arn/)]);
    await page.keyboard.press('Enter');
    const tables = await suggestionsAfter(page, ' FROM cloud');
    await expect.poll(() => tables.allInnerTexts()).toEqual([expect.stringMatching(/^cloudtrail/)]);
    await page.keyboard.press('Enter');
    // Monaco renders spaces as no-break spaces.
    await expect.poll(async () => (await third.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ')).toMatch(/SELECT useridentity\.arn FROM cloudtrail/);
    // Hover over a column: its type and doc.
    await hoverWord(page, third, 'cloudtrail');
    await page.locator('.monaco-hover', { hasText: 'CloudTrail events' }).first().waitFor();
    await page.mouse.move(0, 0);
    await hoverWord(page, first, 'eventname');
    await page.locator('.monaco-hover', { hasText: 'eventname column: STRING' }).first().waitFor();
    await context.close();
  }, 240_000);
});
