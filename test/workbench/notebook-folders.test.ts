import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyNotebook, serialiseNotebook } from '../../notebook/format.ts';
import { NotebookError, NotebookStore } from '../../workbench/notebooks.ts';
import { browserFetch, openKernelSocket, startTestWorkbench, type TestWorkbench } from './helpers.ts';

/** Folders in the notebooks directory: listed, created, moved, deleted, confined; upload and download of .ipynb. */

let dir: string;
let store: NotebookStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trailbook-folders-'));
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

describe('folders in the store', () => {
  it('lists notebooks in every folder by path, the folders, and says what it skips and why', async () => {
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true });
    await mkdir(join(dir, '.git'));
    await mkdir(join(dir, 'bad:name'));
    await writeFile(join(dir, 'sub', 'deeper', 'x.ipynb'), serialiseNotebook(emptyNotebook()));
    await writeFile(join(dir, 'sub', 'not a notebook.txt'), 'hello');
    await writeFile(join(dir, '.git', 'y.ipynb'), serialiseNotebook(emptyNotebook()));
    await writeFile(join(dir, 'sub', 'weird:name.ipynb'), serialiseNotebook(emptyNotebook()));
    const outside = await mkdtemp(join(tmpdir(), 'trailbook-outside-'));
    await symlink(outside, join(dir, 'linked'));
    await store.create('top.ipynb');

    const listing = await store.listing();
    expect(listing.notebooks.map((e) => e.name)).toEqual(['sub/deeper/x.ipynb', 'top.ipynb']);
    expect(listing.folders.map((f) => f.path)).toEqual(['sub', 'sub/deeper']);
    expect(listing.skipped.map((s) => s.path)).toEqual(['bad:name', 'linked', 'sub/weird:name.ipynb']);
    expect(listing.skipped.find((s) => s.path === 'linked')!.reason).toMatch(/link to a folder/);
    expect((await store.open('sub/deeper/x.ipynb')).notebook.cells).toHaveLength(1);
    await rm(outside, { recursive: true, force: true });
  });

  it('creates notebooks in folders, moves them between folders, and refuses a missing folder (404) or a folder link (400)', async () => {
    await store.createFolder('reports');
    expect(await statusOf(store.createFolder('reports'))).toBe(409);
    expect(await statusOf(store.createFolder('missing/inner'))).toBe(404);
    const created = await store.create(undefined, undefined, 'reports');
    expect(created.name).toBe('reports/Untitled.ipynb');
    expect(await statusOf(store.create('nowhere/x.ipynb'))).toBe(404);
    expect(await statusOf(store.save('nowhere/x.ipynb', emptyNotebook(), null))).toBe(404);

    await store.rename('reports/Untitled.ipynb', 'top.ipynb');
    await store.rename('top.ipynb', 'reports/back.ipynb');
    expect((await store.list()).map((e) => e.name)).toEqual(['reports/back.ipynb']);

    const outside = await mkdtemp(join(tmpdir(), 'trailbook-outside-'));
    await writeFile(join(outside, 'secret.ipynb'), serialiseNotebook(emptyNotebook()));
    await symlink(outside, join(dir, 'escape'));
    expect(await statusOf(store.open('escape/secret.ipynb'))).toBe(400);
    expect(await statusOf(store.save('escape/new.ipynb', emptyNotebook(), null))).toBe(400);
    expect(await statusOf(store.rename('reports/back.ipynb', 'escape/back.ipynb'))).toBe(400);
    expect(await readdir(outside)).toEqual(['secret.ipynb']);
    await rm(outside, { recursive: true, force: true });
  });

  it('moves a folder with its notebooks (keeping ids), never into itself nor onto an existing name', async () => {
    await store.createFolder('a');
    await store.createFolder('a/b');
    const nb = await store.create('a/b/n.ipynb');
    await store.createFolder('z');
    expect(await statusOf(store.renameFolder('a', 'a/b/a'))).toBe(400);
    expect(await statusOf(store.renameFolder('a', 'z'))).toBe(409);
    const moved = await store.renameFolder('a', 'z/a');
    expect(moved).toEqual([['a/b/n.ipynb', 'z/a/b/n.ipynb']]);
    expect((await store.open('z/a/b/n.ipynb')).notebook.metadata.trailbook).toEqual(nb.notebook.metadata.trailbook);
    // A save to the old name says where the notebook went, and does not re-create it.
    const err = await store.save('a/b/n.ipynb', nb.notebook, nb.version).catch((e) => e);
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/Folder "a" not found/);
    expect(await readdir(dir)).toEqual(['z']);
  });

  it('deletes a folder with its notebooks, but not one holding other files', async () => {
    await store.createFolder('old');
    await store.create('old/one.ipynb');
    await store.createFolder('old/inner');
    await store.create('old/inner/two.ipynb');
    expect((await store.removeFolder('old')).sort()).toEqual(['old/inner/two.ipynb', 'old/one.ipynb']);
    expect(await readdir(dir)).toEqual([]);

    await store.createFolder('data');
    await store.create('data/n.ipynb');
    await writeFile(join(dir, 'data', 'events.csv'), 'a,b\n');
    const err = await store.removeFolder('data').catch((e) => e);
    expect(err.status).toBe(409);
    expect(err.message).toContain('data/events.csv');
    expect((await readdir(join(dir, 'data'))).sort()).toEqual(['events.csv', 'n.ipynb']);
  });

  it('a save racing a folder move either lands before it and moves along, or is refused; nothing appears under the old name', async () => {
    await store.createFolder('f');
    const opened = await store.create('f/race.ipynb');
    const save = store.save('f/race.ipynb', { ...opened.notebook, metadata: { ...opened.notebook.metadata, saved: true } }, opened.version);
    const move = store.renameFolder('f', 'g');
    const [saved, moved] = await Promise.allSettled([save, move]);
    expect(moved.status).toBe('fulfilled');
    expect(await readdir(dir)).toEqual(['g']);
    const text = await readFile(join(dir, 'g', 'race.ipynb'), 'utf8');
    expect(JSON.parse(text).metadata.saved).toBe(saved.status === 'fulfilled' ? true : undefined);
  });

  it('uploads a notebook through the same loader (nbformat 4.4, foreign kernel: notices) and refuses a malformed one, writing nothing', async () => {
    const foreign = JSON.stringify({
      nbformat: 4,
      nbformat_minor: 4,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [{ cell_type: 'markdown', source: '# hi', metadata: {} }],
    });
    const uploaded = await store.upload('up.ipynb', Buffer.from(foreign));
    expect(uploaded.notices.join('\n')).toMatch(/upgraded from nbformat 4.4[\s\S]*kernel "python3" \(Python 3\) replaced/);
    const opened = await store.open('up.ipynb');
    expect(opened.notebook.nbformat_minor).toBe(5);
    expect(opened.notices).toEqual([]); // saved as a Trailbook notebook: nothing more to say
    expect(await statusOf(store.upload('up.ipynb', Buffer.from(foreign)))).toBe(409);

    const malformed = await store.upload('bad.ipynb', Buffer.from(JSON.stringify({ nbformat: 4, nbformat_minor: 5, cells: [{ cell_type: 'code' }] }))).catch((e) => e);
    expect(malformed.status).toBe(422);
    expect(malformed.message).toMatch(/not a valid nbformat 4 notebook/);
    expect(await statusOf(store.upload('bad.ipynb', Buffer.from('{ not json')))).toBe(422);
    expect((await readdir(dir)).sort()).toEqual(['up.ipynb']);
  });
});

describe('folders over HTTP', () => {
  let wb: TestWorkbench;
  beforeAll(async () => {
    wb = await startTestWorkbench();
  });
  afterAll(() => wb?.stop());
  const enc = encodeURIComponent;

  it('serves /notebooks/sub/name.ipynb and /tree/sub, and refuses paths out of the directory', async () => {
    await wb.store.createFolder('sub');
    await wb.store.create('sub/deep.ipynb');
    for (const path of ['/notebooks/sub/deep.ipynb', '/tree/sub', '/notebooks/sub/a%20b.ipynb']) {
      expect((await browserFetch(wb, path)).status, path).toBe(200);
    }
    for (const path of ['/notebooks/sub/..%2F..%2Fetc.ipynb', '/notebooks/sub%2F%2E%2E%2Fx.ipynb', '/tree/a%2F..%2Fb', '/notebooks/sub/%E0%A4%A.ipynb', '/notebooks/sub/x.txt']) {
      expect((await browserFetch(wb, path)).status, path).toBe(400);
    }
    const listed = (await (await browserFetch(wb, '/api/notebooks')).json()) as { notebooks: { name: string }[]; folders: { path: string }[] };
    expect(listed.notebooks.map((n) => n.name)).toContain('sub/deep.ipynb');
    expect(listed.folders.map((f) => f.path)).toContain('sub');
    const opened = await browserFetch(wb, `/api/notebooks/${enc('sub/deep.ipynb')}`);
    expect(opened.status).toBe(200);
    expect(((await opened.json()) as { name: string }).name).toBe('sub/deep.ipynb');
  });

  it('keeps share links and the kernel session of a notebook through its folder moving', async () => {
    await wb.store.createFolder('team');
    await wb.store.create('team/shared.ipynb');
    const link = (await (await browserFetch(wb, `/api/notebooks/${enc('team/shared.ipynb')}/share`, { method: 'POST', body: {} })).json()) as { url: string };
    const socket = await openKernelSocket(wb, 'team/shared.ipynb');
    socket.send({ type: 'execute', cellId: 'c1', code: 'globalThis.kept = 41; kept + 1' });
    await socket.waitFor((m) => m.type === 'reply');

    const moved = await browserFetch(wb, `/api/folders/${enc('team')}/rename`, { method: 'POST', body: { to: 'squad' } });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toEqual({ path: 'squad', moved: [{ from: 'team/shared.ipynb', to: 'squad/shared.ipynb' }] });
    expect(wb.kernels.list().map((k) => k.name)).toContain('squad/shared.ipynb');
    const report = await fetch(link.url);
    expect(report.status).toBe(200);
    expect(await report.text()).toContain('squad/shared');

    // The same kernel (its variables) answers under the new name.
    const again = await openKernelSocket(wb, 'squad/shared.ipynb');
    again.send({ type: 'execute', cellId: 'c2', code: 'kept' });
    const output = await again.waitFor((m) => m.type === 'output' && m.cellId === 'c2');
    expect(JSON.stringify(output)).toContain('41');
    socket.close();
    again.close();

    expect((await browserFetch(wb, `/api/folders/${enc('squad')}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(link.url)).status).toBe(410);
    expect(wb.kernels.list().map((k) => k.name)).not.toContain('squad/shared.ipynb');
  }, 120_000);

  it('downloads the file as saved, and uploads a .ipynb; a malformed upload is refused with the reason', async () => {
    const created = await wb.store.create('dl.ipynb');
    const download = await browserFetch(wb, '/api/notebooks/dl.ipynb/download');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="dl.ipynb"');
    const bytes = await download.text();
    expect(bytes).toBe(await readFile(join(wb.dir, 'dl.ipynb'), 'utf8'));
    expect(created.version).toMatch(/^[0-9a-f]{20}$/);

    const upload = (name: string, body: string) =>
      fetch(`${wb.url}/api/notebooks/${enc(name)}/upload`, { method: 'POST', headers: { cookie: wb.cookie, origin: wb.origin, 'x-csrf-token': wb.csrf, 'content-type': 'application/json' }, body });
    const ok = await upload('sub/uploaded.ipynb', bytes);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ name: 'sub/uploaded.ipynb', notices: [] });
    const bad = await upload('sub/broken.ipynb', JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: 'nope' }));
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: string }).error).toMatch(/broken.ipynb is not a valid nbformat 4 notebook: cells/);
    expect(await readdir(join(wb.dir, 'sub'))).not.toContain('broken.ipynb');
  }, 60_000);
});
