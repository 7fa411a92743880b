import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactBuilder, type CompactResult } from '../../../cloudtrail/readers/compact.ts';
import { mergeParts, partOrder } from '../../../cloudtrail/readers/columns.ts';
import { idAt } from '../../../cloudtrail/readers/event-ids.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-merge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Files whose events tie on time often, with canonical UUIDs, other ids and events repeated in other files. */
function files(): string[] {
  mkdirSync(tmp, { recursive: true });
  const out: string[] = [];
  for (let f = 0; f < 12; f++) {
    const records = Array.from({ length: 40 }, (_, i) => {
      const n = (f * 7 + i * 13) % 50;
      const id = n % 5 === 0 ? `OTHER-${n % 3}` : n % 7 === 0 ? undefined : `${(n * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}-0000-4000-8000-${String(n % 4).padStart(12, '0')}`;
      return { eventTime: `2026-10-27T04:00:0${n % 4}Z`, eventSource: 's.amazonaws.com', eventName: `N${n % 6}`, ...(id ? { eventID: id } : {}), requestID: `r${n % 2}` };
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

describe('mergeParts', () => {
  const list = files();
  const build = (split: number[][]) =>
    split.map((indexes) => {
      const b = new CompactBuilder();
      for (const i of indexes) b.addFile(i, list[i]);
      return b.finish();
    });

  it.each([
    ['one part', [list.map((_, i) => i)]],
    ['two parts in batches', [[0, 1, 2, 6, 7, 8, 12], [3, 4, 5, 9, 10, 11]]],
    ['three parts', [[0, 3, 6, 9, 12], [1, 4, 7, 10], [2, 5, 8, 11]]],
  ])('%s: events in (time, id) order, ties in file-list order, with or without the threads\' own orders', (_, split) => {
    for (const sorted of [false, true]) {
      const parts = build(split as number[][]);
      if (sorted) for (const p of parts) p.order = partOrder(p);
      const want = expected(parts);
      const c = mergeParts(parts);
      const got = Array.from({ length: c.count }, (_, k) => [c.times[k], idAt(c.ids(), k), c.later().fileIdx[k], c.later().recIdx[k]]);
      expect(got).toEqual(want);
      expect(new Set(want.map((e) => e[1])).size).toBeLessThan(want.length);
    }
  });
});
