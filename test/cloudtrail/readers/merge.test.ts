import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactBuilder, type CompactResult } from '../../../cloudtrail/readers/compact.ts';
import { mergeParts, partOrder, sortPart, withColumns, type EventColumns } from '../../../cloudtrail/readers/columns.ts';
import { COL, COLUMNS, NCOL } from '../../../cloudtrail/readers/compact.ts';
import { idAt } from '../../../cloudtrail/readers/event-ids.ts';
import { textAt } from '../../../cloudtrail/readers/text-column.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-merge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Files whose events tie on time often, with canonical UUIDs, other ids, resources on some, and events repeated in other files. */
function files(): string[] {
  mkdirSync(tmp, { recursive: true });
  const out: string[] = [];
  for (let f = 0; f < 12; f++) {
    const records = Array.from({ length: 40 }, (_, i) => {
      const n = (f * 7 + i * 13) % 50;
      const id = n % 5 === 0 ? `OTHER-${n % 3}` : n % 7 === 0 ? undefined : `${(n * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-0000-4000-8000-${String(n % 4).padStart(12, '0')}`;
      return { eventTime: `2026-10-27T04:00:0${n % 4}Z`, eventSource: 's.amazonaws.com', eventName: `N${n % 6}`, ...(id ? { eventID: id } : {}), requestID: `r${n % 2}`, ...(n % 3 === 0 ? { resources: [{ ARN: `arn:aws:s3:::bucket-${n}`, type: 'AWS::S3::Bucket' }] } : {}) };
    });
    const file = join(tmp, `f${f}.json`);
    writeFileSync(file, JSON.stringify({ Records: records }));
    out.push(file);
  }
  // A file repeated: every event of it ties on time and id with the same event of another part.
  out.push(out[3]);
  return out;
}

/** The order the store promises, computed the plain way: time, then id text, then file order of the whole list. */
function expected(parts: CompactResult[]): [number, string, number, number][] {
  const all = parts.flatMap((p) => Array.from({ length: p.count }, (_, i) => [p.times[i], idAt(p.ids, i), p.fileIdx[i], p.recIdx[i]] as [number, string, number, number]));
  return all.map((e, g) => [e, g] as const).sort(([a, g], [b, h]) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || g - h).map(([e]) => e);
}

/**
 * Files in time order as a parser thread gets them, each overlapping its neighbours: file f's events fall in seconds
 * [3f, 3f + 8), a few per second, so runs of files overlap where they meet; ids repeat across files now and then.
 */
function timedFiles(): string[] {
  const dir = join(tmp, 'timed');
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: 30 }, (_, f) => {
    const records = Array.from({ length: 25 }, (_, i) => {
      const n = (f * 11 + i * 17) % 97;
      const second = 3 * f + ((i * 5) % 8);
      const id = n % 9 === 0 ? `other-${n % 4}` : `${(n * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-0000-4000-8000-${String(n % 3).padStart(12, '0')}`;
      return { eventTime: new Date(Date.UTC(2026, 9, 27, 4, 0, second)).toISOString().replace('.000', ''), eventSource: 's.amazonaws.com', eventName: `N${n % 5}`, eventID: id, awsRegion: `r${f % 3}`, readOnly: n % 3 === 0, ...(n % 4 === 0 ? { resources: [{ ARN: `arn:aws:s3:::b-${n}`, type: 'AWS::S3::Bucket' }] } : {}) };
    });
    const file = join(dir, `t${f}.json`);
    writeFileSync(file, JSON.stringify({ Records: records }));
    return file;
  });
}

describe('mergeParts', () => {
  const list = files();
  const build = (split: number[][], runEvents?: number, from = list) =>
    split.map((indexes) => {
      const b = new CompactBuilder(true, undefined, runEvents);
      for (const i of indexes) b.addFile(i, from[i]);
      return b.finish();
    });

  it.each([
    ['one part', [list.map((_, i) => i)]],
    ['two parts in batches', [[0, 1, 2, 6, 7, 8, 12], [3, 4, 5, 9, 10, 11]]],
    ['three parts', [[0, 3, 6, 9, 12], [1, 4, 7, 10], [2, 5, 8, 11]]],
    // One file per part: runs of tied times of ~10 events (the insertion sort), where whole parts have runs of ~50 (the builtin sort).
    ['one file per part', list.map((_, i) => [i])],
    // A part whose later files came in in reverse, as a thread's batches taken from the end of another thread's share.
    ['a part with files in reverse', [[0, 1, 12, 11, 10, 9], [2, 3, 4, 5, 6, 7, 8]]],
  ])('%s: events in (time, id) order, ties in file-list order, with or without the threads\' own orders, and gathered column by column', (_, split) => {
    for (const given of ['plain', 'ordered', 'gathered'] as const) {
      // As built (sorted runs), or without runs: gathered through partOrder's order or a given one.
      const built = build(split as number[][]);
      const parts = given === 'plain' ? built : built.map((p) => ({ ...p, runs: undefined, order: given === 'ordered' ? partOrder(p) : undefined }));
      const want = expected(parts);
      const c = mergeParts(parts);
      const got = Array.from({ length: c.count }, (_, k) => [c.times[k], idAt(c.ids(), k), c.later().fileIdx[k], c.later().recIdx[k]]);
      expect(got).toEqual(want);
      expect(new Set(want.map((e) => e[1])).size).toBeLessThan(want.length);
    }
  });

  /** Each event's (time, id, file, record) and the text of each of its string columns, in merged order. */
  const rows = (c: EventColumns) =>
    Array.from({ length: c.count }, (_, k) => [c.times[k], idAt(c.ids(), k), c.later().fileIdx[k], c.later().recIdx[k], c.readOnly[k], ...c.cols.map((col) => c.strings[col[k]])]);
  /** The resources and id text of each event, in merged order. */
  const texts = (c: EventColumns) => Array.from({ length: c.count }, (_, k) => [textAt(c.later().resources, k), idAt(c.ids(), k)]);
  /** readOnly and the string columns of the event of file f, record r. */
  const rowsOf = (c: EventColumns, f: number, r: number) => {
    const k = Array.from({ length: c.count }, (_, k) => k).find((k) => c.later().fileIdx[k] === f && c.later().recIdx[k] === r)!;
    return [c.readOnly[k], ...c.cols.map((col) => c.strings[col[k]])];
  };

  it('gives the same columns from parts laid out column by column (as parser threads hand them over) as from row-major parts', () => {
    const split = [[0, 1, 2, 6, 7, 8, 12], [3, 4, 5, 9, 10, 11]];
    const plain = mergeParts(build(split));
    // Sorted in place then laid out, or gathered in order straight into columns (what the threads do).
    for (const byColumn of [mergeParts(build(split).map((p) => withColumns(sortPart(p)))), mergeParts(build(split).map(withColumns))]) {
      expect(byColumn.strings).toEqual(plain.strings);
      expect(rows(byColumn)).toEqual(rows(plain));
      expect(Array.from({ length: byColumn.count }, (_, k) => [textAt(byColumn.later().resources, k), idAt(byColumn.ids(), k)])).toEqual(Array.from({ length: plain.count }, (_, k) => [textAt(plain.later().resources, k), idAt(plain.ids(), k)]));
    }
    // The first part's numbering is kept, the second's is remapped into it.
    const parts = build(split);
    const merged = mergeParts(parts);
    const text = (p: (typeof parts)[number], k: number) => COLUMNS.map((_, c) => p.strings[p.cols[c][k]]);
    const want = parts.flatMap((p) => Array.from({ length: p.count }, (_, k) => [p.fileIdx[k], p.recIdx[k], ...text(p, k)].join('|'))).sort();
    const got = Array.from({ length: merged.count }, (_, k) => [merged.later().fileIdx[k], merged.later().recIdx[k], ...merged.cols.map((col) => merged.strings[col[k]])].join('|')).sort();
    expect(got).toEqual(want);
    expect(merged.strings.slice(0, parts[0].strings.length)).toEqual(parts[0].strings);
  });

  it('puts a part in (time, id) order with events of equal time and id in part order, in short runs of tied times and long ones', () => {
    // Times drawn from few seconds or many (runs of ~40 or ~3 events), UUIDs from a pool of 4 so that ids repeat.
    for (const seconds of [5, 60]) {
      const n = 200;
      const times = Float64Array.from({ length: n }, (_, k) => 1_700_000_000_000 + ((k * 37) % seconds) * 1000);
      const uuids = new Uint8Array(16 * n);
      for (let k = 0; k < n; k++) for (let b = 0; b < 16; b++) uuids[16 * k + b] = b === 15 ? 1 + ((k * 7) % 4) : 0x20;
      const empty = { bytes: new Uint8Array(0), ends: new Uint32Array(n), ascii: true };
      const part = { count: n, strings: [''], times, fileIdx: new Uint32Array(n), recIdx: Uint32Array.from({ length: n }, (_, k) => k), cols: Array.from({ length: NCOL }, () => new Uint16Array(n)), readOnly: new Uint8Array(n), ids: { uuids, other: empty }, resources: empty, outcomes: [] } satisfies CompactResult;
      const want = Array.from({ length: n }, (_, k) => k).sort((a, b) => times[a] - times[b] || uuids[16 * a + 15] - uuids[16 * b + 15] || a - b);
      expect(Array.from(partOrder(part))).toEqual(want);
      expect(Array.from(withColumns(part).recIdx)).toEqual(want);
    }
  });

  const timed = timedFiles();
  const all = timed.map((_, i) => i);
  it.each([
    ['one part', [all]],
    ['two parts, each a stretch of time', [all.slice(0, 15), all.slice(15)]],
    ['a part that took the other\'s last files, latest first', [[...all.slice(0, 12), 29, 28, 27, 26, 25], all.slice(12, 25)]],
    ['batches dealt in turn', [all.filter((i) => i % 4 < 2), all.filter((i) => i % 4 >= 2)]],
    ['a file twice in one part, in two runs, and once in the other', [[...all.slice(0, 10), 4], all.slice(10)]],
    ['an empty part first and last', [[], all, []]],
    ['every part empty', [[], []]],
  ])('%s: parts sorted run by run as they are built merge into the order of the whole (time, id, build order)', (_, split) => {
    // Whole parts sorted at the end (one run each) are the reference, and sortPart's order agrees with it.
    const reference = mergeParts(build(split as number[][], Infinity, timed));
    expect(rows(mergeParts(build(split as number[][], Infinity, timed).map((p) => withColumns(sortPart(p)))))).toEqual(rows(reference));
    expect(rows(reference)).toEqual(expected(build(split as number[][], Infinity, timed)).map(([t, id, f, r]) => [t, id, f, r, ...rowsOf(reference, f, r)]));
    // Runs of one event (every event its own run), of a file or less, of about a batch, overlapping or not.
    for (const runEvents of [1, 7, 25, 60, 200]) {
      const parts = build(split as number[][], runEvents, timed);
      if (reference.count > 0) expect(Math.max(...parts.map((p) => p.runs!.length))).toBeGreaterThan(1);
      for (const given of [parts, parts.map(withColumns)]) {
        const merged = mergeParts(given);
        expect(merged.strings).toEqual(reference.strings);
        expect(rows(merged)).toEqual(rows(reference));
        expect(texts(merged)).toEqual(texts(reference));
      }
    }
  });

  it('merges runs whose events all tie on time, ids repeated across runs and parts, as the whole part sorted at once', () => {
    // `files()` has four distinct seconds: every run overlaps every other, so the merge takes a few events at a time.
    for (const split of [[list.map((_, i) => i)], [[0, 1, 2, 6, 7, 8, 12], [3, 4, 5, 9, 10, 11]], [[0, 1, 12, 11, 10, 9], [2, 3, 4, 5, 6, 7, 8]]]) {
      const reference = mergeParts(build(split, Infinity));
      for (const runEvents of [1, 3, 40, 100]) {
        const merged = mergeParts(build(split, runEvents).map(withColumns));
        expect(rows(merged)).toEqual(rows(reference));
        expect(texts(merged)).toEqual(texts(reference));
      }
    }
  });

  it('widens a part\'s string ids to 32 bits when its table passes 65,536 strings in the middle of a file and of a run', () => {
    // Every record a new user agent and address: the 65,537th string comes in record ~32,700 of one file.
    const n = 40_000;
    const records = Array.from({ length: n }, (_, i) => ({ eventTime: `2026-10-27T04:${String(59 - (i % 60)).padStart(2, '0')}:00Z`, eventSource: 's.amazonaws.com', eventName: `N${i % 3}`, eventID: `id-${i}`, userAgent: `ua-${i}`, sourceIPAddress: `10.0.${i >> 8}.${i & 255}` }));
    const file = join(tmp, 'wide.json');
    writeFileSync(file, JSON.stringify({ Records: records }));
    const b = new CompactBuilder(true, undefined, 5_000);
    b.addFile(0, list[0]);
    b.addFile(1, file);
    const part = b.finish();
    expect(part.strings.length).toBeGreaterThan(0x10000);
    expect(part.cols.every((col) => col instanceof Uint32Array)).toBe(true);
    const merged = mergeParts([part]);
    expect(rows(merged)).toEqual(rows(mergeParts([sortPart(part)])));
    for (let k = 0; k < merged.count; k++) {
      const rec = merged.later().recIdx[k];
      if (merged.later().fileIdx[k] !== 1) continue;
      expect([merged.strings[merged.cols[COL.userAgent][k]], merged.strings[merged.cols[COL.sourceIp][k]], merged.strings[merged.cols[COL.name][k]]]).toEqual([`ua-${rec}`, `10.0.${rec >> 8}.${rec & 255}`, `N${rec % 3}`]);
    }
  });

  it('widens string ids to 32 bits when the merged table outgrows 16, from parts that each fit in 16', () => {
    // Two synthetic sorted parts of 40,000 distinct strings each: 80,001 strings merged.
    const part = (tag: string, t0: number) => {
      const n = 40_000;
      const strings = ['', ...Array.from({ length: n - 1 }, (_, i) => `${tag}${i}`)];
      const cols = Array.from({ length: NCOL }, (_, c) => Uint16Array.from({ length: n }, (_, k) => (k + c) % n));
      const times = Float64Array.from({ length: n }, (_, k) => t0 + k);
      const uuids = new Uint8Array(16 * n);
      for (let k = 0; k < n; k++) uuids[16 * k] = 1 + (k % 200);
      const empty = { bytes: new Uint8Array(0), ends: new Uint32Array(n), ascii: true };
      return { count: n, strings, times, fileIdx: new Uint32Array(n), recIdx: Uint32Array.from({ length: n }, (_, k) => k), cols, readOnly: new Uint8Array(n), ids: { uuids, other: empty }, resources: empty, outcomes: [], sorted: true } satisfies CompactResult;
    };
    const parts = () => [part('a', 0), part('b', 100_000)];
    for (const given of [parts(), parts().map(withColumns)]) {
      const merged = mergeParts(given);
      expect(merged.strings.length).toBe(2 * 40_000 - 1);
      expect(merged.cols[0]).toBeInstanceOf(Uint32Array);
      // b's events all come after a's.
      for (const k of [0, 1, 39_999, 40_000, 40_001, 65_535, 65_536, 79_999]) {
        const from = k < 40_000 ? 'a' : 'b';
        const i = k % 40_000;
        expect(merged.later().recIdx[k]).toBe(i);
        for (let c = 0; c < NCOL; c++) {
          const id = (i + c) % 40_000;
          expect(merged.strings[merged.cols[c][k]]).toBe(id === 0 ? '' : `${from}${id - 1}`);
        }
      }
    }
  });
});
