import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FromWorker, ToWorker } from '../../../cloudtrail/readers/parse-worker.ts';
import { parserWorkerCode } from '../../../cloudtrail/readers/worker-code.ts';
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
