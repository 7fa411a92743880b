import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyNotebook, parseNotebook, serialiseNotebook } from '../../notebook/format.ts';
import { NotebookError, NotebookStore, versionOf } from '../../workbench/notebooks.ts';

let dir: string;
let store: NotebookStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trailbook-nbstore-'));
  store = new NotebookStore(dir);
  await store.init();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const statusOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof NotebookError ? err.status : String(err);
  }
};

describe('NotebookStore', () => {
  it('creates nbformat 4.5 TypeScript notebooks with cell ids and free names', async () => {
    const a = await store.create();
    const b = await store.create();
    expect([a.name, b.name]).toEqual(['Untitled.ipynb', 'Untitled-1.ipynb']);
    const text = await readFile(join(dir, a.name), 'utf8');
    const nb = JSON.parse(text);
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.metadata.kernelspec.language).toBe('typescript');
    expect(nb.metadata.language_info.name).toBe('typescript');
    expect(nb.cells[0].id).toMatch(/^[a-z0-9]{12}$/);
    expect(a.version).toBe(versionOf(text));
  });

  it('saves deterministically and refuses a save based on a stale version', async () => {
    const opened = await store.create('work.ipynb');
    const nb = { ...opened.notebook, cells: [{ id: 'c1', cell_type: 'code' as const, source: 'let x = 1\n', metadata: {}, execution_count: 1, outputs: [] }] };
    const v1 = await store.save('work.ipynb', nb, opened.version);
    expect(await readFile(join(dir, 'work.ipynb'), 'utf8')).toBe(serialiseNotebook(nb));
    // Same content again: same bytes, same version.
    expect(await store.save('work.ipynb', nb, v1)).toBe(v1);
    // A second editor still holding the first version is refused, and the file is unchanged.
    const before = await readFile(join(dir, 'work.ipynb'), 'utf8');
    const err = await store.save('work.ipynb', emptyNotebook(), opened.version).catch((e) => e);
    expect(err).toBeInstanceOf(NotebookError);
    expect(err.status).toBe(409);
    expect(err.details.currentVersion).toBe(v1);
    expect(await readFile(join(dir, 'work.ipynb'), 'utf8')).toBe(before);
    // An edit made outside the workbench also makes the loaded version stale.
    await writeFile(join(dir, 'work.ipynb'), serialiseNotebook(emptyNotebook()));
    expect(await statusOf(store.save('work.ipynb', nb, v1))).toBe(409);
  });

  it('serialises concurrent saves from the same base: exactly one wins', async () => {
    const opened = await store.create('race.ipynb');
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.save('race.ipynb', { ...opened.notebook, metadata: { n: i } }, opened.version)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('lists malformed files with their error and leaves them untouched', async () => {
    await store.create('good.ipynb');
    await writeFile(join(dir, 'broken.ipynb'), '{ "nbformat": 4, "cells": [ oops');
    await writeFile(join(dir, 'wrong.ipynb'), JSON.stringify({ nbformat: 3, cells: 'no' }));
    const list = await store.list();
    expect(list.map((e) => e.name)).toEqual(['broken.ipynb', 'good.ipynb', 'wrong.ipynb']);
    expect(list[0]!.error).toMatch(/not valid JSON/);
    expect(list[1]!.error).toBeUndefined();
    expect(list[2]!.error).toMatch(/not a valid nbformat 4 notebook/);
    expect(await statusOf(store.open('broken.ipynb'))).toBe(422);
    expect(await statusOf(store.duplicate('broken.ipynb'))).toBe(422);
    expect(await readFile(join(dir, 'broken.ipynb'), 'utf8')).toBe('{ "nbformat": 4, "cells": [ oops');
  });

  it('rejects names that escape the directory or are not notebooks', async () => {
    for (const name of ['../x.ipynb', '..\\x.ipynb', '/etc/passwd', 'a/b.ipynb', 'notes.txt', '.hidden.ipynb', '..ipynb', 'x.ipynb\0']) {
      expect(await statusOf(store.open(name)), name).toBe(400);
      expect(await statusOf(store.create(name)), name).toBe(400);
    }
    const outside = await mkdtemp(join(tmpdir(), 'trailbook-outside-'));
    await writeFile(join(outside, 'secret.ipynb'), serialiseNotebook(emptyNotebook()));
    await symlink(join(outside, 'secret.ipynb'), join(dir, 'link.ipynb'));
    expect(await statusOf(store.open('link.ipynb'))).toBe(400);
    expect(await statusOf(store.save('link.ipynb', emptyNotebook(), null))).toBe(400);
    expect((await store.list()).find((e) => e.name === 'link.ipynb')?.error).toMatch(/outside/);
    await rm(outside, { recursive: true, force: true });
  });

  it('renames, duplicates and deletes without overwriting', async () => {
    const a = await store.create('a.ipynb');
    await store.create('b.ipynb');
    expect(await statusOf(store.rename('a.ipynb', 'b.ipynb'))).toBe(409);
    await store.rename('a.ipynb', 'c.ipynb');
    const copy = await store.duplicate('c.ipynb');
    expect(copy.name).toBe('c-copy.ipynb');
    expect(parseNotebook(await readFile(join(dir, 'c-copy.ipynb'), 'utf8'), 'x').cells[0]!.id).toBe(a.notebook.cells[0]!.id);
    await store.remove('c.ipynb');
    expect(await statusOf(store.open('c.ipynb'))).toBe(404);
    expect((await store.list()).map((e) => e.name)).toEqual(['b.ipynb', 'c-copy.ipynb']);
  });
});
