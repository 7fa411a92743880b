import type { TrailEvent } from '../cloudtrail/event.ts';
import type { BurstContext } from './burst-model.ts';
import type { SequenceModel } from './model.ts';

/**
 * Next-action probabilities from both models: the sequence model's distribution blended with the next-burst
 * model's, whose per-action probabilities of being in the next burst (`burst`: its top BLEND_CANDIDATES, from
 * `BurstModel.rank` or `.predict`) are normalised into a distribution. Inside a burst the order of events is
 * unknowable, so the sequence model's context is partly noise there; the burst model works on sets and is not. The
 * blend is still a distribution (it sums to 1), so its probabilities can be checked.
 */
export function blendedTopIds(model: SequenceModel, burst: readonly { action: string; p: number }[] | undefined, principal: string, hist: number[], k: number): { id: number; p: number }[] {
  const weight = model.options.burstWeight;
  if (!burst || weight <= 0) return model.topIds(principal, hist, k);
  const q = burst.length > BLEND_CANDIDATES ? burst.slice(0, BLEND_CANDIDATES) : burst;
  const z = q.reduce((s, x) => s + x.p, 0);
  if (!(z > 0)) return model.topIds(principal, hist, k);
  const p = new Map<number, number>();
  for (const x of model.topIds(principal, hist, BLEND_CANDIDATES)) p.set(x.id, (1 - weight) * x.p);
  const ids = q.map((x) => model.idOf(x.action));
  const missing = ids.filter((id) => !p.has(id));
  const pm = model.probIds(principal, hist, missing);
  missing.forEach((id, i) => p.set(id, (1 - weight) * pm[i]));
  q.forEach((x, i) => p.set(ids[i], p.get(ids[i])! + (weight * x.p) / z));
  return [...p]
    .map(([id, v]) => ({ id, p: v }))
    .sort((a, b) => b.p - a.p || a.id - b.id)
    .slice(0, k);
}

/** Candidates taken from each model before blending. */
export const BLEND_CANDIDATES = 20;

/**
 * The burst context before each event of a principal's time-ordered events: the completed bursts before it and,
 * as the latest burst, the actions already seen in the event's own second.
 */
export function* burstContexts(events: readonly Pick<TrailEvent, 'time' | 'source' | 'name'>[], window: number, sessionGapMs: number): Generator<BurstContext> {
  const done: string[][] = [];
  let partial: string[] = [];
  let second = Number.NaN;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const s = Math.floor(e.time / 1000);
    if (s !== second) {
      if (partial.length) done.push(partial);
      if (done.length > 2 * window) done.splice(0, done.length - window);
      partial = [];
      second = s;
    }
    const bursts = done.slice(-window);
    if (partial.length) bursts.push([...partial]);
    yield { bursts: bursts.slice(-window), newSession: i === 0 || e.time - events[i - 1].time > sessionGapMs };
    const a = `${e.source}:${e.name}`;
    if (!partial.includes(a)) partial.push(a);
  }
}
