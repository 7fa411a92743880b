import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCell, loggedInPage, notebookOf, openNotebook, startBrowserSession, type BrowserSession } from './browser-session.ts';

/** Files like a notebook server, in Chromium: folders, notebooks in them, upload and download, confirmations, loader notices. */

let session: BrowserSession;
beforeAll(async () => {
  session = await startBrowserSession();
}, 180_000);
afterAll(() => session?.close());

const exists = (path: string) => access(path).then(() => true, () => false);

describe('the file browser in Chromium', () => {
  it('creates a folder and a notebook in it (/notebooks/folder/name.ipynb opens), moves and renames both, and deletes only after confirming', async () => {
    const { page, errors } = await loggedInPage(session);
    await page.goto(`${session.wb.url}/`);
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByRole('textbox', { name: 'Folder name' }).fill('investigations');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('link', { name: 'investigations/' }).click();
    await page.waitForURL(/\/tree\/investigations$/);
    await page.getByRole('button', { name: 'New notebook' }).click();
    await page.waitForURL(/\/notebooks\/investigations\/Untitled\.ipynb$/);
    await page.locator('.notebook-page[data-ready="true"]').waitFor();
    expect(await page.locator('.nb-title').innerText()).toBe('Untitled');
    expect(await exists(join(session.wb.dir, 'investigations', 'Untitled.ipynb'))).toBe(true);

    // The kernel of a notebook in a folder runs, and reloading the folder URL brings it back.
    await page.locator('.cell .editor-host').first().click();
    await page.locator('.cell .monaco-editor').first().waitFor();
    await page.keyboard.insertText('"from a folder"');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.cell').first().locator('.out').innerText(), { timeout: 90_000 }).toContain('from a folder');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('.save-state').innerText()).toBe('Saved');
    await page.reload();
    await page.locator('.notebook-page[data-ready="true"]').waitFor();
    expect(await page.locator('.cell').first().locator('.out').innerText()).toContain('from a folder');

    // Back through the breadcrumb; move the notebook to the top, rename the folder.
    await page.getByRole('link', { name: 'investigations' }).click();
    await page.waitForURL(/\/tree\/investigations$/);
    await page.getByRole('button', { name: 'Move Untitled' }).click();
    await page.getByRole('combobox', { name: 'To folder' }).selectOption('');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByText('This folder is empty.').waitFor();
    expect(await exists(join(session.wb.dir, 'Untitled.ipynb'))).toBe(true);
    await page.getByRole('link', { name: 'Notebooks' }).click();
    await page.getByRole('button', { name: 'Rename folder investigations' }).click();
    await page.getByRole('textbox', { name: 'New name' }).fill('cases');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.locator('tr[data-folder="cases"]').waitFor();

    // Delete asks first: Cancel keeps the folder, Delete removes it.
    await page.getByRole('button', { name: 'Delete folder cases' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete folder cases?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await exists(join(session.wb.dir, 'cases'))).toBe(true);
    await page.getByRole('button', { name: 'Delete folder cases' }).click();
    await confirm.getByRole('button', { name: 'Delete folder' }).click();
    await page.locator('tr[data-folder="cases"]').waitFor({ state: 'detached' });
    expect(await exists(join(session.wb.dir, 'cases'))).toBe(false);

    await page.getByRole('button', { name: 'Delete Untitled' }).click();
    await page.getByRole('dialog', { name: 'Delete Untitled?' }).getByRole('button', { name: 'Delete' }).click();
    await page.locator('tr[data-name="Untitled.ipynb"]').waitFor({ state: 'detached' });
    expect(await exists(join(session.wb.dir, 'Untitled.ipynb'))).toBe(false);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 240_000);

  it('uploads .ipynb files (a foreign one with its notices, a malformed one refused and not written) and downloads them as saved', async () => {
    await session.wb.store.createFolder('uploads');
    const python = JSON.stringify({
      nbformat: 4,
      nbformat_minor: 4,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [{ cell_type: 'code', source: 'print(1)', metadata: {}, execution_count: null, outputs: [] }],
    });
    const { page, errors } = await loggedInPage(session);
    await page.goto(`${session.wb.url}/tree/uploads`);
    await page.locator('.notebook-list').waitFor();
    await page.locator('input[type="file"]').setInputFiles([
      { name: 'from-python.ipynb', mimeType: 'application/x-ipynb+json', buffer: Buffer.from(python) },
      { name: 'broken.ipynb', mimeType: 'application/x-ipynb+json', buffer: Buffer.from('{"nbformat": 4, "cells": "no"}') },
    ]);
    await page.locator('.toast', { hasText: 'Uploaded from-python.ipynb: upgraded from nbformat 4.4' }).waitFor();
    await page.locator('.toast.error', { hasText: 'Upload of broken.ipynb refused: uploads/broken.ipynb is not a valid nbformat 4 notebook' }).waitFor();
    await page.locator('tr[data-name="uploads/from-python.ipynb"]').waitFor();
    expect(await exists(join(session.wb.dir, 'uploads', 'broken.ipynb'))).toBe(false);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download from-python' }).click()]);
    expect(download.suggestedFilename()).toBe('from-python.ipynb');
    const downloaded = await readFile((await download.path())!, 'utf8');
    expect(downloaded).toBe(await readFile(join(session.wb.dir, 'uploads', 'from-python.ipynb'), 'utf8'));
    expect(JSON.parse(downloaded).metadata.kernelspec.name).toBe('trailbook-typescript');

    // From the notebook page: Download saves first, then gives the file.
    await openNotebook(page, session, 'uploads/from-python.ipynb');
    await page.locator('.cell .editor-host').first().click();
    await page.locator('.cell .monaco-editor').first().waitFor();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText(' // edited');
    const [fromPage] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(JSON.parse(await readFile((await fromPage.path())!, 'utf8')).cells[0].source.join('')).toBe('print(1) // edited');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 180_000);

  it("shows the loader's notices when a notebook from another kernel is opened, in a banner that can be dismissed", async () => {
    await writeFile(
      join(session.wb.dir, 'tslab.ipynb'),
      JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript (tslab)', language: 'typescript' } }, cells: [codeCell('x1', '1 + 1')] }),
    );
    const { page, errors } = await loggedInPage(session);
    await openNotebook(page, session, 'tslab.ipynb');
    const banner = page.getByRole('status').filter({ hasText: 'When opening this notebook' });
    expect(await banner.innerText()).toContain('kernel "tslab" (TypeScript (tslab)) replaced by "trailbook-typescript"');
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    expect(await banner.isHidden()).toBe(true);
    // Once saved as a Trailbook notebook there is nothing more to say.
    await session.wb.store.create('plain.ipynb', notebookOf(codeCell('y1', '2')));
    await openNotebook(page, session, 'plain.ipynb');
    expect(await page.locator('.notices').isHidden()).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
