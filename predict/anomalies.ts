import type { TrailEvent } from '../cloudtrail/event.ts';
import { MINUTE, serviceOf } from './corpus.ts';
import type { Engine } from './engine.ts';
import { isAccessDenied } from './profile.ts';

export type FindingKind = 'surprising-action' | 'new-service' | 'new-region' | 'new-source-ip' | 'new-user-agent' | 'access-denied-burst';

/** One thing worth a look, with a score in [0, 1] (higher is stranger) and a sentence saying why. */
export interface Finding {
  kind: FindingKind;
  principal: string;
  time: string;
  timeMs: number;
  score: number;
  action: string;
  eventId: string;
  explanation: string;
  /** Surprise in bits (−log2 p) for surprising actions; the number of denials for a burst. */
  value?: number;
}

export interface AnomalyOptions {
  principal?: string;
  /** Only events in [start, end) are reported; earlier events still build each principal's baseline. */
  start?: number;
  end?: number;
  minScore?: number;
  limit?: number;
  /** Surprise (bits) that maps to score 1. */
  maxBits?: number;
  /** Events a principal needs before first-seen findings count (a brand-new principal is all first-seen). */
  minHistory?: number;
  /** AccessDenied burst: this many denials... */
  burstCount?: number;
  /** ...within this window. */
  burstWindowMs?: number;
  kinds?: FindingKind[];
}

const DEFAULTS = { minScore: 0.5, limit: 100, maxBits: 16, minHistory: 10, burstCount: 5, burstWindowMs: 5 * MINUTE };

/** First-seen attributes and how much each says (a new region is odder than a new user agent). */
const FIRSTS: { kind: FindingKind; weight: number; label: string; get: (e: TrailEvent) => string }[] = [
  { kind: 'new-region', weight: 0.9, label: 'region', get: (e) => e.region },
  { kind: 'new-service', weight: 0.75, label: 'service', get: (e) => serviceOf(e.source) },
  { kind: 'new-source-ip', weight: 0.6, label: 'source IP', get: (e) => e.sourceIp },
  { kind: 'new-user-agent', weight: 0.5, label: 'user agent', get: (e) => e.userAgent },
];

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const fmtP = (p: number) => (p >= 0.01 ? p.toFixed(3) : p.toExponential(1));
/** The first n items joined, with an ellipsis when there are more. */
const sample = (items: Iterable<string>, n: number) => {
  const all = [...items];
  return all.slice(0, n).join(', ') + (all.length > n ? ', ...' : '');
};

/** A finding anchored at event e (its time and id); scores are rounded for display. */
function finding(kind: FindingKind, principal: string, e: TrailEvent, action: string, score: number, explanation: string, value?: number): Finding {
  const time = new Date(e.time).toISOString();
  return { kind, principal, time, timeMs: e.time, score: r3(score), action, eventId: e.id, ...(value === undefined ? {} : { value }), explanation };
}

/**
 * Scans each principal's events in time order: surprise of every event under the sequence model, attributes
 * the principal had never used before, and bursts of denied calls. Scores are comparable across kinds.
 */
export function detectAnomalies(engine: Engine, options: AnomalyOptions = {}): Finding[] {
  const o = { ...DEFAULTS, ...options };
  const want = (k: FindingKind) => !o.kinds || o.kinds.includes(k);
  const inWindow = (t: number) => (o.start === undefined || t >= o.start) && (o.end === undefined || t < o.end);
  const { model } = engine;
  const out: Finding[] = [];
  // The engine's sequences already hold each principal's actions and times, in the order of its events.
  for (const seq of engine.sequences) {
    const { principal } = seq;
    const list = engine.events.get(principal) ?? [];
    if (o.principal !== undefined && principal !== o.principal && list[0]?.principal.name !== o.principal) continue;
    const seen = FIRSTS.map(() => new Set<string>());
    const denied: number[] = [];
    let lastBurstEnd = -Infinity;
    for (const { i, hist, w } of model.contexts(seq)) {
      const e = list[i];
      const report = inWindow(e.time);
      const action = seq.actions[i];
      if (report && want('surprising-action') && i > 0) {
        // The engine trained on these very events: score each as if it had not (leave-one-out).
        const p = model.probId(principal, hist, w, true);
        const bits = -Math.log2(Math.max(p, 1e-300));
        const score = Math.min(1, bits / o.maxBits);
        if (score >= o.minScore) {
          const prev = hist[hist.length - 1];
          const after = prev === 0 ? 'at the start of a session' : `after ${model.nameOf(prev)}`;
          const why = `${principal} called ${action} ${after}; the model gave it p=${fmtP(p)} (${bits.toFixed(1)} bits of surprise).`;
          out.push(finding('surprising-action', principal, e, action, score, why, r3(bits)));
        }
      }
      for (let f = 0; f < FIRSTS.length; f++) {
        const v = FIRSTS[f].get(e);
        if (!v || seen[f].has(v)) continue;
        if (report && i >= o.minHistory && want(FIRSTS[f].kind)) {
          // More history makes a first-seen value more telling: weight * (1 - 1/sqrt(history)).
          const score = FIRSTS[f].weight * (1 - 1 / Math.sqrt(i));
          const why = `${principal} used ${FIRSTS[f].label} ${v} for the first time (${action}) after ${i} earlier events that never did (seen before: ${sample(seen[f], 3)}).`;
          if (score >= o.minScore) out.push(finding(FIRSTS[f].kind, principal, e, action, score, why));
        }
        seen[f].add(v);
      }
      if (isAccessDenied(e)) {
        denied.push(i);
        while (e.time - list[denied[0]].time > o.burstWindowMs) denied.shift();
        const first = list[denied[0]];
        if (denied.length >= o.burstCount && first.time > lastBurstEnd && report && want('access-denied-burst')) {
          // Extend to every denial still within the window of the first, then report the burst once.
          const idx = [...denied];
          for (let j = i + 1; j < list.length && list[j].time - first.time <= o.burstWindowMs; j++) if (isAccessDenied(list[j])) idx.push(j);
          const end = list[idx[idx.length - 1]].time;
          const actions = new Set(idx.map((j) => seq.actions[j]));
          const n = idx.length;
          const score = Math.min(1, 0.5 + n / (4 * o.burstCount));
          const why = `${principal} was denied ${n} times within ${Math.max(1, Math.round((end - first.time) / 1000))} s (${sample(actions, 4)}), which looks like probing for permissions.`;
          if (score >= o.minScore) out.push(finding('access-denied-burst', principal, first, seq.actions[denied[0]], score, why, n));
          lastBurstEnd = end;
          denied.length = 0;
        }
      }
    }
  }
  return out.sort((a, b) => b.score - a.score || a.timeMs - b.timeMs).slice(0, o.limit);
}
