import type { Sequence } from './corpus.ts';

/** A ranked next-action guess given the principal and the previous action (undefined at the very start). */
export interface Ranker {
  name: string;
  rank(principal: string, prev: string | undefined, k: number): string[];
}

type Counts = Map<string, number>;

const inc = (m: Map<string, Counts>, k: string, w: string) => {
  let c = m.get(k);
  if (!c) m.set(k, (c = new Map()));
  c.set(w, (c.get(w) ?? 0) + 1);
};

const sortedKeys = (c: Counts | undefined): string[] =>
  c ? [...c].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k) : [];

/** Concatenates ranked lists without duplicates until k items. */
function fill(k: number, ...lists: string[][]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const l of lists)
    for (const a of l) {
      if (out.length >= k) return out;
      if (!seen.has(a)) seen.add(a), out.push(a);
    }
  return out;
}

/** The three reference predictors every model must beat. */
export function trainBaselines(train: Sequence[]): Ranker[] {
  const global: Counts = new Map();
  const byPrincipal = new Map<string, Counts>();
  const globalBigram = new Map<string, Counts>();
  const principalBigram = new Map<string, Counts>();
  for (const s of train) {
    for (let i = 0; i < s.actions.length; i++) {
      const w = s.actions[i];
      global.set(w, (global.get(w) ?? 0) + 1);
      inc(byPrincipal, s.principal, w);
      if (i > 0) {
        inc(globalBigram, s.actions[i - 1], w);
        inc(principalBigram, `${s.principal}\u0000${s.actions[i - 1]}`, w);
      }
    }
  }
  // Ranked lists are cached: evaluation asks the same questions many times.
  const memo = new Map<string, string[]>();
  const cached = (key: string, f: () => string[]) => memo.get(key) ?? (memo.set(key, f()), memo.get(key)!);
  const globalTop = () => cached('g', () => sortedKeys(global).slice(0, 50));
  const principalTop = (p: string) => cached(`p\u0000${p}`, () => sortedKeys(byPrincipal.get(p)).slice(0, 50));
  return [
    { name: 'global-frequency', rank: (_p, _prev, k) => globalTop().slice(0, k) },
    { name: 'principal-frequency', rank: (p, _prev, k) => fill(k, principalTop(p), globalTop()) },
    {
      name: 'markov-1',
      rank: (p, prev, k) =>
        prev === undefined
          ? fill(k, principalTop(p), globalTop())
          : cached(`m\u0000${p}\u0000${prev}\u0000${k}`, () =>
              fill(k, sortedKeys(principalBigram.get(`${p}\u0000${prev}`)), sortedKeys(globalBigram.get(prev)), principalTop(p), globalTop()),
            ),
    },
  ];
}
