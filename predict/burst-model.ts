import type { TrailEvent } from '../cloudtrail/event.ts';
import { burstsOf } from './bursts.ts';
import { MINUTE, Vocab } from './corpus.ts';
import { Counts, CountsBudget, type CountsView, type DenseCounts } from './counts.ts';
import { encodeEvents, type EncodedEvents, type EncodedSequence } from './encoded.ts';
import { ShapeBook, type IdSet, type Shape, type ShapeOptions } from './shapes.ts';

/**
 * Next-burst model: for every action, the probability that it occurs in a principal's next burst (the calls that
 * share the next second of activity), and the shape that burst most likely has.
 *
 * Each candidate action gets a few evidence features: was it in the latest burst, in the recent ones (decayed), how
 * often it followed bursts containing the latest burst's actions (for this principal, its peer group and the whole
 * account), how often this principal's bursts contain it at all, what followed such bursts lately (a recency cache
 * of transitions), and whether a new session starts. A logistic regression turns them into a probability. Its
 * weights are fitted on the training bursts in time order, each burst scored with the counts of the bursts before
 * it only, so the probabilities are what the features were worth on data the counts had not seen.
 */

export interface BurstModelOptions {
  /** Recent bursts the recency features look at. */
  window: number;
  /** Per-burst decay of the recency weight. */
  decay: number;
  /** Inactivity that starts a new session (ms). */
  sessionGapMs: number;
  /** Most training bursts the weights are fitted on (spread evenly over time). */
  fitBursts: number;
  /** Newton steps of the logistic fit (it stops earlier once converged). */
  iterations: number;
  /** Candidates scored per prediction (the most promising by their evidence). */
  candidates: number;
  shapes: Partial<ShapeOptions>;
}

export const DEFAULT_BURST_OPTIONS: BurstModelOptions = {
  window: 15,
  decay: 0.8,
  sessionGapMs: 30 * MINUTE,
  fitBursts: 2500,
  iterations: 12,
  candidates: 40,
  shapes: {},
};

export const BURST_FEATURES = [
  'bias',
  'in-latest-burst',
  'in-recent-bursts',
  'followed-principal',
  'followed-peers',
  'followed-account',
  'frequency-principal',
  'frequency-account',
  'followed-lately',
  'session-start',
  'new-session',
] as const;
const F = BURST_FEATURES.length;
const [BIAS, IN_LAST, RECENT, FOL_P, FOL_G, FOL_A, FREQ_P, FREQ_A, FOL_RECENT, START, NEW_SESSION] = BURST_FEATURES.map((_, i) => i);

/** One principal's training bursts: sorted action-id sets, their numbers in BurstSets, and the time of each. */
interface BurstSeq {
  principal: string;
  ids: IdSet[];
  sets: number[];
  times: number[];
}

/**
 * One shared array per distinct burst set. A million events make a few hundred thousand bursts but only thousands of
 * distinct sets (page loads and CI steps repeat): keeping one copy of each spares the collector from carrying every
 * burst's array through the young generation, which cost more than the encoding itself. Sets are never mutated.
 */
class BurstSets {
  /** Each distinct set, by number. */
  readonly list: IdSet[] = [];
  private readonly byHash = new Map<number, number[]>();

  /** The number of a set's shared copy (sorted ids; a new set is copied, so the caller may reuse its array). */
  of(ids: readonly number[]): number {
    let h = ids.length;
    for (let i = 0; i < ids.length; i++) h = (Math.imul(h, 31) + ids[i]) | 0;
    let bucket = this.byHash.get(h);
    if (!bucket) this.byHash.set(h, (bucket = []));
    for (const b of bucket) if (sameSet(this.list[b], ids)) return b;
    bucket.push(this.list.length);
    return this.list.push(ids.slice()) - 1;
  }
}

function sameSet(a: IdSet, b: IdSet): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A principal's encoded events as bursts (sorted action-id sets), one pass, no per-burst arrays but new sets. */
function encodeBursts(principal: string, events: EncodedSequence, sets: BurstSets): BurstSeq {
  const out: BurstSeq = { principal, ids: [], sets: [], times: [] };
  // The burst in progress: its distinct ids, kept sorted as they come.
  const current: number[] = [];
  let second = Number.NaN;
  const { ids, times } = events;
  // No closure to add a burst: one made per principal was a new call target each time, and V8 deoptimised the loop.
  for (let i = 0; i < ids.length; i++) {
    const s = Math.floor(times[i] / 1000);
    const id = ids[i];
    if (s !== second) {
      if (current.length) {
        const set = sets.of(current);
        out.ids.push(sets.list[set]);
        out.sets.push(set);
      }
      current.length = 0;
      current.push(id);
      second = s;
      out.times.push(s * 1000);
      continue;
    }
    let j = current.length;
    while (j > 0 && current[j - 1] > id) j--;
    if (j > 0 && current[j - 1] === id) continue;
    current.splice(j, 0, id);
  }
  if (current.length) {
    const set = sets.of(current);
    out.ids.push(sets.list[set]);
    out.sets.push(set);
  }
  return out;
}

/** Every burst of every principal in time order (ties: principal order): flat pairs (sequence, index). */
function mergeByTime(seqs: BurstSeq[], total: number): Int32Array {
  // A burst as one number, its second times the number of sequences plus its sequence: exact (below 2^53 for any
  // second of this era and millions of sequences), distinct (a sequence has one burst a second, in ascending
  // seconds), and in ascending order they come as a merge by (time, sequence) takes them. One typed-array sort
  // instead of a heap whose every step called comparison closures.
  const S = seqs.length;
  const keys = burstKeys(seqs, total);
  keys.sort();
  const order = new Int32Array(total * 2);
  const next = new Int32Array(S);
  for (let i = 0; i < total; i++) {
    const s = ((keys[i] % S) + S) % S;
    order[2 * i] = s;
    order[2 * i + 1] = next[s]++;
  }
  return order;
}

/**
 * mergeByTime's keys. A function of its own, as each long loop here: V8 compiles a loop while it runs (on-stack
 * replacement) with what it has met so far, and code after it in the same function, not yet run, deoptimises it.
 */
function burstKeys(seqs: BurstSeq[], total: number): Float64Array {
  const S = seqs.length;
  const keys = new Float64Array(total);
  let k = 0;
  for (let s = 0; s < S; s++) {
    const { times } = seqs[s];
    for (let j = 0; j < times.length; j++) keys[k++] = (times[j] / 1000) * S + s;
  }
  return keys;
}

/** A burst context: the principal's recent bursts (action ids, sorted), oldest first. */
interface IdContext {
  bursts: IdSet[];
  newSession: boolean;
}

/**
 * What one burst's successors looked like, for the actions of a burst (or for a shape). Made with every field, `strong`
 * too: added later, it changed the objects' hidden class and V8 threw away the code compiled for the old one.
 */
interface Followers<C extends CountsView = CountsView> {
  n: number;
  next: C;
  strong?: number[];
  strongAt: number;
}

const TOP = 12;

/** Counts at one level of evidence: one principal, one peer group or the whole account. */
class Level {
  bursts = 0;
  readonly freq: Counts | DenseCounts;
  starts = 0;
  readonly startFreq: Counts | DenseCounts;
  /** What followed bursts with each action, by action id (an array: a `Map` lookup per action of every burst cost more). */
  private readonly followers: (Followers<Counts | DenseCounts> | undefined)[];
  readonly shapeNext = new Map<number, Followers<Counts>>();
  private top?: { at: number; ids: number[]; startAt: number; startIds: number[] };

  /** `tables`: where the counts by action id are kept (dense rows while the model's budget lasts). */
  constructor(private readonly tables: CountsBudget) {
    this.freq = tables.table();
    this.startFreq = tables.table();
    // One slot per trained action, filled: written out of order, a short array turns into a dictionary.
    this.followers = new Array<undefined>(tables.bound).fill(undefined);
  }

  addBurst(ids: IdSet, newSession: boolean): void {
    this.bursts++;
    for (let i = 0; i < ids.length; i++) this.freq.add(ids[i]);
    if (newSession) {
      this.starts++;
      for (let i = 0; i < ids.length; i++) this.startFreq.add(ids[i]);
    }
  }

  addTransition(prev: IdSet, next: IdSet): void {
    for (let i = 0; i < prev.length; i++) {
      const x = prev[i];
      let f = this.followers[x];
      if (!f) this.followers[x] = f = { n: 0, next: this.tables.table(), strongAt: 0, strong: undefined };
      f.n++;
      for (let j = 0; j < next.length; j++) f.next.add(next[j]);
    }
  }

  /** What followed bursts with action `x` (an id of the trained vocabulary, or any other: none). */
  followersOf(x: number): Followers<Counts | DenseCounts> | undefined {
    return x < this.followers.length ? this.followers[x] : undefined;
  }

  addShapeTransition(from: number, to: number): void {
    let f = this.shapeNext.get(from);
    if (!f) this.shapeNext.set(from, (f = { n: 0, next: new Counts(), strongAt: 0, strong: undefined }));
    f.n++;
    f.next.add(to);
  }

  /** The most frequent actions (and session-start actions), recomputed only when the counts have grown. */
  tops(): { ids: number[]; startIds: number[] } {
    const t = this.top;
    const stale = (at: number, now: number) => now > at * 1.25 + 8;
    if (!t || stale(t.at, this.bursts) || stale(t.startAt, this.starts)) {
      const rank = (m: CountsView) => m.entries().sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, TOP).map(([id]) => id);
      this.top = { at: this.bursts, ids: rank(this.freq), startAt: this.starts, startIds: rank(this.startFreq) };
    }
    return this.top!;
  }
}

export interface BurstPrediction {
  /** Actions with the probability that each occurs in the next burst (they need not sum to 1), most likely first. */
  actions: { action: string; p: number }[];
  /** Most likely shapes of the next burst, with probabilities. */
  shapes: { shape: Shape; p: number }[];
  /** Shape of the latest burst, when it has a known one. */
  current?: Shape;
  /** Expected number of distinct actions in the next burst (over the scored candidates). */
  expectedActions: number;
}

/** A context in action names: recent bursts, oldest first, and whether the next burst starts a new session. */
export interface BurstContext {
  bursts: string[][];
  newSession?: boolean;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Ridge penalty of the logistic fit: keeps weights finite when a feature separates the data perfectly. */
const RIDGE = 1;

/** Solves the symmetric positive definite system A x = b (n x n, row-major) by Gaussian elimination with pivoting. */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[pivot * n + c])) pivot = r;
    if (Math.abs(m[pivot * n + c]) < 1e-12) continue;
    if (pivot !== c) {
      for (let k = 0; k < n; k++) [m[c * n + k], m[pivot * n + k]] = [m[pivot * n + k], m[c * n + k]];
      [x[c], x[pivot]] = [x[pivot], x[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / m[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let v = x[c];
    for (let k = c + 1; k < n; k++) v -= m[c * n + k] * x[k];
    x[c] = Math.abs(m[c * n + c]) < 1e-12 ? 0 : v / m[c * n + c];
  }
  return x;
}

/** Followers at least this likely propose themselves as candidates. */
const PROPOSE = 0.05;

/** Followers of an action that are likely enough to propose themselves, recomputed only when the counts grew. */
function strongFollowers(f: Followers): number[] {
  if (!f.strong || f.n > f.strongAt * 1.25 + 4) {
    const min = PROPOSE * (f.n + 1);
    f.strong = [];
    for (let i = 0; i < f.next.size; i++) if (f.next.countAt(i) >= min) f.strong.push(f.next.keyAt(i));
    f.strongAt = f.n;
  }
  return f.strong;
}

/** True when two sorted id sets share an element. */
function shares(a: IdSet, b: IdSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++;
    else j++;
  }
  return false;
}

/** Candidate actions and their feature rows (F numbers each, flat), reused between predictions. */
class Candidates {
  ids: number[] = [];
  x = new Float64Array(64 * F);
  count = 0;
  private kept = new Float64Array(0);
  /**
   * Where each action's row is: a dense table by action id, valid where its stamp is the current generation (so
   * nothing is cleared between predictions); ids assigned after training use the map.
   */
  private position = new Int32Array(256);
  private stamp = new Int32Array(256);
  private generation = 0;
  private readonly late = new Map<number, number>();
  private newSession = 0;

  reset(newSession: boolean): void {
    this.ids = [];
    this.count = 0;
    this.generation++;
    this.late.clear();
    this.newSession = newSession ? 1 : 0;
  }

  private indexOf(a: number): number {
    if (a >= OOV_BASE) return this.late.get(a) ?? -1;
    return a < this.stamp.length && this.stamp[a] === this.generation ? this.position[a] : -1;
  }

  /** Offset of the candidate's row, or -1. */
  find(a: number): number {
    const i = this.indexOf(a);
    return i < 0 ? -1 : i * F;
  }

  /** Offset of the candidate's row, adding the candidate when new. */
  slot(a: number): number {
    const i = this.indexOf(a);
    if (i >= 0) return i * F;
    if ((this.count + 1) * F > this.x.length) {
      const grown = new Float64Array(this.x.length * 2);
      grown.set(this.x);
      this.x = grown;
    }
    const off = this.count * F;
    this.x.fill(0, off, off + F);
    this.x[off + BIAS] = 1;
    this.x[off + NEW_SESSION] = this.newSession;
    if (a >= OOV_BASE) this.late.set(a, this.count);
    else {
      if (a >= this.stamp.length) {
        const size = Math.max(a + 1, this.stamp.length * 2);
        const stamp = new Int32Array(size);
        stamp.set(this.stamp);
        const position = new Int32Array(size);
        position.set(this.position);
        this.stamp = stamp;
        this.position = position;
      }
      this.stamp[a] = this.generation;
      this.position[a] = this.count;
    }
    this.count++;
    this.ids.push(a);
    return off;
  }

  /** The `max` candidates with the strongest evidence (all of them when there are few); valid until the next reset. */
  strongest(max: number): { ids: number[]; x: Float64Array } {
    if (this.count <= max) return { ids: this.ids, x: this.x.subarray(0, this.count * F) };
    const x = this.x;
    const prior = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const o = i * F;
      prior[i] = x[o + IN_LAST] + x[o + RECENT] + x[o + FOL_P] + x[o + FOL_G] + x[o + FOL_A] + x[o + FOL_RECENT] + x[o + START] + x[o + FREQ_P];
    }
    const order = Array.from({ length: this.count }, (_, i) => i)
      .sort((a, b) => prior[b] - prior[a] || this.ids[a] - this.ids[b])
      .slice(0, max);
    if (this.kept.length < max * F) this.kept = new Float64Array(max * F);
    order.forEach((i, r) => this.kept.set(x.subarray(i * F, i * F + F), r * F));
    return { ids: order.map((i) => this.ids[i]), x: this.kept.subarray(0, max * F) };
  }
}
/** Shape id standing for "a session starts" as the context of a shape transition. */
const START_SHAPE = -2;
const OTHER_SHAPE = -1;
const OOV_BASE = 1 << 24;

export class BurstModel {
  readonly vocab = new Vocab();
  readonly options: BurstModelOptions;
  readonly weights = new Float64Array(F);
  shapes!: ShapeBook;
  /** Training bursts the weights were fitted on, and rows (candidate actions) scored. */
  fitted = { bursts: 0, rows: 0 };
  /** Counts by action id: dense rows of the trained vocabulary's size, within a budget. */
  private readonly tables: CountsBudget;
  private readonly all: Level;
  private readonly byPrincipal = new Map<string, Level>();
  private readonly byGroup = new Map<number, Level>();
  private readonly groupOf = new Map<string, number>();
  private readonly oov = new Map<string, number>();
  private readonly oovNames: string[] = [];
  private readonly scratch = new Candidates();
  /**
   * Encoded context bursts by identity, for callers that walk a history and pass the same burst arrays again and
   * again (evaluation). Only for them: a one-off prediction's fresh arrays would only load the collector.
   */
  private readonly encoded = new WeakMap<readonly string[], IdSet>();
  private readonly lately = new Counts(64);
  /** Scratch of shapeDistribution, and the training bursts the shapes hold. */
  private shapeDist = new Float64Array(0);
  private shapeBursts?: number;
  trainedBursts = 0;

  private constructor(options: BurstModelOptions, actions: number) {
    this.options = options;
    this.tables = new CountsBudget(actions);
    this.all = new Level(this.tables);
  }

  /**
   * Trains on each principal's events in time order; `peerGroups` maps principal key to a group id. `encoded`: the
   * same events already encoded (the engine encodes once for all its models).
   */
  static train(
    byPrincipal: Map<string, readonly TrailEvent[]>,
    options: Partial<BurstModelOptions> = {},
    peerGroups?: Map<string, number>,
    encoded: EncodedEvents = encodeEvents(byPrincipal),
  ): BurstModel {
    return BurstModel.trainEncoded(encoded, options, peerGroups);
  }

  /** `train` on each principal's events already encoded (the engine encodes once for all its models). */
  static trainEncoded(encoded: EncodedEvents, options: Partial<BurstModelOptions> = {}, peerGroups?: Map<string, number>): BurstModel {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const m = new BurstModel({ ...DEFAULT_BURST_OPTIONS, ...given }, encoded.names.length);
    if (peerGroups) for (const [k, g] of peerGroups) m.groupOf.set(k, g);
    const seqs: BurstSeq[] = [];
    let total = 0;
    for (const name of encoded.names) m.vocab.add(name);
    const sets = new BurstSets();
    for (const [principal, events] of encoded.byPrincipal) {
      const seq = encodeBursts(principal, events, sets);
      seqs.push(seq);
      total += seq.ids.length;
    }
    m.trainedBursts = total;
    // Every burst in time order across principals, so the account level only ever holds the past.
    const { rows, labels } = m.replay(seqs, mergeByTime(seqs, total));
    m.fit(rows, labels);
    m.learnShapes(seqs, sets);
    return m;
  }

  /**
   * Every burst in time order (`order`, mergeByTime's pairs): counted, and every `stride`-th one first scored with the
   * counts of the bursts before it, which gives the logistic fit's rows and labels. A method of its own so that the
   * loop, compiled while it runs, is not followed by code V8 has not seen yet (fit, shapes), which deoptimised it.
   */
  private replay(seqs: BurstSeq[], order: Int32Array): { rows: Float64Array; labels: Uint8Array } {
    const total = order.length >> 1;
    const stride = Math.max(1, Math.floor(total / this.options.fitBursts));
    // Room for every scored burst (one in `stride`), each with at most `candidates` rows: the arrays never grow.
    const most = Math.ceil(total / stride) * this.options.candidates;
    const rows = new Float64Array(most * F);
    const labels = new Uint8Array(most);
    let n = 0;
    // Each sequence's levels once found (three map lookups a burst were a tenth of this loop).
    const levels: ([Level, Level | undefined] | undefined)[] = new Array<undefined>(seqs.length).fill(undefined);
    for (let r = 0; r < total; r++) {
      const s = order[2 * r];
      const { principal, ids, times } = seqs[s];
      const j = order[2 * r + 1];
      const newSession = j === 0 || times[j] - times[j - 1] > this.options.sessionGapMs;
      if (j > 0 && r % stride === 0) {
        const ctx: IdContext = { bursts: ids.slice(Math.max(0, j - this.options.window), j), newSession };
        const target = new Set(ids[j]);
        const c = this.features(principal, ctx);
        rows.set(c.x.subarray(0, c.ids.length * F), n * F);
        for (let i = 0; i < c.ids.length; i++) labels[n + i] = target.has(c.ids[i]) ? 1 : 0;
        n += c.ids.length;
        this.fitted.bursts++;
      }
      const at = (levels[s] ??= this.levelsFor(principal));
      this.observe(at[0], at[1], ids, j, newSession);
    }
    return { rows: rows.subarray(0, n * F), labels: labels.subarray(0, n) };
  }

  private encode(actions: readonly string[], add: boolean): number[] {
    const ids: number[] = [];
    for (const a of actions) {
      const id = add ? this.vocab.add(a) : this.idOf(a);
      if (!ids.includes(id)) ids.push(id);
    }
    return ids.sort((a, b) => a - b);
  }

  /**
   * Id of an action: its vocabulary id, or one assigned on first sight after training. The counts know nothing of
   * a new action, but the recency evidence can still predict an API the principal has just started calling.
   */
  private idOf(action: string): number {
    const id = this.vocab.id(action);
    if (id !== undefined) return id;
    let o = this.oov.get(action);
    if (o === undefined) this.oov.set(action, (o = OOV_BASE + this.oovNames.length)), this.oovNames.push(action);
    return o;
  }

  private nameOf(id: number): string {
    return id >= OOV_BASE ? this.oovNames[id - OOV_BASE] : this.vocab.names[id];
  }

  private levels(principal: string): [Level | undefined, Level | undefined, Level] {
    const g = this.groupOf.get(principal);
    return [this.byPrincipal.get(principal), g === undefined ? undefined : this.byGroup.get(g), this.all];
  }

  /** A principal's level and its peer group's, made on its first burst. */
  private levelsFor(principal: string): [Level, Level | undefined] {
    let p = this.byPrincipal.get(principal);
    if (!p) this.byPrincipal.set(principal, (p = new Level(this.tables)));
    const g = this.groupOf.get(principal);
    let group: Level | undefined;
    if (g !== undefined) {
      group = this.byGroup.get(g);
      if (!group) this.byGroup.set(g, (group = new Level(this.tables)));
    }
    return [p, group];
  }

  /** Counts burst `j` of `ids` at the principal's level `p`, its group's and the account's. */
  private observe(p: Level, group: Level | undefined, ids: IdSet[], j: number, newSession: boolean): void {
    p.addBurst(ids[j], newSession);
    group?.addBurst(ids[j], newSession);
    this.all.addBurst(ids[j], newSession);
    if (!newSession) {
      p.addTransition(ids[j - 1], ids[j]);
      group?.addTransition(ids[j - 1], ids[j]);
      this.all.addTransition(ids[j - 1], ids[j]);
    }
  }


  /** Evidence features of the most promising candidate actions for the next burst: ids, and their rows of F features. */
  private features(principal: string, ctx: IdContext): { ids: number[]; x: Float64Array } {
    const [lp, lg, la] = this.levels(principal);
    const c = this.scratch;
    c.reset(ctx.newSession);
    const bursts = ctx.bursts;
    const last = bursts[bursts.length - 1];
    const x = () => c.x;
    if (last) {
      for (const a of last) x()[c.slot(a) + IN_LAST] = 1;
      // Decayed presence in the recent bursts, normalised to [0, 1].
      let w = 1;
      let z = 0;
      for (let i = bursts.length - 1; i >= 0; i--, w *= this.options.decay) {
        z += w;
        for (const a of bursts[i]) x()[c.slot(a) + RECENT] += w;
      }
      for (let i = 0; i < c.count; i++) c.x[i * F + RECENT] /= z;
      // What followed bursts sharing an action with the latest one, within the recent window.
      let n = 0;
      const lately = this.lately;
      lately.clear();
      for (let i = 1; i < bursts.length; i++) {
        if (!shares(bursts[i - 1], last)) continue;
        n++;
        for (const a of bursts[i]) lately.add(a);
      }
      for (let i = 0; i < lately.size; i++) x()[c.slot(lately.keyAt(i)) + FOL_RECENT] = lately.countAt(i) / (n + 1);
      if (!ctx.newSession) {
        const follow = (level: Level | undefined, slot: number) => {
          if (!level) return;
          for (const y of last) {
            const f = level.followersOf(y);
            if (!f) continue;
            const scale = 1 / (f.n + 1);
            const next = f.next;
            if (next.size <= 2 * c.count) {
              for (let j = 0; j < next.size; j++) {
                const a = next.keyAt(j);
                const v = next.countAt(j) * scale;
                const at = v >= PROPOSE ? c.slot(a) : c.find(a);
                if (at >= 0 && v > c.x[at + slot]) c.x[at + slot] = v;
              }
            } else {
              // A common action with many followers: score the candidates, and propose only its strong followers.
              for (let i = 0; i < c.count; i++) {
                const v = next.get(c.ids[i]) * scale;
                if (v > c.x[i * F + slot]) c.x[i * F + slot] = v;
              }
              for (const a of strongFollowers(f)) {
                const at = c.slot(a);
                const v = next.get(a) * scale;
                if (v > c.x[at + slot]) c.x[at + slot] = v;
              }
            }
          }
        };
        follow(lp, FOL_P);
        follow(lg, FOL_G);
        follow(la, FOL_A);
      }
    }
    if (ctx.newSession) {
      const starts = lp && lp.starts > 0 ? lp : la;
      for (const a of starts.tops().startIds) c.slot(a);
      for (let i = 0; i < c.count; i++) c.x[i * F + START] = starts.startFreq.get(c.ids[i]) / (starts.starts + 1);
    }
    for (const a of (lp ?? la).tops().ids) c.slot(a);
    for (let i = 0; i < c.count; i++) {
      const a = c.ids[i];
      if (lp) c.x[i * F + FREQ_P] = lp.freq.get(a) / (lp.bursts + 1);
      c.x[i * F + FREQ_A] = la.freq.get(a) / (la.bursts + 1);
    }
    return c.strongest(this.options.candidates);
  }

  /**
   * Logistic regression by Newton's method (iteratively reweighted least squares) with a light ridge penalty:
   * deterministic, no learning rate to tune, and a few sequential passes over the rows.
   */
  private fit(rows: Float64Array, labels: Uint8Array): void {
    const w = this.weights;
    w.fill(0);
    const n = labels.length;
    this.fitted.rows = n;
    if (n === 0) {
      w[BIAS] = -3;
      return;
    }
    const rate = labels.reduce((s, y) => s + y, 0) / n;
    w[BIAS] = Math.log((rate + 1e-3) / (1 - rate + 1e-3));
    const grad = new Float64Array(F);
    const hess = new Float64Array(F * F);
    // Each row's non-zero features, in feature order: about half of a row is zero, and a zero term changes no sum
    // below (the sums start at +0), so skipping them leaves every sum, and so the weights, the same bit for bit.
    const nz = new Uint8Array(n * F);
    const nzCount = new Uint8Array(n);
    for (let i = 0, off = 0; i < n; i++, off += F) {
      let c = 0;
      for (let k = 0; k < F; k++) if (rows[off + k] !== 0) nz[off + c++] = k;
      nzCount[i] = c;
    }
    /** Penalised negative log-likelihood of weights `v`; each row's z (its linear score) is kept in `zs`. */
    const loss = (v: Float64Array, zs: Float64Array) => {
      let l = 0;
      for (let i = 0, off = 0; i < n; i++, off += F) {
        let z = 0;
        for (let j = 0, end = nzCount[i]; j < end; j++) {
          const k = nz[off + j];
          z += v[k] * rows[off + k];
        }
        zs[i] = z;
        // log(1 + e^z) - y z, computed without overflow
        l += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - labels[i] * z;
      }
      let r = 0;
      for (let k = 0; k < F; k++) r += v[k] * v[k];
      return l + 0.5 * RIDGE * r;
    };
    // The rows' z at the current weights: the loss that accepted them computed each one, in the same order of terms
    // as a pass here would, so the step reads them instead of computing them again (the same values, bit for bit).
    let zs = new Float64Array(n);
    let tried = new Float64Array(n);
    let current = loss(w, zs);
    for (let iter = 0; iter < this.options.iterations; iter++) {
      grad.fill(0);
      hess.fill(0);
      for (let i = 0, off = 0; i < n; i++, off += F) {
        const end = off + nzCount[i];
        const p = sigmoid(zs[i]);
        const g = labels[i] - p;
        const v = p * (1 - p);
        for (let ja = off; ja < end; ja++) {
          const a = nz[ja];
          const xa = rows[off + a];
          grad[a] += g * xa;
          const va = v * xa;
          for (let jb = ja; jb < end; jb++) {
            const b = nz[jb];
            hess[a * F + b] += va * rows[off + b];
          }
        }
      }
      for (let a = 0; a < F; a++) {
        grad[a] -= RIDGE * w[a];
        hess[a * F + a] += RIDGE;
        for (let b = 0; b < a; b++) hess[a * F + b] = hess[b * F + a];
      }
      const step = solve(hess, grad, F);
      // Damped Newton: halve the step until the loss goes down (a full step can overshoot where sigmoids saturate).
      const next = new Float64Array(F);
      let scale = 1;
      let value = Infinity;
      for (let tries = 0; tries < 20; tries++, scale /= 2) {
        for (let k = 0; k < F; k++) next[k] = w[k] + scale * step[k];
        value = loss(next, tried);
        if (value <= current) break;
      }
      if (!(value <= current)) break;
      w.set(next);
      const accepted = tried;
      tried = zs;
      zs = accepted;
      const gain = current - value;
      current = value;
      if (gain < 1e-6 * (1 + current)) break;
    }
  }

  /** Shapes of the training bursts, learnt once per distinct set (`sets`) with how many bursts had it. */
  private learnShapes(seqs: BurstSeq[], sets: BurstSets): void {
    const bursts = new Int32Array(sets.list.length);
    for (const seq of seqs) for (const set of seq.sets) bursts[set]++;
    const { book, shapes } = ShapeBook.learnSets(sets.list, bursts, (id) => this.vocab.names[id], this.options.shapes);
    this.shapes = book;
    for (const { principal, sets, times } of seqs) {
      const [lp, lg, la] = this.levels(principal);
      let prev = OTHER_SHAPE;
      for (let j = 0; j < sets.length; j++) {
        const s = shapes[sets[j]];
        const from = j === 0 || times[j] - times[j - 1] > this.options.sessionGapMs ? START_SHAPE : prev;
        lp?.addShapeTransition(from, s);
        lg?.addShapeTransition(from, s);
        la.addShapeTransition(from, s);
        prev = s;
      }
    }
  }

  /** Probability that action `a` is in the next burst, for every scored candidate, most likely first. */
  private scored(principal: string, ctx: IdContext): { id: number; p: number }[] {
    const out: { id: number; p: number }[] = [];
    const c = this.features(principal, ctx);
    for (let i = 0; i < c.ids.length; i++) {
      let z = 0;
      for (let k = 0; k < F; k++) z += this.weights[k] * c.x[i * F + k];
      out.push({ id: c.ids[i], p: sigmoid(z) });
    }
    return out.sort((a, b) => b.p - a.p || a.id - b.id);
  }

  /**
   * Top-k actions of the next burst, as action names (what evaluation ranks). `recurring`: the context's burst
   * arrays come back in later calls (a walk over a history), so their encodings are kept for them.
   */
  rank(principal: string, ctx: BurstContext, k: number, recurring = false): { action: string; p: number }[] {
    return this.scored(principal, this.encodeContext(ctx, recurring))
      .slice(0, k)
      .map(({ id, p }) => ({ action: this.nameOf(id), p }));
  }

  private encodeContext(ctx: BurstContext, recurring = false): IdContext {
    const from = Math.max(0, ctx.bursts.length - this.options.window);
    const bursts: IdSet[] = [];
    for (let i = from; i < ctx.bursts.length; i++) {
      const b = ctx.bursts[i];
      let ids = recurring ? this.encoded.get(b) : undefined;
      if (!ids) {
        ids = this.encode(b, false);
        if (recurring) this.encoded.set(b, ids);
      }
      bursts.push(ids);
    }
    return { bursts, newSession: ctx.newSession ?? bursts.length === 0 };
  }

  /**
   * Shape transition probabilities from a context shape, interpolated principal > peers > account, by shape id. The
   * array is reused by the next call: a prediction leaves no per-shape garbage behind.
   */
  private shapeDistribution(principal: string, from: number): Float64Array {
    const [lp, lg, la] = this.levels(principal);
    const shapes = this.shapes.shapes;
    if (this.shapeDist.length !== shapes.length) this.shapeDist = new Float64Array(shapes.length);
    const dist = this.shapeDist;
    const total = (this.shapeBursts ??= shapes.reduce((s, x) => s + x.bursts, 0)) || 1;
    for (let s = 0; s < shapes.length; s++) dist[s] = shapes[s].bursts / total;
    for (const level of [la, lg, lp]) {
      const f = level?.shapeNext.get(from);
      if (!f) continue;
      const lambda = f.n / (f.n + 5);
      for (let s = 0; s < dist.length; s++) dist[s] = (1 - lambda) * dist[s];
      for (let i = 0; i < f.next.size; i++) {
        const s = f.next.keyAt(i);
        if (s >= 0) dist[s] += (lambda * f.next.countAt(i)) / f.n;
      }
    }
    return dist;
  }

  /** The next burst: its likely actions (each with its probability of occurring) and its likely shapes. */
  predict(principal: string, ctx: BurstContext, k = 5): BurstPrediction {
    const ids = this.encodeContext(ctx);
    const scored = this.scored(principal, ids);
    const last = ids.bursts[ids.bursts.length - 1];
    const currentId = last && last.length ? this.shapes.shapeOf(last) : OTHER_SHAPE;
    const from = ids.newSession ? START_SHAPE : currentId;
    const dist = this.shapeDistribution(principal, from);
    const shapes = top3(dist).map((s) => ({ shape: this.shapes.shapes[s], p: dist[s] }));
    return {
      actions: scored.slice(0, k).map(({ id, p }) => ({ action: this.nameOf(id), p })),
      shapes,
      current: currentId >= 0 ? this.shapes.shapes[currentId] : undefined,
      expectedActions: scored.reduce((s, x) => s + x.p, 0),
    };
  }

  /** Fitted weight of each feature, by name (how much each kind of evidence counts). */
  featureWeights(): Record<string, number> {
    return Object.fromEntries(BURST_FEATURES.map((name, i) => [name, Math.round(this.weights[i] * 1000) / 1000]));
  }
}

/** The three most likely shapes (ids), most likely first (ties: lower id), without sorting every shape on each prediction. */
function top3(dist: Float64Array): number[] {
  const best: number[] = [];
  for (let s = 0; s < dist.length; s++) {
    const p = dist[s];
    let i = best.length;
    // Ids come in ascending order, so an equal probability never moves ahead of an earlier shape.
    while (i > 0 && p > dist[best[i - 1]]) i--;
    if (i < 3) {
      best.splice(i, 0, s);
      if (best.length > 3) best.pop();
    }
  }
  return best;
}

/** A principal's latest bursts as a context, from its events in time order. */
export function burstContext(events: readonly TrailEvent[], window: number, opts: { gapMs?: number; sessionGapMs?: number } = {}): BurstContext {
  // Enough events for `window` bursts: walk back until that many distinct seconds are covered.
  let i = events.length;
  let seconds = 0;
  let lastSecond = Number.NaN;
  while (i > 0) {
    const s = Math.floor(events[i - 1].time / 1000);
    if (s !== lastSecond) {
      if (seconds === window) break;
      seconds++;
      lastSecond = s;
    }
    i--;
  }
  const bursts = burstsOf(events.slice(i)).map((b) => b.actions);
  const newSession = bursts.length === 0 || (opts.gapMs !== undefined && opts.gapMs > (opts.sessionGapMs ?? DEFAULT_BURST_OPTIONS.sessionGapMs));
  return { bursts, newSession };
}
