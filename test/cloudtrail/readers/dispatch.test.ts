import { describe, expect, it } from 'vitest';
import { FileDispatch } from '../../../cloudtrail/readers/dispatch.ts';

/** Delivery file names of two accounts and regions over `hours` hours, listed as a directory walk lists them. */
function names(hours: number): string[] {
  const out: string[] = [];
  for (const account of ['111122223333', '444455556666'])
    for (const region of ['us-east-1', 'eu-west-1'])
      for (let h = 0; h < hours; h++)
        for (const m of ['00', '05', '10']) out.push(`AWSLogs/${account}/CloudTrail/${region}/2026/10/27/${account}_CloudTrail_${region}_20261027T${String(h).padStart(2, '0')}${m}Z_abc.json.gz`);
  return out;
}
const timeOf = (f: string) => /_(\d{8}T\d{4})Z_/.exec(f)![1];

/** Asks each thread in turn (`pattern` repeats: thread numbers) until every thread is told there is no more. */
function deal(files: string[], threads: number, batch: number, pattern: number[]): number[][] {
  const d = new FileDispatch(files, threads, batch);
  const parts: number[][] = Array.from({ length: threads }, () => []);
  const finished = new Set<number>();
  for (let k = 0; finished.size < threads; k++) {
    const w = pattern[k % pattern.length];
    if (finished.has(w)) continue;
    const got = d.next(w);
    if (!got.length) finished.add(w);
    parts[w].push(...got);
  }
  return parts;
}

describe('FileDispatch', () => {
  const files = names(24);

  it.each([
    ['two threads at the same pace', 2, [0, 1]],
    ['one thread three times faster', 2, [0, 0, 0, 1]],
    ['the other thread faster', 2, [0, 1, 1, 1]],
    ['three threads', 3, [0, 1, 2, 2]],
  ])('%s: every file once, each thread a stretch of time', (_, threads, pattern) => {
    const parts = deal(files, threads as number, 7, pattern as number[]);
    expect(parts.flat().sort((a, b) => a - b)).toEqual(files.map((_, i) => i));
    // Stretches of time: along the files in time order, the thread changes only where shares meet or a thread
    // took from the end of another's share (a few times), never batch by batch as dealing in turn does.
    const threadOf = new Map(parts.flatMap((p, w) => p.map((i) => [i, w] as const)));
    const byTime = files.map((_, i) => i).sort((a, b) => (timeOf(files[a]) < timeOf(files[b]) ? -1 : timeOf(files[a]) > timeOf(files[b]) ? 1 : a - b));
    let changes = 0;
    for (let k = 1; k < byTime.length; k++) if (threadOf.get(byTime[k]) !== threadOf.get(byTime[k - 1])) changes++;
    expect(changes).toBeLessThanOrEqual(2 * (threads as number));
    // Dealt in turn, the same files change thread at almost every batch.
    expect(files.length / 7).toBeGreaterThan(20);
  });

  it('hands out names without a delivery time first, in list order', () => {
    const list = ['x/b.json', 'x/a.json', ...files.slice(0, 3)];
    expect(new FileDispatch(list, 1, 2).next(0)).toEqual([0, 1]);
  });

  it('answers an empty batch for no files', () => {
    expect(new FileDispatch([], 2, 64).next(1)).toEqual([]);
  });
});
