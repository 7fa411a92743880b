import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactBuilder } from '../../../cloudtrail/readers/compact.ts';
import { startParserThreads } from '../../../cloudtrail/readers/parser-threads.ts';
import { listCloudTrailFilesSync } from '../../../cloudtrail/readers/walk.ts';
import { parserWorkerCode } from '../../../cloudtrail/readers/worker-code.ts';
import { INVICTUS, STRATUS } from '../../fixtures/cloudtrail/index.ts';

const run = promisify(execFile);
const files = listCloudTrailFilesSync(INVICTUS).files;
/** Events per file as the calling thread parses them: what the threads must give, whichever thread read a file. */
const expected = (() => {
  const b = new CompactBuilder();
  return files.map((f, i) => b.addFile(i, f).events);
})();

/** Events per file of the parts the threads gave back. */
function eventsPerFile(parts: { count: number; fileIdx: Uint32Array }[]): number[] {
  const out = files.map(() => 0);
  for (const p of parts) for (let k = 0; k < p.count; k++) out[p.fileIdx[k]]++;
  return out;
}

describe('parser threads started before the files are known', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('parse every file once in the threads asked for, the others ended', async () => {
    const threads = startParserThreads(3, parserWorkerCode());
    let progressed = 0;
    const parts = await threads.parse(files, 2, (n) => (progressed += n));
    expect(parts).toHaveLength(2);
    expect(progressed).toBe(files.length);
    expect(eventsPerFile(parts)).toEqual(expected);
  }, 60_000);

  it('run from worker-entry.mjs through tsx when there is no bundle (a deployment without esbuild)', async () => {
    const parts = await startParserThreads(1, Promise.resolve(undefined)).parse(files, 1, () => undefined);
    expect(eventsPerFile(parts)).toEqual(expected);
  }, 60_000);

  it('wait for `start` before reading a file, and fail with it', async () => {
    let opened!: () => void;
    const start = new Promise<void>((resolve) => (opened = resolve));
    let progressed = 0;
    const parsing = startParserThreads(2, parserWorkerCode()).parse(files, 2, (n) => (progressed += n), start);
    await new Promise((r) => setTimeout(r, 300));
    expect(progressed).toBe(0);
    opened();
    expect(eventsPerFile(await parsing)).toEqual(expected);
    await expect(startParserThreads(2, parserWorkerCode()).parse(files, 2, () => undefined, Promise.reject(new Error('stat failed')))).rejects.toThrow('stat failed');
  }, 60_000);

  it('fail the parse when their code does not run, so the caller can parse on its own thread', async () => {
    await expect(startParserThreads(2, Promise.resolve('throw new Error("no such worker")')).parse(files, 2, () => undefined)).rejects.toThrow('no such worker');
  }, 60_000);

  it('are ended when the load needs none or fails: the process exits on its own', async () => {
    // Each open has a fresh index directory, so the store starts its threads before it lists the files. A thread
    // left running would keep the child alive until the timeout.
    const cache = mkdtempSync(join(tmpdir(), 'trailbook-early-threads-'));
    roots.push(cache);
    // Three files: too few for threads (the load parses them on its own thread).
    const small = join(cache, 'small');
    mkdirSync(small);
    for (const f of listCloudTrailFilesSync(STRATUS).files.slice(0, 3)) copyFileSync(f, join(small, basename(f)));
    const store = pathToFileURL(join(import.meta.dirname, '../../../cloudtrail/stores/files.ts')).href;
    const script = `
      const { openFilesStore } = await import(${JSON.stringify(store)});
      const small = await openFilesStore(${JSON.stringify(small)}, { cacheDir: ${JSON.stringify(join(cache, 'a'))} });
      await small.indexSaved;
      console.log('small', small.stats.files, small.stats.threads);
      await openFilesStore(${JSON.stringify(join(cache, 'missing'))}, { cacheDir: ${JSON.stringify(join(cache, 'b'))} }).then(() => console.log('opened'), () => console.log('refused'));
      // Two threads started, one used (55 files: one batch), the other ended.
      const threads = await openFilesStore(${JSON.stringify(INVICTUS)}, { cacheDir: ${JSON.stringify(join(cache, 'c'))}, workers: 2 });
      await threads.indexSaved;
      console.log('threads', threads.stats.threads, threads.stats.events);
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 45_000, env: { ...process.env, NODE_OPTIONS: '' } });
    expect(stdout.trim().split('\n')).toEqual(['small 3 0', 'refused', `threads 1 ${expected.reduce((a, b) => a + b, 0)}`]);
  }, 60_000);
});
