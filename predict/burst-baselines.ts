/**
 * Reference predictors of the next burst. Each ranks actions for the burst after the latest one; evaluation
 * scores them the same way as the model.
 */

export interface BurstRanker {
  name: string;
  rank(principal: string, latest: readonly string[] | undefined, k: number): string[];
}

type Counts = Map<string, number>;

const add = (m: Map<string, Counts>, key: string, action: string) => {
  let c = m.get(key);
  if (!c) m.set(key, (c = new Map()));
  c.set(action, (c.get(action) ?? 0) + 1);
};

const ranked = (c: Counts | undefined): string[] => (c ? [...c].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k) : []);

/** Concatenates ranked lists without duplicates until k items. */
function fill(k: number, ...lists: readonly string[][]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const l of lists)
    for (const a of l) {
      if (out.length >= k) return out;
      if (!seen.has(a)) (seen.add(a), out.push(a));
    }
  return out;
}

/** A principal's training bursts in time order (each a set of distinct actions). */
export interface BurstSequence {
  principal: string;
  bursts: readonly (readonly string[])[];
}

/**
 * Global and principal frequency (share of bursts containing an action), the latest burst repeated, and the
 * reference of issue #15: rank actions by what followed training bursts containing the latest burst's actions
 * (counts summed over those actions), this principal's first, then everyone's, then by frequency.
 */
export function trainBurstBaselines(train: readonly BurstSequence[]): BurstRanker[] {
  const global: Counts = new Map();
  const byPrincipal = new Map<string, Counts>();
  const followed = new Map<string, Counts>();
  const followedAll = new Map<string, Counts>();
  for (const { principal, bursts } of train)
    for (let j = 0; j < bursts.length; j++) {
      for (const a of bursts[j]) {
        global.set(a, (global.get(a) ?? 0) + 1);
        add(byPrincipal, principal, a);
      }
      if (j > 0)
        for (const x of bursts[j - 1])
          for (const a of bursts[j]) {
            add(followed, `${principal}\u0000${x}`, a);
            add(followedAll, x, a);
          }
    }
  const memo = new Map<string, string[]>();
  const cached = (key: string, f: () => string[]) => memo.get(key) ?? (memo.set(key, f()), memo.get(key)!);
  const globalTop = () => cached('g', () => ranked(global).slice(0, 50));
  const principalTop = (p: string) => cached(`p\u0000${p}`, () => ranked(byPrincipal.get(p)).slice(0, 50));
  const summed = (source: Map<string, Counts>, keys: string[]) => {
    const s: Counts = new Map();
    for (const key of keys) for (const [a, c] of source.get(key) ?? []) s.set(a, (s.get(a) ?? 0) + c);
    return ranked(s);
  };
  return [
    { name: 'global-frequency', rank: (_p, _latest, k) => globalTop().slice(0, k) },
    { name: 'principal-frequency', rank: (p, _latest, k) => fill(k, principalTop(p), globalTop()) },
    { name: 'latest-burst', rank: (p, latest, k) => fill(k, [...(latest ?? [])].sort(), principalTop(p), globalTop()) },
    {
      name: 'burst-reference',
      rank: (p, latest, k) =>
        latest === undefined
          ? fill(k, principalTop(p), globalTop())
          : fill(
              k,
              summed(followed, latest.map((x) => `${p}\u0000${x}`)),
              summed(followedAll, [...latest]),
              principalTop(p),
              globalTop(),
            ),
    },
  ];
}
