import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FromWorker, ToWorker } from '../../../cloudtrail/readers/parse-worker.ts';
import { cachedBundle, cachedBundlePath, parserWorkerCode } from '../../../cloudtrail/readers/worker-code.ts';
import { idAt } from '../../../cloudtrail/readers/event-ids.ts';
import { fixtureRecords } from '../../mcp/fixture.ts';

describe('the bundled parser worker', () => {
  it('runs as plain JavaScript (no TypeScript loader) and parses delivery files into compact columns', async () => {
    const code = await parserWorkerCode();
    expect(code).toMatch(/CompactBuilder/);
    // zod (the record schemas) was 751 of 827 KB each thread evaluated: the threads use record-nulls.ts instead.
    expect(code).not.toMatch(/node_modules[\\/]zod/);
    expect(code!.length).toBeLessThan(200_000);
    const dir = await mkdtemp(join(tmpdir(), 'trailbook-worker-code-'));
    const file = join(dir, 'a.json.gz');
    await writeFile(file, gzipSync(JSON.stringify({ Records: fixtureRecords(30) })));
    // No execArgv: the parent's `--import tsx` (if any) does not reach it.
    const worker = new Worker(code!, { eval: true, execArgv: [] });
    try {
      const messages: FromWorker[] = [];
      const result = await new Promise<Extract<FromWorker, { type: 'result' }>>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (m: FromWorker) => {
          messages.push(m);
          if (m.type === 'ready') worker.postMessage({ type: 'files', files: [[0, file]] } satisfies ToWorker);
          else if (m.type === 'progress') worker.postMessage({ type: 'done' } satisfies ToWorker);
          else resolve(m);
        });
      });
      expect(messages.map((m) => m.type)).toEqual(['ready', 'progress', 'result']);
      expect(result.result.count).toBe(30);
      expect(Array.from({ length: 30 }, (_, i) => idAt(result.result.ids, i))).toEqual(fixtureRecords(30).map((r) => r.eventID));
    } finally {
      await worker.terminate();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the cached bundle', () => {
  /** A two-module project in a temporary directory: entry.ts prints what dep.ts exports. */
  async function project() {
    const root = await mkdtemp(join(tmpdir(), 'trailbook-bundle-cache-'));
    await writeFile(join(root, 'entry.ts'), "import { value } from './dep.ts';\nconsole.log(value);\n");
    await writeFile(join(root, 'dep.ts'), 'export const value: string = "first";\n');
    return { root, entry: join(root, 'entry.ts'), file: join(root, 'cache', 'bundle.cjs') };
  }

  it('is built once, then read back while its sources are unchanged', async () => {
    const { root, entry, file } = await project();
    try {
      const first = await cachedBundle(entry, root, file);
      expect(first).toMatchObject({ built: true });
      expect(first!.code).toMatch(/"first"/);
      expect(await cachedBundle(entry, root, file)).toEqual({ code: first!.code, built: false });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('is built again when a source it was made from changes, even keeping its size and modification time', async () => {
    const { root, entry, file } = await project();
    try {
      await cachedBundle(entry, root, file);
      const dep = join(root, 'dep.ts');
      const { mtime } = await stat(dep);
      await writeFile(dep, 'export const value: string = "other";\n');
      await utimes(dep, mtime, mtime);
      const again = await cachedBundle(entry, root, file);
      expect(again).toMatchObject({ built: true });
      expect(again!.code).toMatch(/"other"/);
      expect(again!.code).not.toMatch(/"first"/);
      // A new import is an input too: the entry changed, so it is rebuilt, and the new module is then watched.
      await writeFile(join(root, 'more.ts'), 'export const more: string = "more";\n');
      await writeFile(entry, "import { value } from './dep.ts';\nimport { more } from './more.ts';\nconsole.log(value, more);\n");
      expect(await cachedBundle(entry, root, file)).toMatchObject({ built: true });
      await writeFile(join(root, 'more.ts'), 'export const more: string = "changed";\n');
      const last = await cachedBundle(entry, root, file);
      expect(last).toMatchObject({ built: true });
      expect(last!.code).toMatch(/"changed"/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);

  it.each([
    ['cut short', (text: string) => text.slice(0, text.length - 20)],
    ['with a byte of code changed', (text: string) => text.replace('"first"', '"fir$t"')],
    ['with a damaged header', (text: string) => text.replace('"inputs"', '"inpu+s"')],
    ['empty', () => ''],
  ])('is built again, not used, when the cached file is %s', async (_, damage) => {
    const { root, entry, file } = await project();
    try {
      const first = await cachedBundle(entry, root, file);
      await writeFile(file, damage(await readFile(file, 'utf8')));
      expect(await cachedBundle(entry, root, file)).toEqual({ code: first!.code, built: true });
      // And rewritten whole.
      expect(await cachedBundle(entry, root, file)).toEqual({ code: first!.code, built: false });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('serves the parser worker from the cache directory it was given', async () => {
    const cacheRoot = await mkdtemp(join(tmpdir(), 'trailbook-bundle-root-'));
    try {
      const code = await parserWorkerCode(cacheRoot);
      expect(code).toMatch(/CompactBuilder/);
      const text = await readFile(cachedBundlePath(cacheRoot), 'utf8');
      expect(text.endsWith(code!)).toBe(true);
      // Every module of the worker is recorded, none of zod.
      expect(text.split('\n')[0]).toMatch(/cloudtrail\/readers\/compact\.ts/);
    } finally {
      await rm(cacheRoot, { recursive: true, force: true });
    }
  }, 60_000);
});
