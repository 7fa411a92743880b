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

/**
 * The loader's use of a dispatch, in simulated time: each thread keeps two batches in flight, asks for the next when
 * one is done, and parses a file in `cost(file) / speed[thread]`; a thread starts at `delay[thread]`. Gives each
 * thread's files, in the order handed out, and the time it ran out of work.
 */
function simulate(files: string[], batch: number, speed: number[], delay: number[], cost: (file: number) => number) {
  const threads = speed.length;
  const d = new FileDispatch(files, threads, batch);
  const parts: number[][] = speed.map(() => []);
  const queues: number[][][] = speed.map(() => []);
  const clock = [...delay];
  const ended = speed.map(() => false);
  const ask = (w: number) => {
    const got = d.next(w);
    if (got.length) queues[w].push(got);
    else ended[w] = true;
  };
  for (let w = 0; w < threads; w++) ask(w), ask(w);
  // Always advance the thread that finishes its current batch first.
  for (;;) {
    let w = -1;
    for (let t = 0; t < threads; t++) if (queues[t].length && (w < 0 || clock[t] < clock[w])) w = t;
    if (w < 0) break;
    const b = queues[w].shift()!;
    for (const f of b) clock[w] += cost(f) / speed[w];
    parts[w].push(...b);
    if (!ended[w]) ask(w);
  }
  return { parts, finish: clock };
}

/** How many times the thread changes along the files in time order: each change is one more run for the merge. */
function changesAlongTime(files: string[], parts: number[][]): number {
  const threadOf = new Map(parts.flatMap((p, w) => p.map((i) => [i, w] as const)));
  const byTime = files.map((_, i) => i).sort((a, b) => (timeOf(files[a]) < timeOf(files[b]) ? -1 : timeOf(files[a]) > timeOf(files[b]) ? 1 : a - b));
  let changes = 0;
  for (let k = 1; k < byTime.length; k++) if (threadOf.get(byTime[k]) !== threadOf.get(byTime[k - 1])) changes++;
  return changes;
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
    // took the later half of another's share (a few times), never batch by batch as dealing in turn does
    // (288 files in batches of 7: over 40 changes).
    expect(changesAlongTime(files, parts)).toBeLessThanOrEqual(12);
  });

  it.each([
    ['at the same pace', [1, 1], [0, 0]],
    ['one thread started late', [1, 1], [0, 300]],
    ['one thread three times slower', [1, 1 / 3], [0, 0]],
    ['three threads, unequal', [1, 0.5, 0.8], [0, 50, 10]],
  ])('threads %s run out of files together, every file given once, each thread reading forward in time', (_, speed, delay) => {
    // 22 times the test's files, as at 1M events: 6,336 files, 99 batches of 64.
    const many = Array.from({ length: 22 }, (_, k) => files.map((f) => f.replace('_abc.', `_${k}.`))).flat();
    // A file costs 1 to 2 units, varying along the list.
    const cost = (f: number) => 1 + ((f * 7919) % 101) / 101;
    const { parts, finish } = simulate(many, 64, speed, delay, cost);
    expect(parts.flat().sort((a, b) => a - b)).toEqual(many.map((_, i) => i));
    // Within two batches of the smallest size (4 files) of the slowest thread: whole batches of 64 to the last left
    // one thread up to two of them (up to 256 units here) after the other had nothing.
    const slowest = Math.min(...speed);
    expect(Math.max(...finish) - Math.min(...finish)).toBeLessThanOrEqual((2 * 4 * 2) / slowest);
    // Each thread's files come in time order but at a few jumps (where it took over part of another's share).
    for (const p of parts) {
      let back = 0;
      for (let k = 1; k < p.length; k++) if (timeOf(many[p[k]]) < timeOf(many[p[k - 1]])) back++;
      expect(back).toBeLessThanOrEqual(12);
    }
    expect(changesAlongTime(many, parts)).toBeLessThanOrEqual(30);
  });

  it('hands out names without a delivery time first, in list order', () => {
    const list = ['x/b.json', 'x/a.json', ...files.slice(0, 3)];
    expect(new FileDispatch(list, 1, 2).next(0)).toEqual([0, 1]);
  });

  it('answers an empty batch for no files', () => {
    expect(new FileDispatch([], 2, 64).next(1)).toEqual([]);
  });
});
