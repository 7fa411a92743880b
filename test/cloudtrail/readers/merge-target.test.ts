import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactBuilder, NCOL } from '../../../cloudtrail/readers/compact.ts';
import { mergeParts, type EventColumns } from '../../../cloudtrail/readers/columns.ts';
import { MergeTarget } from '../../../cloudtrail/readers/merge-target.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-merge-target-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `n` events over 20 seconds, in two parts, each file a stretch of time. */
function parts(n: number, strings = (i: number) => `ua-${i % 50}`) {
  const file = (name: string, from: number, to: number) => {
    const path = join(tmp, name);
    const records = Array.from({ length: to - from }, (_, j) => {
      const i = from + j;
      return { eventTime: `2026-10-27T04:00:${String(Math.floor((20 * i) / n)).padStart(2, '0')}Z`, eventSource: 's.amazonaws.com', eventName: `N${i % 7}`, eventID: `id-${i}`, userAgent: strings(i), readOnly: i % 2 === 0 };
    });
    writeFileSync(path, JSON.stringify({ Records: records }));
    return path;
  };
  const half = n >> 1;
  return [file('a.json', 0, half), file('b.json', half, n)].map((path, i) => {
    const b = new CompactBuilder(true, undefined, 100);
    b.addFile(i, path);
    return b.finish();
  });
}

const columns = (c: EventColumns) => ({ times: Array.from(c.times), readOnly: Array.from(c.readOnly), cols: c.cols.map((col) => Array.from(col)), strings: c.strings });

describe('MergeTarget', () => {
  it('gives mergeParts memory it touched as events came in, and the merge the same columns as in fresh arrays', () => {
    const target = new MergeTarget();
    // Reported as a load reports: 500 events from 10 of 40 files project to 2,000 and a quarter more.
    target.reserve(500, 10, 40);
    expect(target.fits(3_000)).toBe(true);
    expect(target.fits(3_600)).toBe(false);
    target.reserve(1_200, 30, 40);
    const got = mergeParts(parts(1_200), target);
    expect(got.times.buffer).toBe(target.times.buffer);
    expect(got.cols[0].buffer).toBe(target.cols[0].buffer);
    expect(got.count).toBe(1_200);
    expect(columns(got)).toEqual(columns(mergeParts(parts(1_200))));
  });

  it('grows when the events outrun the projection (it holds no data yet), and is passed by when too small', () => {
    // Room for 10 files of 1 event: 13 and 1,024 to spare.
    const target = new MergeTarget();
    target.reserve(10, 10, 10);
    expect(target.fits(1_037)).toBe(true);
    expect(target.fits(2_000)).toBe(false);
    target.reserve(2_000, 10, 10);
    expect(target.fits(2_000)).toBe(true);
    const small = new MergeTarget();
    small.reserve(10, 10, 10);
    const merged = mergeParts(parts(1_200), small);
    expect(merged.times.buffer).not.toBe(small.times.buffer);
    expect(columns(merged)).toEqual(columns(mergeParts(parts(1_200))));
  });

  it('leaves the string ids to fresh 32-bit columns when the merged table passes 65,536 strings', () => {
    const target = new MergeTarget();
    target.reserve(70_000, 1, 1);
    const merged = mergeParts(parts(70_000, (i) => `ua-${i}`), target);
    expect(merged.strings.length).toBeGreaterThan(0x10000);
    expect(merged.cols).toHaveLength(NCOL);
    expect(merged.cols.every((c) => c instanceof Uint32Array)).toBe(true);
    expect(merged.times.buffer).toBe(target.times.buffer);
    expect(columns(merged)).toEqual(columns(mergeParts(parts(70_000, (i) => `ua-${i}`))));
  });
});
