import { actionOf, type TrailEvent } from '../cloudtrail/event.ts';
import { hash32 } from '../cloudtrail/generator/prng.ts';
import { trainBurstBaselines, type BurstSequence } from './burst-baselines.ts';
import { burstsOf, type Burst } from './bursts.ts';
import { ReliabilityTally, type Reliability } from './calibration.ts';
import type { Shape } from './shapes.ts';
import { blendedTopIds, burstCandidates, burstContexts } from './next-event.ts';
import { groupByPrincipal, type Sequence } from './corpus.ts';
import { trainBaselines } from './baselines.ts';
import { BurstModel } from './burst-model.ts';
import { trainEngine, type EngineOptions } from './engine.ts';
import type { ModelOptions } from './model.ts';
import { compareShapes, type ShapeTruth, type Truth } from './truth.ts';

/** Scores of one predictor on the held-out events. */
export interface Score {
  model: string;
  predictions: number;
  top1: number;
  top5: number;
  mrr5: number;
}

/** Mean, standard deviation and range of one metric over the tie orders. */
export interface Spread {
  mean: number;
  sd: number;
  min: number;
  max: number;
}

/** Scores of one predictor on the next burst (the distinct actions of the principal's next second of activity). */
export interface BurstScore {
  model: string;
  bursts: number;
  /** The top-ranked action occurs in the next burst. */
  hit1: number;
  /** At least one of the top 5 occurs in the next burst. */
  hit5: number;
  /** Share of the next burst's distinct actions found in the top 5, out of at most 5. */
  recall5: number;
}

export interface BurstEvaluation {
  split: { trainFraction: number; principals: number; trainBursts: number; testBursts: number; meanBurstEvents: number };
  scores: BurstScore[];
  /** The model's gain over the burst-level reference (hit@5 and recall@5, absolute). */
  gainOverReference: { hit1: number; hit5: number; recall5: number };
  /** Median and 99th percentile time of one next-burst prediction, microseconds. */
  predictMicros: { median: number; p99: number };
  /** How much each kind of evidence counts in the fitted model. */
  weights: Record<string, number>;
  /** Burst shapes learned from the training bursts, most frequent first (up to 10). */
  shapes: { count: number; top: { name: string; bursts: number; actions: string[] }[] };
}

export interface EvaluationReport {
  split: { trainFraction: number; principals: number; trainEvents: number; testEvents: number; vocabulary: number; unseenTestActions: number };
  trainMs: number;
  /** Median and 99th percentile time of one top-5 prediction, microseconds. */
  predictMicros: { median: number; p99: number };
  options: Record<string, unknown>;
  /** What tuning tried on the validation split (inside the training part) and chose. */
  tuning?: { chosen: Partial<ModelOptions>; validation: { options: Partial<ModelOptions>; top1: number; top5: number; mrr5: number }[] };
  /** Event-level scores, each the mean over the tie orders. */
  scores: Score[];
  /**
   * Events in the same second have no knowable order; each tie order breaks those ties at random (seeded) and the
   * event-level evaluation is repeated on it. The spread says how much of a score is tie-order noise.
   */
  tieOrders: { orders: number; seed: number; spread: { model: string; top1: Spread; top5: Spread; mrr5: Spread }[] };
  /** The model's gain over first-order Markov (top-1 and top-5, absolute, of the means). */
  gainOverMarkov: { top1: number; top5: number };
  /** Next-burst prediction: order-free, so no tie-order spread. */
  bursts?: BurstEvaluation;
  /** Reliability of the model's probabilities: its top-5 next actions (all tie orders) and top-5 next-burst actions. */
  calibration: { events: Reliability; bursts?: Reliability };
  /** On generated data: how the burst shapes the model learned compare with the generator's templates. */
  truth?: ShapeTruth;
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
  /** The generator's truth (generated data only). */
  truth?: Truth;
  /**
   * Choose the model's order and cache weights on a validation split carved from the training part only
   * (the last 15% of each principal's training events), then retrain on the whole training part. Default true.
   */
  tune?: boolean;
  /** Random orders of same-second events the event-level scores are averaged over (default 5). */
  tieOrders?: number;
  /** Seed of the tie orders (default 1). */
  seed?: number;
}

/** Weights of the burst model in next-action predictions tried by tuning, after the grid. */
export const BURST_WEIGHTS = [0, 0.15, 0.3, 0.5, 0.7];

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

/**
 * The events in time order with same-second ties broken at random: a hash of each event id with the seed and the
 * order's number, so an order depends only on the events, never on how they were read.
 */
export function tieOrder(events: readonly TrailEvent[], seed: number, order: number): TrailEvent[] {
  const salt = `${seed}|${order}|`;
  const keyed = events.map((e) => ({ e, k: hash32(salt + e.id) }));
  keyed.sort((a, b) => a.e.time - b.e.time || a.k - b.k || (a.e.id < b.e.id ? -1 : a.e.id > b.e.id ? 1 : 0));
  return keyed.map((x) => x.e);
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

function spread(xs: number[]): Spread {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean: r4(mean), sd: r4(sd), min: r4(Math.min(...xs)), max: r4(Math.max(...xs)) };
}

/**
 * Trains on the first 70% of every principal's events and scores next-action prediction on the rest, once per tie
 * order (scores are the means), and next-burst prediction on the first 70% of every principal's bursts.
 */
export function evaluate(events: Iterable<TrailEvent>, opts: EvaluateOptions = {}): EvaluationReport {
  const fraction = opts.trainFraction ?? 0.7;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`train fraction must be between 0 and 1, got ${fraction}`);
  const orders = opts.tieOrders ?? 5;
  if (!Number.isInteger(orders) || orders < 1) throw new Error(`tie orders must be a positive integer, got ${orders}`);
  const seed = opts.seed ?? 1;
  const list = [...events];
  const first = tieOrder(list, seed, 0);
  let tuned: EvaluationReport['tuning'];
  if (opts.tune !== false) {
    const { train } = splitByPrincipal(first, fraction);
    // The burst model does not depend on the options tuned: one for every candidate.
    const shared: { bursts?: BurstModel } = {};
    const validate = (candidate: Partial<ModelOptions>) => {
      const r = scoreEvents(flatten(train), { ...opts, model: { ...opts.model, ...candidate } }, 0.85, undefined, shared);
      const { top1, top5, mrr5 } = r.scores[0];
      return { options: candidate, top1, top5, mrr5 };
    };
    const better = <T extends { top1: number; top5: number }>(a: T, b: T) => (b.top1 + b.top5 > a.top1 + a.top5 ? b : a);
    // First the sequence model's settings, then how much the burst model counts beside them.
    const grid = TUNING_GRID.map(validate);
    const settings = grid.reduce(better).options;
    const second = opts.bursts === false ? [] : BURST_WEIGHTS.filter((w) => w !== settings.burstWeight).map((burstWeight) => validate({ ...settings, burstWeight }));
    const best = [...grid, ...second].reduce(better);
    tuned = { chosen: best.options, validation: [...grid, ...second] };
    opts = { ...opts, model: { ...opts.model, ...best.options } };
  }
  const eventCalibration = new ReliabilityTally();
  const runs = Array.from({ length: orders }, (_, r) => scoreEvents(r === 0 ? first : tieOrder(list, seed, r), opts, fraction, eventCalibration));
  const run0 = runs[0];
  const names = run0.scores.map((s) => s.model);
  const spreads = names.map((model, m) => {
    const of = (metric: 'top1' | 'top5' | 'mrr5') => spread(runs.map((r) => r.scores[m][metric]));
    return { model, top1: of('top1'), top5: of('top5'), mrr5: of('mrr5') };
  });
  const scores: Score[] = spreads.map((s, m) => ({ model: s.model, predictions: run0.scores[m].predictions, top1: s.top1.mean, top5: s.top5.mean, mrr5: s.mrr5.mean }));
  const m = scores[0];
  const mk = scores.find((s) => s.model === 'markov-1')!;
  const burstEval = opts.bursts === false ? undefined : evaluateBursts(first, fraction, opts);
  return {
    split: run0.split,
    trainMs: run0.trainMs,
    predictMicros: run0.predictMicros,
    options: run0.options,
    tuning: tuned,
    scores,
    tieOrders: { orders, seed, spread: spreads },
    gainOverMarkov: { top1: r4(m.top1 - mk.top1), top5: r4(m.top5 - mk.top5) },
    bursts: burstEval?.report,
    calibration: { events: eventCalibration.result(), bursts: burstEval?.calibration },
    truth: opts.truth && burstEval ? compareShapes(burstEval.shapes, opts.truth) : undefined,
  };
}

/** One event-level evaluation on events in one order: the model, the baselines and, when given, the truth. */
function scoreEvents(events: Iterable<TrailEvent>, opts: EvaluateOptions, fraction: number, calibration?: ReliabilityTally, shared: { bursts?: BurstModel } = {}) {
  const { all, train, cut } = splitByPrincipal(events, fraction);
  const engine = trainEngine(train, { ...opts, bursts: false });
  const { model } = engine;
  // The event-level model blends in the burst model, which needs no burst shapes of its own here.
  const burstModel =
    opts.bursts === false
      ? undefined
      : (shared.bursts ??= BurstModel.train(train, { sessionGapMs: opts.model?.sessionGapMs, ...opts.bursts, shapes: { maxShapes: 0 } }, engine.peers.groupOf));
  const baselines = trainBaselines(engine.sequences);
  const tallies = [new Tally('model'), ...baselines.map((b) => new Tally(b.name))];
  let testEvents = 0;
  let unseen = 0;
  const times: number[] = [];
  for (const [principal, list] of all) {
    const start = cut.get(principal)!;
    if (start >= list.length) continue;
    const seq: Sequence = { principal, actions: list.map(actionOf), times: list.map((e) => e.time) };
    const bursts = burstContexts(list, burstModel?.options.window ?? 0, model.options.sessionGapMs);
    for (const { i, hist, w } of model.contexts(seq)) {
      const burstContext = bursts.next().value!;
      if (i < start) continue;
      testEvents++;
      const actual = seq.actions[i];
      if (model.isNew(w)) unseen++;
      const t0 = performance.now();
      const top = blendedTopIds(model, burstModel && burstCandidates(burstModel, principal, burstContext, true), principal, hist, 5);
      if (times.length < 20_000) times.push(performance.now() - t0);
      const ranked = top.map((x) => model.nameOf(x.id));
      tallies[0].add(ranked, actual);
      if (calibration) for (let r = 0; r < top.length; r++) calibration.add(Math.min(1, top[r].p), ranked[r] === actual);
      const prev = i > 0 ? seq.actions[i - 1] : undefined;
      for (let b = 0; b < baselines.length; b++) tallies[b + 1].add(baselines[b].rank(principal, prev, 5), actual);
    }
  }
  return {
    split: { trainFraction: fraction, principals: all.size, trainEvents: engine.eventCount, testEvents, vocabulary: model.vocab.size - 2, unseenTestActions: unseen },
    trainMs: Math.round(engine.trainMs),
    predictMicros: micros(times),
    options: { ...model.options, peerGroups: engine.peers.groups.length } as Record<string, unknown>,
    scores: tallies.map((t) => t.score()),
  };
}

const micros = (times: number[]) => ({ median: Math.round(percentile(times, 0.5) * 1000 * 10) / 10, p99: Math.round(percentile(times, 0.99) * 1000 * 10) / 10 });

class BurstTally {
  n = 0;
  hit1 = 0;
  hit5 = 0;
  recall = 0;
  constructor(readonly name: string) {}
  add(ranked: readonly string[], actual: ReadonlySet<string>) {
    this.n++;
    if (ranked.length && actual.has(ranked[0])) this.hit1++;
    let hits = 0;
    for (const a of ranked.slice(0, 5)) if (actual.has(a)) hits++;
    if (hits) this.hit5++;
    this.recall += hits / Math.min(5, actual.size);
  }
  score(): BurstScore {
    const d = this.n || 1;
    return { model: this.name, bursts: this.n, hit1: r4(this.hit1 / d), hit5: r4(this.hit5 / d), recall5: r4(this.recall / d) };
  }
}

/**
 * Next-burst evaluation: each principal's bursts in time order, the first `fraction` train (with every event they
 * hold), and each later burst is predicted from the bursts before it.
 */
function evaluateBursts(ordered: readonly TrailEvent[], fraction: number, opts: EvaluateOptions): { report: BurstEvaluation; calibration: Reliability; shapes: readonly Shape[] } {
  const all = groupByPrincipal(ordered);
  const train = new Map<string, TrailEvent[]>();
  const tests: { principal: string; bursts: Burst[]; cut: number }[] = [];
  const sequences: BurstSequence[] = [];
  let trainBursts = 0;
  let events = 0;
  let burstCount = 0;
  for (const [principal, list] of all) {
    const bursts = burstsOf(list);
    events += list.length;
    burstCount += bursts.length;
    const cut = Math.floor(bursts.length * fraction);
    if (cut > 0) {
      const end = cut < bursts.length ? bursts[cut].time : Infinity;
      train.set(principal, list.filter((e) => e.time < end));
      sequences.push({ principal, bursts: bursts.slice(0, cut).map((b) => b.actions) });
      trainBursts += cut;
    }
    tests.push({ principal, bursts, cut });
  }
  const engine = trainEngine(train, opts);
  const model = engine.bursts!;
  const window = model.options.window;
  const gap = model.options.sessionGapMs;
  const baselines = trainBurstBaselines(sequences);
  const tallies = [new BurstTally('model'), ...baselines.map((b) => new BurstTally(b.name))];
  const calibration = new ReliabilityTally();
  const times: number[] = [];
  for (const { principal, bursts, cut } of tests)
    for (let j = Math.max(1, cut); j < bursts.length; j++) {
      const actual = new Set(bursts[j].actions);
      const context = { bursts: bursts.slice(Math.max(0, j - window), j).map((b) => b.actions), newSession: bursts[j].time - bursts[j - 1].time > gap };
      const t0 = performance.now();
      const top = model.rank(principal, context, 5, true);
      if (times.length < 20_000) times.push(performance.now() - t0);
      tallies[0].add(
        top.map((x) => x.action),
        actual,
      );
      for (const x of top) calibration.add(x.p, actual.has(x.action));
      const latest = bursts[j - 1].actions;
      for (let b = 0; b < baselines.length; b++) tallies[b + 1].add(baselines[b].rank(principal, latest, 5), actual);
    }
  const scores = tallies.map((t) => t.score());
  const m = scores[0];
  const ref = scores.find((s) => s.model === 'burst-reference')!;
  return {
    report: {
      split: { trainFraction: fraction, principals: all.size, trainBursts, testBursts: m.bursts, meanBurstEvents: r4(events / (burstCount || 1)) },
      scores,
      gainOverReference: { hit1: r4(m.hit1 - ref.hit1), hit5: r4(m.hit5 - ref.hit5), recall5: r4(m.recall5 - ref.recall5) },
      predictMicros: micros(times),
      weights: model.featureWeights(),
      shapes: {
        count: model.shapes.shapes.length,
        top: [...model.shapes.shapes]
          .sort((a, b) => b.bursts - a.bursts || a.id - b.id)
          .slice(0, 10)
          .map((s) => ({ name: s.name, bursts: s.bursts, actions: s.actions.filter((a) => a.share >= 0.5).map((a) => a.action) })),
      },
    },
    calibration: calibration.result(),
    shapes: model.shapes.shapes,
  };
}
