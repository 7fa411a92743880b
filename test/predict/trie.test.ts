import { describe, expect, it } from 'vitest';
import { Trie } from '../../predict/trie.ts';
import { Rng } from './rng.ts';

/** The trie as nested objects: context path -> { total, counts in first-seen order }. */
function dump(t: Trie): Map<string, { total: number; types: number; counts: [number, number][] }> {
  const out = new Map<string, { total: number; types: number; counts: [number, number][] }>();
  const walk = (node: number, path: number[]) => {
    const counts: [number, number][] = [];
    for (let e = t.first[node]; e >= 0; e = t.next[e]) counts.push([t.action[e], t.count[e]]);
    out.set(path.join('/'), { total: t.total[node], types: t.types[node], counts: counts.sort((a, b) => a[0] - b[0]) });
    for (let sym = 0; sym < 40; sym++) {
      const c = t.child(node, sym);
      if (c >= 0) walk(c, [...path, sym]);
    }
  };
  walk(0, []);
  return out;
}

/** Random paths of symbols below 40 and counts, into a trie and into a plain reference. */
function fill(t: Trie, rng: Rng, n: number, ref = new Map<string, Map<number, number>>()) {
  for (let i = 0; i < n; i++) {
    const path = Array.from({ length: Math.floor(rng.next() * 4) }, () => Math.floor(rng.next() * 40));
    let node = 0;
    const w = Math.floor(rng.next() * 40);
    for (let d = 0; d <= path.length; d++) {
      const key = path.slice(0, d).join('/');
      const counts = ref.get(key) ?? ref.set(key, new Map()).get(key)!;
      counts.set(w, (counts.get(w) ?? 0) + 1);
      t.add(node, w);
      if (d < path.length) node = t.childOrNew(node, path[d]);
    }
  }
  return ref;
}

describe('Trie', () => {
  it('counts what followed each context like nested maps, growing from the smallest size', () => {
    const t = new Trie(1, 1);
    const ref = fill(t, new Rng(5), 5000);
    const got = dump(t);
    expect([...got.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [key, counts] of ref) {
      const want = [...counts].sort((a, b) => a[0] - b[0]);
      expect(got.get(key)).toEqual({ total: want.reduce((s, [, c]) => s + c, 0), types: want.length, counts: want });
    }
    expect(t.child(0, 1 << 24)).toBe(-1);
    expect(t.countOf(0, 1 << 24)).toBe(0);
  });

  it('keeps a node\'s counts in the order their actions were first met', () => {
    const t = new Trie();
    for (const w of [7, 3, 7, 9, 3, 1]) t.add(0, w);
    const order: number[] = [];
    for (let e = t.first[0]; e >= 0; e = t.next[e]) order.push(t.action[e]);
    expect(order).toEqual([7, 3, 9, 1]);
    expect([t.countOf(0, 7), t.countOf(0, 3), t.countOf(0, 5), t.total[0], t.types[0]]).toEqual([2, 2, 0, 6, 4]);
  });

  it('merges into a trie what counting both parts into it gives', () => {
    const [a, b, both] = [new Trie(2, 2), new Trie(), new Trie()];
    fill(a, new Rng(1), 3000);
    fill(b, new Rng(2), 3000);
    fill(both, new Rng(1), 3000);
    fill(both, new Rng(2), 3000);
    a.merge(b);
    expect(dump(a)).toEqual(dump(both));
  });
});
