import { mkdtemp, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyNotebook, parseNotebook, serialiseNotebook } from '../../notebook/format.ts';
import { NotebookError, NotebookStore, versionOf } from '../../workbench/notebooks.ts';
import { browserFetch, startTestWorkbench, TOKEN, type TestWorkbench } from './helpers.ts';

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
    for (const name of ['../x.ipynb', '..\\x.ipynb', '/etc/passwd', 'a/../b.ipynb', 'a//b.ipynb', 'notes.txt', '.hidden.ipynb', '..ipynb', 'x.ipynb\0']) {
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

describe('notebook ids', () => {
  const idOf = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8')).metadata.trailbook?.id as string | undefined;

  it('are assigned on create, kept by rename and save (whatever the client sends), new for a duplicate', async () => {
    const created = await store.create('ids.ipynb');
    const id = await idOf('ids.ipynb');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((created.notebook.metadata.trailbook as { id: string }).id).toBe(id);
    await store.rename('ids.ipynb', 'ids-renamed.ipynb');
    expect(await idOf('ids-renamed.ipynb')).toBe(id);
    const opened = await store.open('ids-renamed.ipynb');
    // A client that drops or forges the id cannot change it.
    const v2 = await store.save('ids-renamed.ipynb', { ...opened.notebook, metadata: {} }, opened.version);
    expect(await idOf('ids-renamed.ipynb')).toBe(id);
    await store.save('ids-renamed.ipynb', { ...opened.notebook, metadata: { trailbook: { id: '00000000-0000-4000-8000-000000000000', keep: 1 } } }, v2);
    expect(JSON.parse(await readFile(join(dir, 'ids-renamed.ipynb'), 'utf8')).metadata.trailbook).toEqual({ id, keep: 1 });
    const copy = await store.duplicate('ids-renamed.ipynb');
    expect(await idOf(copy.name)).toBe(copy.id);
    expect(copy.id).not.toBe(id);
    expect((await store.list()).map((e) => [e.name, e.id])).toEqual([
      [copy.name, copy.id],
      ['ids-renamed.ipynb', id],
    ]);
  });

  it('are given on the first save of a file that has none, and survive the nbformat 4.4 upgrade', async () => {
    await writeFile(join(dir, 'plain.ipynb'), serialiseNotebook(emptyNotebook()));
    const opened = await store.open('plain.ipynb');
    expect(opened.notebook.metadata.trailbook).toBeUndefined();
    await store.save('plain.ipynb', opened.notebook, opened.version);
    expect(await idOf('plain.ipynb')).toMatch(/^[0-9a-f-]{36}$/);

    const id = '5b0f3c1e-8d2a-4f6b-9c3d-2e1f0a9b8c7d';
    const v44 = { nbformat: 4, nbformat_minor: 4, metadata: { trailbook: { id } }, cells: [{ cell_type: 'code', source: ['1 + 1'], metadata: {}, execution_count: null, outputs: [] }] };
    await writeFile(join(dir, 'old.ipynb'), JSON.stringify(v44));
    const old = await store.open('old.ipynb');
    expect(old.notebook.metadata.trailbook).toEqual({ id });
    expect((await store.list()).find((e) => e.name === 'old.ipynb')?.id).toBe(id);
    await store.save('old.ipynb', old.notebook, old.version);
    const saved = JSON.parse(await readFile(join(dir, 'old.ipynb'), 'utf8'));
    expect([saved.nbformat_minor, saved.metadata.trailbook.id]).toEqual([5, id]);
    expect(await store.findById(id)).toBe('old.ipynb');
  });
});

describe('notebook size limit', () => {
  it('refuses files over the limit on open, save and share before reading them, and lists them with the reason', async () => {
    const small = new NotebookStore(dir, { maxNotebookBytes: 1024 * 1024 });
    await small.create('fits.ipynb');
    // Sparse: 2 MB by size, never read (reading it would show zeros, not JSON).
    const { truncate } = await import('node:fs/promises');
    await writeFile(join(dir, 'huge.ipynb'), '');
    await truncate(join(dir, 'huge.ipynb'), 2 * 1024 * 1024);
    const entry = (await small.list()).find((e) => e.name === 'huge.ipynb');
    expect(entry?.error).toBe('too large to open (2 MB, limit 1 MB)');
    expect(entry?.size).toBe(2 * 1024 * 1024);
    // Started one at a time: a promise created before its catch is attached can reject unhandled.
    const attempts = [() => small.open('huge.ipynb'), () => small.openBody('huge.ipynb'), () => small.ensureId('huge.ipynb'), () => small.duplicate('huge.ipynb')];
    for (const attempt of attempts) {
      const err = await attempt().catch((e) => e);
      expect(err).toBeInstanceOf(NotebookError);
      expect([err.status, err.message]).toEqual([413, 'Notebook "huge.ipynb" is too large to open (2 MB, limit 1 MB)']);
    }
    expect(await statusOf(small.save('huge.ipynb', emptyNotebook(), null))).toBe(413);
    expect(await statusOf(small.saveBody('fits.ipynb', new Uint8Array(1024 * 1024 + 1)))).toBe(413);
    expect((await small.list()).find((e) => e.name === 'fits.ipynb')?.error).toBeUndefined();
  });
});

/**
 * One writer per notebook, tested the way it broke: real concurrent HTTP requests, many times, then
 * the files on disk are checked. Which request wins each race is up to timing; every outcome must be
 * consistent.
 */
describe('concurrent save, rename, duplicate and delete over HTTP', () => {
  let wb: TestWorkbench;
  beforeAll(async () => {
    wb = await startTestWorkbench();
  });
  afterAll(() => wb?.stop());

  const ROUNDS = 30;
  const cell = (source: string) => ({ id: 'c1', cell_type: 'code' as const, source, metadata: {}, execution_count: null, outputs: [] });
  const onDisk = async (name: string) => {
    try {
      return JSON.parse(await readFile(join(wb.dir, name), 'utf8')) as { cells: { source: string[] }[]; metadata: { trailbook?: { id: string } } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const sourceOf = async (name: string) => (await onDisk(name))?.cells[0]?.source.join('');
  /** Starts both requests in an order and with a small lead that vary per round. */
  const race = <A, B>(round: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> => {
    const lead = (round % 3) * 2;
    const delayed = <T,>(fn: () => Promise<T>, ms: number) => new Promise<T>((resolve, reject) => setTimeout(() => fn().then(resolve, reject), ms));
    return round % 2 ? Promise.all([a(), delayed(b, lead)]) : Promise.all([delayed(a, lead), b()]);
  };
  const save = (name: string, source: string, version: string | null) =>
    browserFetch(wb, `/api/notebooks/${encodeURIComponent(name)}`, { method: 'PUT', body: { notebook: { ...emptyNotebook(), cells: [cell(source)] }, version } });

  it('a save racing a rename lands before it and moves with the file, or is refused; the old name never comes back', async () => {
    const outcomes = { savedThenMoved: 0, refused: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const from = `race-${i}.ipynb`;
      const to = `race-${i}-renamed.ipynb`;
      const opened = await wb.store.create(from);
      const [saved, renamed] = await race(
        i,
        () => save(from, `edit ${i}`, opened.version),
        () => browserFetch(wb, `/api/notebooks/${from}/rename`, { method: 'POST', body: { to } }),
      );
      expect(renamed.status).toBe(200);
      expect(await onDisk(from), `round ${i}: the old name came back`).toBeUndefined();
      if (saved.status === 200) {
        expect(await sourceOf(to), `round ${i}: an acknowledged save was lost`).toBe(`edit ${i}`);
        outcomes.savedThenMoved++;
      } else {
        expect(saved.status).toBe(409);
        expect((await saved.json()).renamedTo).toBe(to);
        expect(await sourceOf(to)).toBe('');
        outcomes.refused++;
      }
      expect((await onDisk(to))?.metadata.trailbook?.id).toBe((opened.notebook.metadata.trailbook as { id: string }).id);
    }
    console.log(`save vs rename, ${ROUNDS} rounds:`, outcomes);
  }, 120_000);

  it('a save racing a delete never re-creates the file; a rename onto a name being created never overwrites it', async () => {
    const outcomes = { deleteAfterSave: 0, saveRefused: 0, renameWon: 0, createWon: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const name = `gone-${i}.ipynb`;
      const opened = await wb.store.create(name);
      const [saved, deleted] = await race(
        i,
        () => save(name, `edit ${i}`, opened.version),
        () => browserFetch(wb, `/api/notebooks/${name}`, { method: 'DELETE' }),
      );
      expect(deleted.status).toBe(204);
      expect(await onDisk(name), `round ${i}: the deleted notebook came back`).toBeUndefined();
      expect([200, 409]).toContain(saved.status);
      if (saved.status === 200) outcomes.deleteAfterSave++;
      else outcomes.saveRefused++;

      // The rename's target is locked too: a create (PUT with version null) of that name races the rename.
      const source = `src-${i}.ipynb`;
      const target = `dst-${i}.ipynb`;
      await wb.store.create(source, { ...emptyNotebook(), cells: [cell(`source ${i}`)] });
      const [created, renamed] = await race(
        i,
        () => save(target, `created ${i}`, null),
        () => browserFetch(wb, `/api/notebooks/${source}/rename`, { method: 'POST', body: { to: target } }),
      );
      expect([created.status, renamed.status].sort(), `round ${i}`).toEqual([200, 409]);
      if (renamed.status === 200) {
        expect(await sourceOf(target)).toBe(`source ${i}`);
        expect(await onDisk(source)).toBeUndefined();
        outcomes.renameWon++;
      } else {
        expect(await sourceOf(target)).toBe(`created ${i}`);
        expect(await sourceOf(source)).toBe(`source ${i}`);
        outcomes.createWon++;
      }
    }
    console.log(`save vs delete and create vs rename, ${ROUNDS} rounds:`, outcomes);
  }, 120_000);

  it('a duplicate racing a save copies a whole version with a new id, and chained saves lose nothing', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const name = `dup-${i}.ipynb`;
      const opened = await wb.store.create(name);
      const [saved, duplicated] = await race(
        i,
        () => save(name, `edit ${i}`, opened.version),
        () => browserFetch(wb, `/api/notebooks/${name}/duplicate`, { method: 'POST', body: {} }),
      );
      expect([saved.status, duplicated.status]).toEqual([200, 201]);
      const copy = (await duplicated.json()) as { name: string; id: string };
      expect(['', `edit ${i}`]).toContain(await sourceOf(copy.name));
      expect(await sourceOf(name)).toBe(`edit ${i}`);
      expect((await onDisk(copy.name))?.metadata.trailbook?.id).toBe(copy.id);
      expect(copy.id).not.toBe((opened.notebook.metadata.trailbook as { id: string }).id);
    }
    // Two editors with the same base: exactly one save is accepted, and it is what is on disk.
    const opened = await wb.store.create('both.ipynb');
    const results = await Promise.all(Array.from({ length: 6 }, (_, k) => save('both.ipynb', `editor ${k}`, opened.version)));
    const accepted = results.flatMap((r, k) => (r.status === 200 ? [k] : []));
    expect(accepted).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    expect(await sourceOf('both.ipynb')).toBe(`editor ${accepted[0]}`);
    expect((await readdir(wb.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);
});

/**
 * Big notebooks never block other requests: parsing, validating and serialising run in worker
 * threads, and files over the limit are refused from their size alone. Measured as the ALB sees it:
 * /healthcheck latency while six clients download a ~90 MB notebook at once.
 */
describe('big notebooks over HTTP', () => {
  let wb: TestWorkbench;
  beforeAll(async () => {
    wb = await startTestWorkbench();
  });
  afterAll(() => wb?.stop());

  /** A GET or PUT with the token, body discarded as it streams: returns status and byte count. */
  const call = (path: string, init: { method?: string; headers?: Record<string, string | number>; body?: string } = {}) =>
    new Promise<{ status: number; bytes: number; ms: number }>((resolve, reject) => {
      const started = performance.now();
      const { port } = new URL(wb.url);
      const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: { authorization: `token ${TOKEN}`, ...init.headers } }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }));
      });
      req.on('error', reject);
      req.end(init.body);
    });

  /**
   * `count` concurrent GETs from a separate process, as remote browsers would be: receiving 6 x 90 MB in
   * this process would load the very event loop being measured.
   */
  const downloadElsewhere = async (path: string, count: number): Promise<{ status: number; bytes: number; ms: number }[]> => {
    const script = `
      const { request } = require('node:http');
      const get = () => new Promise((resolve, reject) => {
        const started = performance.now();
        request(process.argv[1], { headers: { authorization: 'token ' + process.argv[2] } }, (res) => {
          let bytes = 0;
          res.on('data', (c) => (bytes += c.length));
          res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - started }));
        }).on('error', reject).end();
      });
      Promise.all(Array.from({ length: Number(process.argv[3]) }, get)).then((r) => process.stdout.write(JSON.stringify(r)));`;
    const child = spawn(process.execPath, ['-e', script, `${wb.url}${path}`, TOKEN, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    return JSON.parse(out);
  };

  const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

  it('answers /healthcheck promptly while six clients open a ~90 MB notebook', async () => {
    // ~90 MB the way Jupyter stores long outputs: stream text as arrays of lines.
    const line = `${'x'.repeat(90)}\n`;
    const cells = Array.from({ length: 300 }, (_, i) => ({
      id: `c${i}`,
      cell_type: 'code' as const,
      source: `print(${i})\n`,
      metadata: {},
      execution_count: i + 1,
      outputs: [{ output_type: 'stream' as const, name: 'stdout' as const, text: Array.from({ length: 3000 }, () => line) }],
    }));
    const text = serialiseNotebook({ ...emptyNotebook(), cells });
    await writeFile(join(wb.dir, 'big.ipynb'), text);
    const size = Buffer.byteLength(text);
    expect(size).toBeGreaterThan(85 * 1024 * 1024);
    expect(size).toBeLessThan(100 * 1024 * 1024);

    let done = false;
    const latencies: number[] = [];
    // The server runs in this process: the event loop's own delay says whether anything blocked it,
    // apart from the machine's load delaying the probes.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const probe = (async () => {
      while (!done) {
        const started = performance.now();
        const res = await fetch(`${wb.url}/healthcheck`);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = performance.now();
    const opens = await downloadElsewhere('/api/notebooks/big.ipynb', 6);
    const elapsed = performance.now() - started;
    done = true;
    await probe;
    loop.disable();

    for (const o of opens) expect(o.status).toBe(200);
    // The API wraps the notebook ({ name, version, notebook }) without the file's indentation: same content, fewer bytes.
    for (const o of opens) expect(o.bytes).toBeGreaterThan(size * 0.7);
    const sorted = [...latencies].sort((a, b) => a - b);
    const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1]!];
    console.log(
      `six concurrent GETs of a ${(size / 1024 / 1024).toFixed(1)} MB notebook: done in ${(elapsed / 1000).toFixed(1)} s (slowest GET ${(Math.max(...opens.map((o) => o.ms)) / 1000).toFixed(1)} s); ` +
        `/healthcheck over ${sorted.length} probes: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; ` +
        `event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
    );
    expect(sorted.length).toBeGreaterThan(10);
    expect(p99).toBeLessThan(500); // target < 100 ms; generous for a loaded 2-core CI machine
  }, 300_000);

  it('refuses a 200 MB notebook with 413 at once, on open, on save and in the list', async () => {
    // A fresh server: the six-client test above may leave its worker still parsing the 90 MB file.
    await wb.stop();
    wb = await startTestWorkbench();
    await writeFile(join(wb.dir, 'giant.ipynb'), '');
    await truncate(join(wb.dir, 'giant.ipynb'), 200 * 1024 * 1024); // sparse: the size is what matters, it is never read
    const open = await call('/api/notebooks/giant.ipynb');
    expect(open.status).toBe(413);
    expect(open.ms).toBeLessThan(2000);
    const body = await (await browserFetch(wb, '/api/notebooks/giant.ipynb')).json();
    expect(body.error).toBe('Notebook "giant.ipynb" is too large to open (200 MB, limit 100 MB)');
    const listed = (await (await browserFetch(wb, '/api/notebooks')).json()).notebooks.find((n: { name: string }) => n.name === 'giant.ipynb');
    expect(listed.error).toBe('too large to open (200 MB, limit 100 MB)');
    // A save declaring 200 MB is refused from its Content-Length, before the body is read.
    const save = await new Promise<{ status: number; text: string; ms: number }>((resolve, reject) => {
      const started = performance.now();
      const { port } = new URL(wb.url);
      const req = request(
        { host: '127.0.0.1', port, path: '/api/notebooks/giant-save.ipynb', method: 'PUT', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json', 'content-length': 200 * 1024 * 1024 } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - started }));
        },
      );
      req.on('error', (err) => (/EPIPE|ECONNRESET/.test(String(err)) ? undefined : reject(err)));
      req.write('{"notebook":');
    });
    expect(save.status).toBe(413);
    expect(JSON.parse(save.text).error).toMatch(/too large to save/);
    expect(save.ms).toBeLessThan(2000);
    expect(await readdir(wb.dir)).not.toContain('giant-save.ipynb');
    // A streamed body (no Content-Length) is cut off once it passes the limit.
    const chunked = await new Promise<number>((resolve, reject) => {
      const { port } = new URL(wb.url);
      const req = request({ host: '127.0.0.1', port, path: '/api/notebooks/giant-save.ipynb', method: 'PUT', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => (/EPIPE|ECONNRESET/.test(String(err)) ? undefined : reject(err)));
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 110 && req.write(chunk)) sent++;
        if (sent < 110 && !req.destroyed) req.once('drain', () => (sent++, pump()));
        else req.end();
      };
      pump();
    });
    expect(chunked).toBe(413);
  }, 120_000);
});
