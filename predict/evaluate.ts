import { actionOf, type TrailEvent } from '../cloudtrail/event.ts';
import { groupByPrincipal, type Sequence } from './corpus.ts';
import { trainBaselines } from './baselines.ts';
import { trainEngine, type EngineOptions } from './engine.ts';
import type { ModelOptions } from './model.ts';

/** Scores of one predictor on the held-out events. */
export interface Score {
  model: string;
  predictions: number;
  top1: number;
  top5: number;
  mrr5: number;
}

/**
 * The generator's true next-action law, when known: the distribution of the next action for a principal's
 * event given the events before it (returns undefined where the truth does not say).
 */
export interface Truth {
  next(principal: string, history: TrailEvent[], index: number): Map<string, number> | undefined;
}

export interface TruthGap {
  /** Test events the truth covered. */
  predictions: number;
  /** The best any model could do in expectation: oracle accuracy using the true distribution. */
  oracle: Score;
  /** Mean KL(true || predicted) in bits, and mean total-variation distance, over covered test events. */
  meanKlBits: number;
  meanTotalVariation: number;
  /** Same distances for the first-order Markov baseline's empirical distribution (with add-one smoothing). */
  markovMeanTotalVariation: number;
}

export interface EvaluationReport {
  split: { trainFraction: number; principals: number; trainEvents: number; testEvents: number; vocabulary: number; unseenTestActions: number };
  trainMs: number;
  /** Median and 99th percentile time of one top-5 prediction, microseconds. */
  predictMicros: { median: number; p99: number };
  options: Record<string, unknown>;
  /** What tuning tried on the validation split (inside the training part) and chose. */
  tuning?: { chosen: Partial<ModelOptions>; validation: { options: Partial<ModelOptions>; top1: number; top5: number; mrr5: number }[] };
  scores: Score[];
  /** The model's gain over first-order Markov (top-1 and top-5, absolute). */
  gainOverMarkov: { top1: number; top5: number };
  truth?: TruthGap;
  /** What the data directory held beyond the events scored (set by `trailbook eval`): nothing is left out silently. */
  input?: EvaluationInput;
}

export interface EvaluationInput {
  loadedRecords: number;
  /** Files that could not be read as CloudTrail, and unusable records inside the files that were read. */
  skippedFiles: number;
  skippedRecords: number;
  /** Paths deliberately not read: digests, Insights, truth.json, other file types. */
  ignoredPaths: number;
}

export interface EvaluateOptions extends EngineOptions {
  trainFraction?: number;
  truth?: Truth;
  /**
   * Choose the model's order and cache weights on a validation split carved from the training part only
   * (the last 15% of each principal's training events), then retrain on the whole training part. Default true.
   */
  tune?: boolean;
}

/** Candidate settings tried by tuning; small on purpose (eval stays fast on a million events). */
export const TUNING_GRID: Partial<ModelOptions>[] = [
  { order: 3, cacheWeight: 0, cacheBigramWeight: 0 },
  { order: 2, cacheWeight: 0.1, cacheBigramWeight: 0.2 },
  { order: 3, cacheWeight: 0.1, cacheBigramWeight: 0.2 },
  { order: 3, cacheWeight: 0.2, cacheBigramWeight: 0.3 },
  { order: 3, cacheWeight: 0.05, cacheBigramWeight: 0.4 },
  { order: 4, cacheWeight: 0.1, cacheBigramWeight: 0.2 },
];

class Tally {
  n = 0;
  hit1 = 0;
  hit5 = 0;
  rr = 0;
  constructor(readonly name: string) {}
  add(ranked: string[], actual: string) {
    this.n++;
    const r = ranked.indexOf(actual);
    if (r === 0) this.hit1++;
    if (r >= 0 && r < 5) (this.hit5++, (this.rr += 1 / (r + 1)));
  }
  score(): Score {
    const d = this.n || 1;
    const r4 = (x: number) => Math.round((x / d) * 1e4) / 1e4;
    return { model: this.name, predictions: this.n, top1: r4(this.hit1), top5: r4(this.hit5), mrr5: r4(this.rr) };
  }
}

/** Splits each principal's events in time order: the first `fraction` train, the rest test. */
export function splitByPrincipal(events: Iterable<TrailEvent>, fraction = 0.7) {
  const all = groupByPrincipal(events);
  const train = new Map<string, TrailEvent[]>();
  const cut = new Map<string, number>();
  for (const [k, list] of all) {
    const n = Math.floor(list.length * fraction);
    cut.set(k, n);
    if (n > 0) train.set(k, list.slice(0, n));
  }
  return { all, train, cut };
}

function* flatten(by: Map<string, TrailEvent[]>): Iterable<TrailEvent> {
  for (const list of by.values()) yield* list;
}

const percentile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** Trains on the first 70% of every principal's events and scores next-action prediction on the rest. */
export function evaluate(events: Iterable<TrailEvent>, opts: EvaluateOptions = {}): EvaluationReport {
  const fraction = opts.trainFraction ?? 0.7;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`train fraction must be between 0 and 1, got ${fraction}`);
  const { all, train, cut } = splitByPrincipal(events, fraction);
  let tuned: { chosen: Partial<ModelOptions>; validation: { options: Partial<ModelOptions>; top1: number; top5: number; mrr5: number }[] } | undefined;
  if (opts.tune !== false) {
    const validation = TUNING_GRID.map((candidate) => {
      const r = evaluate(flatten(train), { ...opts, model: { ...opts.model, ...candidate }, tune: false, truth: undefined, trainFraction: 0.85 });
      const { top1, top5, mrr5 } = r.scores[0];
      return { options: candidate, top1, top5, mrr5 };
    });
    const best = validation.reduce((a, b) => (b.top1 + b.top5 > a.top1 + a.top5 ? b : a));
    tuned = { chosen: best.options, validation };
    opts = { ...opts, model: { ...opts.model, ...best.options } };
  }
  const engine = trainEngine(train, opts);
  const { model } = engine;
  const baselines = trainBaselines(engine.sequences);
  const tallies = [new Tally('model'), ...baselines.map((b) => new Tally(b.name))];
  const oracle = new Tally('oracle');
  let testEvents = 0;
  let unseen = 0;
  let kl = 0;
  let tv = 0;
  let markovTv = 0;
  let covered = 0;
  const times: number[] = [];
  const markovCounts = markovDistributions(engine.sequences);
  for (const [principal, list] of all) {
    const start = cut.get(principal)!;
    if (start >= list.length) continue;
    const seq: Sequence = { principal, actions: list.map(actionOf), times: list.map((e) => e.time) };
    for (const { i, hist, w } of model.contexts(seq)) {
      if (i < start) continue;
      testEvents++;
      const actual = seq.actions[i];
      if (model.isNew(w)) unseen++;
      const t0 = performance.now();
      const top = model.topIds(principal, hist, 5);
      if (times.length < 20_000) times.push(performance.now() - t0);
      tallies[0].add(top.map((x) => model.nameOf(x.id)), actual);
      const prev = i > 0 ? seq.actions[i - 1] : undefined;
      for (let b = 0; b < baselines.length; b++) tallies[b + 1].add(baselines[b].rank(principal, prev, 5), actual);
      const truth = opts.truth?.next(principal, list, i);
      if (truth && truth.size > 0) {
        covered++;
        const ranked = [...truth].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([a]) => a);
        oracle.add(ranked, actual);
        const d = distances(truth, (a) => model.probId(principal, hist, model.idOf(a)));
        kl += d.kl;
        tv += d.tv;
        markovTv += distances(truth, markovCounts(principal, prev, model.vocab.size)).tv;
      }
    }
  }
  const scores = tallies.map((t) => t.score());
  const m = scores[0];
  const mk = scores.find((s) => s.model === 'markov-1')!;
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    split: { trainFraction: fraction, principals: all.size, trainEvents: engine.eventCount, testEvents, vocabulary: model.vocab.size - 2, unseenTestActions: unseen },
    trainMs: Math.round(engine.trainMs),
    predictMicros: { median: Math.round(percentile(times, 0.5) * 1000 * 10) / 10, p99: Math.round(percentile(times, 0.99) * 1000 * 10) / 10 },
    options: { ...model.options, peerGroups: engine.peers.groups.length },
    tuning: tuned,
    scores,
    gainOverMarkov: { top1: r4(m.top1 - mk.top1), top5: r4(m.top5 - mk.top5) },
    truth: opts.truth
      ? {
          predictions: covered,
          oracle: oracle.score(),
          meanKlBits: r4(kl / (covered || 1)),
          meanTotalVariation: r4(tv / (covered || 1)),
          markovMeanTotalVariation: r4(markovTv / (covered || 1)),
        }
      : undefined,
  };
}

/** KL(truth || predicted) in bits and total variation; predicted mass outside the truth's support counts for TV. */
export function distances(truth: Map<string, number>, predicted: (action: string) => number): { kl: number; tv: number } {
  let kl = 0;
  let inSupport = 0;
  let tvIn = 0;
  for (const [a, p] of truth) {
    const q = Math.max(predicted(a), 1e-12);
    if (p > 0) kl += p * Math.log2(p / q);
    inSupport += q;
    tvIn += Math.abs(p - q);
  }
  return { kl, tv: 0.5 * (tvIn + Math.max(0, 1 - inSupport)) };
}

/** The Markov baseline as a distribution (add-one over the vocabulary), to compare its calibration with the truth. */
function markovDistributions(train: Sequence[]) {
  const big = new Map<string, Map<string, number>>();
  const tot = new Map<string, number>();
  const key = (p: string, prev: string) => `${p}\u0000${prev}`;
  for (const s of train)
    for (let i = 1; i < s.actions.length; i++) {
      const k = key(s.principal, s.actions[i - 1]);
      let c = big.get(k);
      if (!c) big.set(k, (c = new Map()));
      c.set(s.actions[i], (c.get(s.actions[i]) ?? 0) + 1);
      tot.set(k, (tot.get(k) ?? 0) + 1);
    }
  return (p: string, prev: string | undefined, V: number) => {
    const k = prev === undefined ? '' : key(p, prev);
    const c = big.get(k);
    const n = tot.get(k) ?? 0;
    return (a: string) => ((c?.get(a) ?? 0) + 1) / (n + V);
  };
}
