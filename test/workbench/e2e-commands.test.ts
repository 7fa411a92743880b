import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCell, loggedInPage, markdownCell, notebookOf, openNotebook, press, sources, startBrowserSession, type BrowserSession } from './browser-session.ts';

/** JupyterLab's command mode in Chromium: the keys, the cell toolbar, the palette and the key help, all from one registry. */

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession();
}, 180_000);
afterAll(() => session?.close());

const five = () => notebookOf(...[0, 1, 2, 3, 4].map((i) => codeCell(`cell${i}`, `a${i}`)));
const selectedSources = (page: Page) => page.$$eval('.cell.selected .placeholder, .cell.selected .view-lines', (els) => els.map((e) => (e.textContent ?? '').replace(/\u00a0/g, ' ').trim()));
/** Command mode on cell `index`: a click beside its editor, then Esc for good measure. */
async function commandModeAt(page: Page, index: number): Promise<void> {
  await page.locator('.cell').nth(index).locator('.gutter').click();
  await expect.poll(() => page.locator('.notebook-page').getAttribute('data-mode')).toBe('command');
}

describe('command mode in Chromium', () => {
  it('copies, cuts and pastes cells (C, X, V, Shift+V), deletes (D,D) and undoes (Z), selects with Shift+arrows and Shift+click, merges (Shift+M), changes type (M, Y)', async () => {
    await session.wb.store.create('keys.ipynb', five());
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'keys.ipynb');
    await commandModeAt(page, 1);

    await press(page, 'c', 'j', 'v');
    expect(await sources(page)).toEqual(['a0', 'a1', 'a2', 'a1', 'a3', 'a4']);
    await press(page, 'Shift+V');
    expect(await sources(page)).toEqual(['a0', 'a1', 'a2', 'a1', 'a1', 'a3', 'a4']);
    await press(page, 'd', 'd');
    expect(await sources(page)).toEqual(['a0', 'a1', 'a2', 'a1', 'a3', 'a4']);
    await press(page, 'z');
    expect(await sources(page)).toEqual(['a0', 'a1', 'a2', 'a1', 'a1', 'a3', 'a4']);
    await press(page, 'x');
    await press(page, 'k', 'k', 'x');
    expect(await sources(page)).toEqual(['a0', 'a2', 'a1', 'a3', 'a4']);
    await press(page, 'v');
    expect(await sources(page)).toEqual(['a0', 'a2', 'a1', 'a1', 'a3', 'a4']);

    // Shift+Down extends the selection; Shift+M merges it; Z takes the merge back.
    await commandModeAt(page, 3);
    await press(page, 'Shift+ArrowDown', 'Shift+ArrowDown');
    expect(await page.locator('.cell.selected').count()).toBe(3);
    await press(page, 'Shift+M');
    expect(await sources(page)).toEqual(['a0', 'a2', 'a1', 'a1\n\na3\n\na4']);
    expect(await page.locator('.cell').nth(3).getAttribute('class')).toContain('code'); // Shift+M no longer makes markdown
    await press(page, 'z');
    expect(await sources(page)).toEqual(['a0', 'a2', 'a1', 'a1', 'a3', 'a4']);

    // Shift+click selects a range; M and Y change the type of all of it.
    await commandModeAt(page, 0);
    await page.locator('.cell').nth(2).locator('.gutter').click({ modifiers: ['Shift'] });
    expect(await page.locator('.cell.selected').count()).toBe(3);
    expect(await selectedSources(page)).toEqual(['a0', 'a2', 'a1']);
    await press(page, 'm');
    expect(await page.locator('.cell.markdown').count()).toBe(3);
    await press(page, 'y');
    expect(await page.locator('.cell.markdown').count()).toBe(0);

    // A and B insert; Ctrl+Shift+Down moves; the saved file has the result.
    await commandModeAt(page, 5);
    await press(page, 'a');
    expect((await sources(page))[5]).toBe('');
    await press(page, 'Control+Shift+ArrowUp');
    await press(page, 'Control+s');
    await expect.poll(() => page.locator('.save-state').innerText()).toBe('Saved');
    const saved = JSON.parse(await readFile(join(session.wb.dir, 'keys.ipynb'), 'utf8'));
    expect(saved.cells.map((c: { source: string[] }) => c.source.join(''))).toEqual(['a0', 'a2', 'a1', 'a1', '', 'a3', 'a4']);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it('interrupts with I,I and restarts with 0,0 only after confirming', async () => {
    await session.wb.store.create('kernel-keys.ipynb', notebookOf(codeCell('slow', 'await new Promise((r) => setTimeout(r, 120_000)); "finished"'), codeCell('setup', 'globalThis.marker = 42; marker'), codeCell('probe', 'typeof marker')));
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'kernel-keys.ipynb');
    await commandModeAt(page, 0);
    await press(page, 'Shift+Enter');
    await expect.poll(() => page.locator('.cell').nth(0).getAttribute('class'), { timeout: 90_000 }).toContain('running');
    await press(page, 'i', 'i');
    await page.locator('.toast', { hasText: 'Kernel interrupted' }).waitFor();
    await expect.poll(() => page.locator('.cell').nth(0).getAttribute('class')).not.toContain('running');
    expect(await page.locator('.cell').nth(0).locator('.outputs').innerText()).toMatch(/^(?![\s\S]*finished)[\s\S]*interrupt/i); // stopped, or restarted when it would not stop
    await press(page, 'Shift+Enter', 'Control+Enter');
    await expect.poll(() => page.locator('.cell').nth(2).locator('.out').innerText(), { timeout: 60_000 }).toContain('number');

    // 0,0 asks first; Cancel keeps the kernel (and its variables).
    await press(page, '0', '0');
    const dialog = page.getByRole('dialog', { name: 'Restart the kernel?' });
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => document.activeElement?.textContent === 'Cancel' && d.contains(document.activeElement))).toBe(true);
    await press(page, 'Escape');
    await dialog.waitFor({ state: 'detached' });
    await press(page, 'Control+Enter');
    await expect.poll(() => page.locator('.cell').nth(2).locator('.out').innerText(), { timeout: 60_000 }).toContain('number');

    await press(page, '0', '0');
    await dialog.getByRole('button', { name: 'Restart' }).click();
    await page.locator('.toast', { hasText: 'Restarting the kernel' }).waitFor();
    await commandModeAt(page, 2);
    await press(page, 'Control+Enter');
    await expect.poll(() => page.locator('.cell').nth(2).locator('.out').innerText(), { timeout: 90_000 }).toContain('undefined');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);

  it('H lists every command with its keys; Ctrl+Shift+C finds and runs any command, and a command added to the registry appears in both', async () => {
    await session.wb.store.create('palette.ipynb', notebookOf(codeCell('p0', 'first'), markdownCell('p1', '# second'), codeCell('p2', 'third')));
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'palette.ipynb');
    const ids = await page.evaluate(() => (window as unknown as { trailbook: { registry: { ids(): string[] } } }).trailbook.registry.ids());
    expect(ids.length).toBeGreaterThan(35);

    await commandModeAt(page, 0);
    await press(page, 'h');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect((await help.locator('tr[data-command]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.command))).sort()).toEqual([...ids].sort());
    const keysOf = (id: string) => help.locator(`tr[data-command="${id}"] kbd`).innerText();
    expect(await keysOf('kernel:interrupt')).toBe('I, I');
    expect(await keysOf('kernel:restart')).toBe('0, 0');
    expect(await keysOf('notebook:merge-cells')).toBe('Shift+M');
    expect(await keysOf('notebook:paste-cell-above')).toBe('Shift+V');
    expect(await keysOf('apputils:activate-command-palette')).toBe('Ctrl+Shift+C');
    await press(page, 'Escape');
    await help.waitFor({ state: 'detached' });

    // The palette: type, arrow, Enter; from edit mode too.
    await page.locator('.cell').nth(2).locator('.editor-host').click();
    await expect.poll(() => page.locator('.notebook-page').getAttribute('data-mode')).toBe('edit');
    await press(page, 'Control+Shift+C');
    const palette = page.getByRole('combobox', { name: 'Search commands' });
    await palette.fill('move cells up');
    expect(await page.getByRole('option').allInnerTexts()).toEqual([expect.stringContaining('Move cells up')]);
    await press(page, 'Enter');
    await expect.poll(() => sources(page)).toEqual(['first', 'third', '# second']);

    // One entry makes a command: it shows in the palette and the help, with its keys, and runs.
    await page.evaluate(() => {
      const registry = (window as unknown as { trailbook: { registry: { addCommand(id: string, spec: object): void; addKeyBinding(b: object): void } } }).trailbook.registry;
      registry.addCommand('test:greet', { label: 'Greet the tester', category: 'Test', execute: () => document.body.setAttribute('data-greeted', 'yes') });
      registry.addKeyBinding({ keys: ['G', 'G'], mode: 'command', command: 'test:greet' });
    });
    await commandModeAt(page, 0);
    await press(page, 'Control+Shift+C');
    await palette.fill('greet');
    expect(await page.getByRole('option').allInnerTexts()).toEqual([expect.stringMatching(/Test\s*Greet the tester\s*G, G/)]);
    await press(page, 'Escape');
    await press(page, 'h');
    expect(await keysOf('test:greet')).toBe('G, G');
    await press(page, 'Escape');
    await press(page, 'g', 'g');
    expect(await page.locator('body').getAttribute('data-greeted')).toBe('yes');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it("the active cell's toolbar runs, moves and deletes that cell, and toolbars say the keys of their commands", async () => {
    await session.wb.store.create('cell-toolbar.ipynb', notebookOf(codeCell('t0', '"zero"'), codeCell('t1', '"one"'), codeCell('t2', '"two"')));
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'cell-toolbar.ipynb');
    await commandModeAt(page, 1);
    const toolbar = page.getByRole('toolbar', { name: 'Cell actions' });
    expect(await page.locator('.cell').nth(1).getByRole('toolbar', { name: 'Cell actions' }).count()).toBe(1);
    await toolbar.getByRole('button', { name: 'Move up' }).click();
    expect(await sources(page)).toEqual(['"one"', '"zero"', '"two"']);
    expect(await toolbar.getByRole('button', { name: 'Move up' }).isDisabled()).toBe(true); // now at the top
    await toolbar.getByRole('button', { name: 'Move down' }).click();
    await toolbar.getByRole('button', { name: 'Move down' }).click();
    expect(await sources(page)).toEqual(['"zero"', '"two"', '"one"']);
    await toolbar.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => page.locator('.cell').nth(2).locator('.out').innerText(), { timeout: 90_000 }).toContain('one');
    await toolbar.getByRole('button', { name: 'Delete' }).click();
    expect(await sources(page)).toEqual(['"zero"', '"two"']);

    const titles = await page.getByRole('toolbar', { name: 'Notebook actions' }).locator('button').evaluateAll((bs) => bs.map((b) => b.getAttribute('title')));
    expect(titles).toEqual(expect.arrayContaining(['Save the notebook (Ctrl+S)', 'Interrupt the kernel (I, I)', 'Restart the kernel… (0, 0)', 'Run selected cells and select below (Shift+Enter)']));
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);
});

describe('before the editor arrives', () => {
  it('cells take typing, Shift+Enter and Esc as soon as they are painted; the editor that follows starts from that text', async () => {
    await session.wb.store.create('early.ipynb', notebookOf(markdownCell('e0', '# Early'), codeCell('e1', ''), codeCell('e2', '"second"')));
    const { page, errors } = await loggedInPage(session);
    // Hold Monaco back until released: what a slow network or a busy machine does to the editor chunk.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/monaco-editor-[^/]*\.js$/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${session.wb.url}/notebooks/early.ipynb`);
    const first = page.locator('.cell').nth(1).locator('.editor-host');
    await first.click();
    await page.keyboard.type('const early = 20;');
    await page.keyboard.press('Enter');
    await page.keyboard.type('early * 2');
    expect(await page.locator('.monaco-editor').count()).toBe(0);
    expect((await sources(page))[1]).toBe('const early = 20;\nearly * 2');
    await press(page, 'Shift+Enter');
    await expect.poll(() => page.locator('.cell').nth(1).locator('.out').innerText(), { timeout: 90_000 }).toContain('40');
    await expect.poll(() => page.locator('.notebook-page').getAttribute('data-mode')).toBe('command');
    expect(await page.locator('.cell.active').getAttribute('data-cell-id')).toBe('e2');

    release();
    await page.locator('.notebook-page[data-ready="true"]').waitFor();
    await page.locator('.cell').nth(1).locator('.monaco-editor').waitFor();
    expect((await page.locator('.cell').nth(1).locator('.view-lines').innerText()).replace(/\u00a0/g, ' ')).toBe('const early = 20;\nearly * 2');
    await press(page, 'Control+s');
    await expect.poll(() => page.locator('.save-state').innerText()).toBe('Saved');
    const saved = JSON.parse(await readFile(join(session.wb.dir, 'early.ipynb'), 'utf8'));
    expect(saved.cells[1].source).toEqual(['const early = 20;\n', 'early * 2']);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);
});

describe('no keystroke is lost while the editor arrives', () => {
  it('typing right after navigation, on through Monaco loading and evaluating, lands in the cell in order', async () => {
    await session.wb.store.create('typing.ipynb', notebookOf(markdownCell('t0', '# Typing'), codeCell('t1', ''), codeCell('t2', 'second')));
    const { page, errors } = await loggedInPage(session);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/monaco-editor-[^/]*\.js$/, async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${session.wb.url}/notebooks/typing.ipynb`, { waitUntil: 'commit' });
    // Clicked and typed as soon as the cell exists, as a person who knows where it will be.
    await page.locator('.cell').nth(1).locator('.editor-host').click();
    let typed = 'let n = 1;';
    await page.keyboard.type(typed);
    release();
    // Keep typing, one key at a time, while Monaco downloads, evaluates and mounts editors around the caret.
    for (let i = 0; (await page.locator('.notebook-page[data-ready="true"]').count()) === 0 || i < 20; i++) {
      const key = String.fromCharCode(97 + (i % 26));
      await page.keyboard.type(key);
      typed += key;
      if (i > 2000) throw new Error('Monaco never loaded');
    }
    expect((await sources(page))[1]).toBe(typed);
    // Leaving the cell hands it to Monaco, which starts from every character typed.
    await press(page, 'Escape');
    await page.locator('.cell').nth(1).locator('.monaco-editor').waitFor();
    expect((await page.locator('.cell').nth(1).locator('.view-lines').innerText()).replace(/\u00a0/g, ' ')).toBe(typed);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it('a click on a cell whose editor is not built yet gives that editor the caret where the click was, and the keys after it', async () => {
    const cells = Array.from({ length: 30 }, (_, i) => codeCell(`c${i}`, `value${i}`));
    await session.wb.store.create('late-editor.ipynb', notebookOf(...cells));
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'late-editor.ipynb');
    // Hold idle callbacks: the editor of a cell scrolled to is built in one, so it stays plain text here,
    // as it does for the moment between Monaco's arrival and the first idle slice.
    await page.evaluate(() => {
      const w = window as unknown as { heldIdle: IdleRequestCallback[] };
      w.heldIdle = [];
      window.requestIdleCallback = (callback) => w.heldIdle.push(callback);
    });
    const last = page.locator('.cell').nth(29);
    await last.scrollIntoViewIfNeeded();
    expect(await last.locator('.monaco-editor').count()).toBe(0);
    // Just right of the boundary between "value" and "29" in the plain text.
    const at = await last.locator('.placeholder').evaluate((el) => {
      const range = document.createRange();
      range.setStart(el.firstChild!, 0);
      range.setEnd(el.firstChild!, 5);
      const box = range.getBoundingClientRect();
      return { x: box.right + 1, y: box.top + box.height / 2 };
    });
    await page.mouse.click(at.x, at.y);
    await page.keyboard.type('XY');
    await last.locator('.monaco-editor').waitFor();
    await expect.poll(async () => (await last.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ')).toBe('valueXY29');
    expect(await page.locator('.notebook-page').getAttribute('data-mode')).toBe('edit');
    expect((await sources(page))[29]).toBe('valueXY29');
    await page.evaluate(() => {
      const w = window as unknown as { heldIdle: IdleRequestCallback[] };
      for (const callback of w.heldIdle.splice(0)) callback({ didTimeout: true, timeRemaining: () => 0 });
    });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);
});
