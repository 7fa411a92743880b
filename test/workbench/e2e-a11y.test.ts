import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialiseNotebook } from '../../notebook/format.ts';
import { axeViolations, codeCell, loggedInPage, markdownCell, notebookOf, openNotebook, press, startBrowserSession, type BrowserSession } from './browser-session.ts';

/**
 * Accessibility in Chromium: axe-core finds nothing on the list, notebook (light and dark, with a real Plot,
 * dialogs open) and share pages; the theme follows the system and the toggle; the keyboard reaches every action.
 */

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession();
  const wide = `<table><tr>${Array.from({ length: 30 }, (_, i) => `<th>column ${i}</th>`).join('')}</tr><tr>${Array.from({ length: 30 }, (_, i) => `<td>value ${i}</td>`).join('')}</tr></table>`;
  await session.wb.store.create(
    'report.ipynb',
    notebookOf(
      markdownCell('m1', '# Who assumed roles\n\nA *short* report with a [link](https://example.com).'),
      codeCell('c1', 'console.log("streamed")', [{ output_type: 'stream', name: 'stdout', text: 'streamed\n' }]),
      codeCell('c2', 'table', [{ output_type: 'display_data', data: { 'text/html': wide, 'text/plain': 'table' }, metadata: {} }]),
      codeCell('c3', 'throw new Error("boom")', [{ output_type: 'error', ename: 'Error', evalue: 'boom', traceback: ['Error: boom', '    at cell 4'] }]),
      codeCell('plot', 'Plot.plot({ marks: [Plot.dot([{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }], { x: "x", y: "y", tip: true }), Plot.ruleY([0])] })'),
    ),
  );
}, 180_000);
afterAll(() => session?.close());

/** Runs the Plot cell, so the page holds the SVG Plot really makes (its aria-labels included). */
async function runPlot(page: Page): Promise<void> {
  await page.locator('.cell').nth(4).locator('.gutter').click();
  await press(page, 'Control+Enter');
  await page.locator('.cell').nth(4).locator('.out svg').first().waitFor({ timeout: 120_000 });
}

describe('accessibility in Chromium', () => {
  it('axe finds no violations on the notebook page, light and dark, with the palette and the key help open', async () => {
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'report.ipynb');
    await runPlot(page);
    await page.locator('.cell').nth(2).locator('.gutter').click(); // the cell toolbar on a cell with a wide output
    await expect.poll(() => page.locator('.cell').nth(2).locator('.outputs').getAttribute('tabindex')).toBe('0');
    expect(await axeViolations(page)).toEqual([]);

    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await axeViolations(page)).toEqual([]);

    await press(page, 'h');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await press(page, 'Escape');
    await press(page, 'Control+Shift+C');
    await page.getByRole('combobox', { name: 'Search commands' }).fill('run');
    expect(await axeViolations(page)).toEqual([]);
    await press(page, 'Escape');
    await page.locator('.cell').nth(0).locator('.gutter').click();
    await press(page, '0', '0');
    await page.getByRole('dialog', { name: 'Restart the kernel?' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await press(page, 'Escape');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('axe finds no violations on the share page of that notebook, nor on the list page with folders, a broken notebook and skipped entries', async () => {
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'report.ipynb');
    await runPlot(page);
    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
    expect(await axeViolations(page)).toEqual([]); // the share panel itself
    const anonymous = await session.browser.newContext();
    const report = await anonymous.newPage();
    await report.goto(link);
    await report.locator('.out svg').first().waitFor();
    expect(await axeViolations(report)).toEqual([]);
    await anonymous.close();

    await mkdir(join(session.wb.dir, 'team', 'archive'), { recursive: true });
    await writeFile(join(session.wb.dir, 'team', 'broken.ipynb'), '{ "nbformat": 4, "cells": [');
    await writeFile(join(session.wb.dir, 'team', 'bad:name.ipynb'), serialiseNotebook(notebookOf()));
    await page.goto(`${session.wb.url}/`);
    await page.locator('.notebook-list tbody tr').first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.goto(`${session.wb.url}/tree/team`);
    await page.locator('tr.invalid').waitFor();
    await page.locator('.skipped summary').click();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Delete folder archive' }).click();
    await page.getByRole('dialog', { name: 'Delete folder archive?' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await press(page, 'Escape');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);

  it('follows the system theme until toggled, remembers the choice, and the editor follows', async () => {
    const { page, errors } = await loggedInPage(session, { colorScheme: 'dark' });
    await openNotebook(page, session, 'report.ipynb');
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    const editorTheme = () => page.locator('.cell').nth(1).locator('.monaco-editor').getAttribute('class');
    expect(await theme()).toBe('dark');
    await page.locator('.cell').nth(1).locator('.monaco-editor').waitFor();
    expect(await editorTheme()).toContain('vs-dark');
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await background()).toBe('rgb(13, 17, 23)');

    const toggle = page.getByRole('button', { name: 'Dark theme' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await toggle.click();
    expect(await theme()).toBe('light');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await expect.poll(editorTheme).not.toContain('vs-dark');
    expect(await background()).toBe('rgb(246, 248, 250)');

    // Remembered over the system's preference, on reload and on the list page.
    await page.reload();
    await page.locator('.notebook-page[data-ready="true"]').waitFor();
    expect(await theme()).toBe('light');
    await page.goto(`${session.wb.url}/`);
    await page.locator('.notebook-list').waitFor();
    expect(await theme()).toBe('light');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.goto(`${session.wb.url}/notebooks/report.ipynb`);
    await page.locator('.notebook-page[data-ready="true"]').waitFor();
    expect(await theme()).toBe('dark');
    await page.locator('.cell').nth(1).locator('.monaco-editor').waitFor();
    expect(await editorTheme()).toContain('vs-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it('reaches every action from the keyboard: Tab finds every toolbar button, the palette every command, and the list page works without a mouse', async () => {
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'report.ipynb');
    await page.locator('.cell').nth(1).locator('.gutter').click();
    const ids = await page.evaluate(() => (window as unknown as { trailbook: { registry: { ids(): string[] } } }).trailbook.registry.ids());
    const buttons = await page.locator('button[data-command]').evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset.command!));
    // Tab from the top of the page: every toolbar button (and the cell toolbar) takes the focus in turn.
    await page.locator('a.brand').focus();
    const reached = new Set<string>();
    for (let i = 0; i < 80 && reached.size < new Set(buttons).size; i++) {
      await press(page, 'Tab');
      const command = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.command);
      if (command) reached.add(command);
    }
    expect([...reached].sort()).toEqual([...new Set(buttons)].sort());

    // The palette lists every command; running one from it needs no mouse.
    await page.locator('.cell').nth(0).locator('.gutter').click();
    await press(page, 'Control+Shift+C');
    expect(await page.getByRole('option').evaluateAll((os) => os.map((o) => (o as HTMLElement).dataset.command))).toEqual(ids);
    await page.keyboard.type('clear outputs of all');
    await press(page, 'Enter');
    await expect.poll(() => page.locator('.out').count()).toBe(0);

    // The list page by keyboard alone: Tab to New folder, name it, Enter.
    await page.goto(`${session.wb.url}/`);
    await page.locator('.notebook-list').waitFor();
    for (let i = 0; i < 20; i++) {
      await press(page, 'Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'New folder') break;
    }
    await press(page, 'Enter');
    await page.keyboard.type('by-keyboard');
    await press(page, 'Enter');
    await page.locator('tr[data-folder="by-keyboard"]').waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);
});
