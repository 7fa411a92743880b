import type { ActivityProfile } from './profile.ts';

/**
 * Peer groups: principals whose service/API mix looks alike. Each principal is a vector of log-scaled action
 * counts weighted by inverse document frequency (an API every principal calls says little), compared by cosine
 * similarity and grouped by a greedy leader clustering against group centroids (deterministic, one pass).
 */

type Vec = Map<string, number>;

export interface PeerGroup {
  group: number;
  size: number;
  members: string[];
  /** Most characteristic services/APIs of the group (highest centroid weight). */
  topActions: string[];
}

export interface PeerMatch {
  principal: string;
  peer: string;
  similarity: number;
  sharedActions: number;
}

export interface PeerModel {
  groups: PeerGroup[];
  groupOf: Map<string, number>;
  /** Most similar principals, best first. */
  similar(principal: string, k?: number): PeerMatch[];
}

function norm(v: Vec): Vec {
  let s = 0;
  for (const x of v.values()) s += x * x;
  const n = Math.sqrt(s) || 1;
  const out: Vec = new Map();
  for (const [k, x] of v) out.set(k, x / n);
  return out;
}

export function cosine(a: Vec, b: Vec): number {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [k, x] of small) {
    const y = big.get(k);
    if (y !== undefined) dot += x * y;
  }
  for (const x of a.values()) na += x * x;
  for (const x of b.values()) nb += x * x;
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export function actionVectors(profiles: Pick<ActivityProfile, 'principal' | 'actions'>[]): Map<string, Vec> {
  const df = new Map<string, number>();
  for (const p of profiles) for (const a of Object.keys(p.actions)) df.set(a, (df.get(a) ?? 0) + 1);
  const n = profiles.length;
  const vecs = new Map<string, Vec>();
  for (const p of profiles) {
    const v: Vec = new Map();
    // Smoothed idf keeps shared APIs from vanishing when there are only a few principals.
    for (const [a, c] of Object.entries(p.actions)) v.set(a, Math.log1p(c) * Math.log(1 + n / df.get(a)!));
    vecs.set(p.principal, norm(v));
  }
  return vecs;
}

export function buildPeers(profiles: Pick<ActivityProfile, 'principal' | 'actions' | 'events'>[], threshold = 0.5): PeerModel {
  const vecs = actionVectors(profiles);
  const order = [...profiles].sort((a, b) => b.events - a.events || a.principal.localeCompare(b.principal));
  const centroids: Vec[] = [];
  const members: string[][] = [];
  const groupOf = new Map<string, number>();
  for (const p of order) {
    const v = vecs.get(p.principal)!;
    let best = -1;
    let bestSim = threshold;
    for (let g = 0; g < centroids.length; g++) {
      const s = cosine(v, centroids[g]);
      if (s >= bestSim) (best = g), (bestSim = s);
    }
    if (best < 0) {
      best = centroids.length;
      centroids.push(new Map());
      members.push([]);
    }
    const c = centroids[best];
    for (const [k, x] of v) c.set(k, (c.get(k) ?? 0) + x);
    members[best].push(p.principal);
    groupOf.set(p.principal, best);
  }
  const groups = members.map((m, g) => ({
    group: g,
    size: m.length,
    members: m,
    topActions: [...centroids[g]].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5).map(([a]) => a),
  }));
  return {
    groups,
    groupOf,
    similar(principal, k = 5) {
      const v = vecs.get(principal);
      if (!v) return [];
      const out: PeerMatch[] = [];
      for (const [other, w] of vecs) {
        if (other === principal) continue;
        let shared = 0;
        for (const a of v.keys()) if (w.has(a)) shared++;
        out.push({ principal, peer: other, similarity: Math.round(cosine(v, w) * 1e4) / 1e4, sharedActions: shared });
      }
      return out.sort((a, b) => b.similarity - a.similarity || a.peer.localeCompare(b.peer)).slice(0, k);
    },
  };
}
