import { describe, expect, it } from 'vitest';
import { Counts, CountsBudget, DenseCounts } from '../../predict/counts.ts';
import { Rng } from './rng.ts';

describe('Counts', () => {
  it('gives the same counts, in the same first-insertion order, as a Map over a random sample', () => {
    const rng = new Rng(15);
    const table = new Counts();
    const map = new Map<number, number>();
    // Skewed keys (a few common, many rare), negative ones (shape ids -1, -2) and large ones (ids past training),
    // enough of them that the table grows several times.
    for (let i = 0; i < 20_000; i++) {
      const r = rng.next();
      const key = r < 0.05 ? -1 - Math.floor(rng.next() * 2) : r < 0.1 ? (1 << 24) + Math.floor(rng.next() * 50) : Math.floor(rng.next() * rng.next() * 3000);
      const by = rng.next() < 0.1 ? 3 : 1;
      table.add(key, by);
      map.set(key, (map.get(key) ?? 0) + by);
    }
    expect(table.size).toBe(map.size);
    expect(table.entries()).toEqual([...map]);
    for (let k = -3; k < 3100; k++) expect(table.get(k), `key ${k}`).toBe(map.get(k) ?? 0);
    expect(table.has(-2)).toBe(map.has(-2));
    expect(table.has(5000)).toBe(false);
  });

  it('starts empty again after clear, and counts afresh', () => {
    const table = new Counts(2);
    for (const k of [7, 3, 7, 9, 11, 3, 7]) table.add(k);
    expect(table.entries()).toEqual([[7, 3], [3, 2], [9, 1], [11, 1]]);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(7)).toBe(0);
    table.add(9);
    table.add(7);
    expect(table.entries()).toEqual([[9, 1], [7, 1]]);
  });
});

describe('DenseCounts', () => {
  it('reads as Counts does over keys below its bound: counts, first-insertion order, absent and out-of-range keys', () => {
    const rng = new Rng(16);
    const dense = new DenseCounts(500);
    const table = new Counts();
    for (let i = 0; i < 20_000; i++) {
      const key = Math.floor(rng.next() * rng.next() * 500);
      const by = rng.next() < 0.1 ? 3 : 1;
      dense.add(key, by);
      table.add(key, by);
    }
    expect(dense.size).toBe(table.size);
    expect(dense.entries()).toEqual(table.entries());
    expect(Array.from({ length: dense.size }, (_, i) => [dense.keyAt(i), dense.countAt(i)])).toEqual(table.entries());
    for (const key of [0, 250, 499, 500, 1 << 24, -1]) expect(dense.get(key)).toBe(table.get(key));
  });

  it('is handed out while the budget lasts, then hashed tables', () => {
    const budget = new CountsBudget(100, 4 * 100 * 2);
    expect([budget.table(), budget.table(), budget.table()].map((t) => t.constructor.name)).toEqual(['DenseCounts', 'DenseCounts', 'Counts']);
    expect(new CountsBudget().table()).toBeInstanceOf(Counts);
  });
});
