import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactBuilder, NCOL } from '../../../cloudtrail/readers/compact.ts';
import { mergeParts, type EventColumns } from '../../../cloudtrail/readers/columns.ts';
import { MergeTarget, SAMPLE_FILES, TOUCH_PER_CALL } from '../../../cloudtrail/readers/merge-target.ts';

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
    // Reported as a load reports: 300 events from the first 256 of 1,024 files project to 1,200 and a quarter more.
    target.reserve(300, SAMPLE_FILES, 1_024);
    expect(target.fits(2_524)).toBe(true);
    expect(target.fits(2_525)).toBe(false);
    expect(target.touchedEvents).toBe(300);
    target.reserve(1_200, 1_000, 1_024);
    expect(target.touchedEvents).toBe(1_200);
    const got = mergeParts(parts(1_200), target);
    expect(got.times.buffer).toBe(target.times.buffer);
    expect(got.cols[0].buffer).toBe(target.cols[0].buffer);
    expect(got.count).toBe(1_200);
    expect(columns(got)).toEqual(columns(mergeParts(parts(1_200))));
  });

  it('waits for a sample of files before sizing the room: the first batch is the trail\'s first hours', () => {
    const target = new MergeTarget();
    target.reserve(1_525, 64, 22_528);
    expect(target.fits(1)).toBe(false);
    expect(target.touchedEvents).toBe(0);
    target.reserve(10_990, SAMPLE_FILES, 22_528);
    expect(target.fits(1_000_001)).toBe(true);
    // A load of fewer files than the sample is sized when its last file is in.
    const small = new MergeTarget();
    small.reserve(40, 4, 5);
    expect(small.fits(1)).toBe(false);
    small.reserve(50, 5, 5);
    expect(small.fits(50)).toBe(true);
  });

  it('touches a bounded number of events per call, catching up over the calls after', () => {
    const target = new MergeTarget();
    target.reserve(100_000, 1, 1);
    expect(target.touchedEvents).toBe(TOUCH_PER_CALL);
    target.reserve(100_000, 1, 1);
    expect(target.touchedEvents).toBe(2 * TOUCH_PER_CALL);
    target.reserve(100_000, 1, 1);
    target.reserve(100_000, 1, 1);
    expect(target.touchedEvents).toBe(100_000);
    // Made again when the events outrun it: touched from its start, a call at a time.
    target.reserve(200_000, 1, 1);
    expect(target.fits(200_000)).toBe(true);
    expect(target.touchedEvents).toBe(TOUCH_PER_CALL);
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
