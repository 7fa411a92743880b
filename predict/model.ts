import { BOS, MINUTE, RESERVED, UNK, Vocab, type Sequence } from './corpus.ts';
import type { EncodedEvents } from './encoded.ts';
import { Trie } from './trie.ts';

/**
 * Variable-order sequence model over actions (`eventSource:eventName`).
 *
 * Counts live in tries keyed by integer action ids, one trie for the whole account, one per peer group and one
 * per principal. A prediction interpolates them from the least to the most specific evidence, order by order
 * (account, peers, principal at order 0, then the same at order 1, ...), each step blended with everything below
 * it using Witten-Bell or absolute-discount weights. A long gap since the last event starts a new session, so
 * the context becomes "session start" instead of the previous session's tail.
 */

export interface ModelOptions {
  /** Longest context used (number of previous actions). */
  order: number;
  /** Inactivity that starts a new session (ms). */
  sessionGapMs: number;
  smoothing: 'witten-bell' | 'absolute';
  /** Witten-Bell: weight on the number of distinct followers (higher trusts counts less). */
  beta: number;
  /** Absolute discount subtracted from every seen count. */
  discount: number;
  /** Whether peer-group tries take part. */
  usePeers: boolean;
  /** How many of the principal's most recent actions the session cache looks at. */
  cacheWindow: number;
  /** Mixture weight of the cache of recently used actions (recency-decayed unigram). */
  cacheWeight: number;
  /** Mixture weight of recently seen transitions out of the current action. */
  cacheBigramWeight: number;
  /** Per-step decay of a cached action's weight with its age. */
  cacheDecay: number;
  /**
   * Weight of the next-burst model in next-action predictions (predict/next-event.ts), blended with this model's
   * distribution; 0 leaves this model alone.
   */
  burstWeight: number;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = {
  order: 3,
  sessionGapMs: 30 * MINUTE,
  smoothing: 'witten-bell',
  beta: 1,
  discount: 0.75,
  usePeers: true,
  cacheWindow: 200,
  cacheWeight: 0.1,
  cacheBigramWeight: 0.2,
  cacheDecay: 0.98,
  burstWeight: 0.5,
};

export const OOV_BASE = 1 << 24;

export interface Prediction {
  action: string;
  p: number;
}

/** Where a prediction's context comes from; all optional. */
export interface PredictContext {
  /** Most recent actions, oldest first. Unknown actions are allowed (they match nothing). */
  recent?: string[];
  /** Milliseconds since the principal's last event; a gap beyond the session gap means "session start". */
  gapMs?: number;
}

/** One level's trie (its root is node 0), absent when the principal has no peer group or history. */
type Level = Trie | undefined;

/** Context nodes of a prediction: node `nodes[i]` of trie `tries[i]`. */
interface ContextNodes {
  tries: Trie[];
  nodes: number[];
}

export class SequenceModel {
  readonly vocab: Vocab;
  readonly options: ModelOptions;
  private global = new Trie();
  private readonly byPrincipal = new Map<string, Trie>();
  private readonly byGroup = new Map<number, Trie>();
  private readonly groupOf = new Map<string, number>();
  /**
   * Actions first met after training (in a context) get ids from OOV_BASE up. The trained counts know nothing
   * about them, but the recency cache can still predict a new API the principal has just started calling.
   */
  private readonly oov = new Map<string, number>();
  private readonly oovNames: string[] = [];
  /** Base (order-0) distributions per principal, built on demand for fast top-k. */
  private readonly baseCache = new Map<string, { p: Float64Array; sorted: Int32Array }>();

  private constructor(vocab: Vocab, options: ModelOptions) {
    this.vocab = vocab;
    this.options = options;
  }

  /** Trains on principal sequences; `peerGroups` maps principal key to a group id (optional). */
  static train(sequences: Iterable<Sequence>, options: Partial<ModelOptions> = {}, peerGroups?: Map<string, number>): SequenceModel {
    const opts = { ...DEFAULT_MODEL_OPTIONS, ...options };
    const m = new SequenceModel(new Vocab(RESERVED), opts);
    if (peerGroups && opts.usePeers) for (const [k, g] of peerGroups) m.groupOf.set(k, g);
    for (const seq of sequences) m.add(seq);
    return m;
  }

  /**
   * Trains on events already encoded as action ids (what the engine does): the same model as `train` on their
   * sequences, without looking up an action string per event.
   */
  static trainEncoded(encoded: EncodedEvents, options: Partial<ModelOptions> = {}, peerGroups?: Map<string, number>): SequenceModel {
    const opts = { ...DEFAULT_MODEL_OPTIONS, ...options };
    const m = new SequenceModel(new Vocab(RESERVED), opts);
    if (peerGroups && opts.usePeers) for (const [k, g] of peerGroups) m.groupOf.set(k, g);
    // Encoded ids follow first appearance, as `add` would have assigned them: id + RESERVED.length.
    for (const name of encoded.names) m.vocab.add(name);
    if (m.vocab.size !== RESERVED.length + encoded.names.length) throw new Error('an action name collides with a reserved marker');
    for (const [principal, { ids, times }] of encoded.byPrincipal) m.countIds(principal, ids, times, RESERVED.length, false);
    m.mergeLevels();
    return m;
  }

  /**
   * Adds one principal's sequence (in time order) to the counts. The events are counted once, into a trie of their
   * own, which is then added node by node to the principal's, its peer group's and the account's: a trie has far
   * fewer nodes than the sequence has events, so the three levels cost little more than one.
   */
  add(seq: Sequence): void {
    this.countIds(
      seq.principal,
      seq.actions.map((a) => this.vocab.add(a)),
      seq.times,
      0,
    );
  }

  /**
   * `add` on vocabulary ids (each id + `shift`), in time order. `merge` false leaves the peer group's and the
   * account's tries to `mergeLevels`.
   */
  private countIds(principal: string, ids: ArrayLike<number>, times: ArrayLike<number>, shift: number, merge = true): void {
    const N = this.options.order;
    const gap = this.options.sessionGapMs;
    // Sized for what long sessions make (~0.2 nodes and ~0.6 counts an event at 1M): growing rehashes the indexes.
    const own = new Trie(Math.max(64, ids.length >> 2), Math.max(128, ids.length >> 1));
    // Every event counts at the root and in an order-1 node: the root is counted in an array by id (its counts
    // reach the trie at the end in first-seen order), and the order-1 nodes are found by id.
    const V = this.vocab.size;
    const rootCounts = new Int32Array(V);
    const rootSeen: number[] = [];
    countSequence(own, ids, times, shift, N, gap, rootCounts, rootSeen);
    for (const w of rootSeen) own.add(0, w, rootCounts[w]);
    const root = this.byPrincipal.get(principal);
    if (root) root.merge(own);
    else this.byPrincipal.set(principal, own);
    if (!merge) return;
    const g = this.groupOf.get(principal);
    if (g !== undefined) {
      let groupRoot = this.byGroup.get(g);
      if (!groupRoot) this.byGroup.set(g, (groupRoot = new Trie()));
      groupRoot.merge(own);
    }
    this.global.merge(own);
    this.baseCache.clear();
  }

  /**
   * The peer groups' tries from their members', then the account's from the groups' and the ungrouped principals':
   * the same counts as merging every principal into both, but the account's merge walks a group's trie once instead
   * of each member's (the members of a group share most of their contexts). Only the order in which a node's
   * followers were first met differs, and no answer depends on it (sums per action, ranks by probability then id).
   */
  private mergeLevels(): void {
    const members = new Map<number, Trie[]>();
    for (const [principal, root] of this.byPrincipal) {
      const g = this.groupOf.get(principal);
      if (g !== undefined) (members.get(g) ?? members.set(g, []).get(g)!).push(root);
    }
    const ungrouped: Trie[] = [];
    for (const [principal, root] of this.byPrincipal) {
      const g = this.groupOf.get(principal);
      if (g === undefined) {
        ungrouped.push(root);
        continue;
      }
      let groupRoot = this.byGroup.get(g);
      if (!groupRoot) this.byGroup.set(g, (groupRoot = sizedFor(members.get(g)!)));
      groupRoot.merge(root);
    }
    const parts = [...ungrouped, ...this.byGroup.values()];
    if (this.global.size === 1 && this.global.entries === 0) this.global = sizedFor(parts);
    for (const part of parts) this.global.merge(part);
    this.baseCache.clear();
  }

  /** Id of an action: its vocabulary id, or an out-of-vocabulary id assigned on first sight. */
  idOf(action: string): number {
    const id = this.vocab.id(action);
    if (id !== undefined) return id;
    let o = this.oov.get(action);
    if (o === undefined) {
      o = OOV_BASE + this.oovNames.length;
      this.oov.set(action, o);
      this.oovNames.push(action);
    }
    return o;
  }

  nameOf(id: number): string {
    return id >= OOV_BASE ? this.oovNames[id - OOV_BASE] : this.vocab.names[id];
  }

  /** True for ids of actions the training data never contained. */
  isNew(id: number): boolean {
    return id >= OOV_BASE || id === UNK;
  }

  get principals(): string[] {
    return [...this.byPrincipal.keys()];
  }

  knows(principal: string): boolean {
    return this.byPrincipal.has(principal);
  }

  /** Number of training events of a principal (or of the account). */
  count(principal?: string): number {
    return (principal === undefined ? this.global : this.byPrincipal.get(principal))?.total[0] ?? 0;
  }

  /**
   * Context ids, oldest first, for a prediction: the recent actions (unknown ones become UNK), with a
   * session-start marker appended when the gap says a new session begins. The n-gram part reads back to the
   * last session start; the cache reads the whole recent window.
   */
  encodeContext(ctx: PredictContext = {}): number[] {
    const recent = (ctx.recent ?? []).slice(-Math.max(this.options.order, this.options.cacheWindow));
    const ids = recent.map((a) => this.idOf(a));
    if (ids.length === 0 || (ctx.gapMs !== undefined && ctx.gapMs > this.options.sessionGapMs)) ids.push(BOS);
    return ids;
  }

  private levels(principal: string): Level[] {
    const g = this.groupOf.get(principal);
    return [this.global, g === undefined ? undefined : this.byGroup.get(g), this.byPrincipal.get(principal)];
  }

  /** Context nodes of order >= 1, lowest order first, account before peers before principal. */
  private contextNodes(levels: Level[], hist: number[]): ContextNodes {
    const out: ContextNodes = { tries: [], nodes: [] };
    // Each level's node for the context so far (-1: the context goes beyond what it has seen).
    const cur = levels.map((t): number => (t ? 0 : -1));
    for (let k = 1; k <= this.options.order && k <= hist.length; k++) {
      const sym = hist[hist.length - k];
      for (let l = 0; l < cur.length; l++) {
        if (cur[l] < 0) continue;
        const t = levels[l]!;
        const n = (cur[l] = t.child(cur[l], sym));
        if (n >= 0) (out.tries.push(t), out.nodes.push(n));
      }
      if (sym === BOS) break;
    }
    return out;
  }

  /** The share a node passes to the lower-order estimate. */
  private gamma(t: Trie, n: number): number {
    return this.gammaOf(t.total[n], t.types[n]);
  }

  private mass(t: Trie, n: number, c: number): number {
    return this.massOf(t.total[n], t.types[n], c);
  }

  private gammaOf(total: number, types: number): number {
    if (this.options.smoothing === 'absolute') return Math.min(1, (this.options.discount * types) / total);
    const t = this.options.beta * types;
    return t / (total + t);
  }

  private massOf(total: number, types: number, c: number): number {
    if (this.options.smoothing === 'absolute') return Math.max(c - this.options.discount, 0) / total;
    return c / (total + this.options.beta * types);
  }

  /** One interpolation step for a single action; `leaveOut` removes one occurrence of it from the counts first. */
  private step(t: Trie, n: number, w: number, lower: number, leaveOut: boolean): number {
    let total = t.total[n];
    let types = t.types[n];
    let c = t.countOf(n, w);
    if (leaveOut && c > 0) {
      total--;
      c--;
      if (c === 0) types--;
    }
    if (total <= 0) return lower;
    return lower * this.gammaOf(total, types) + this.massOf(total, types, c);
  }

  /** Order-0 interpolation for a principal: account, peers, principal over a uniform floor. */
  private base(principal: string): { p: Float64Array; sorted: Int32Array } {
    let b = this.baseCache.get(principal);
    if (b) return b;
    const V = this.vocab.size;
    const p = new Float64Array(V);
    p.fill(1 / (V - 1));
    p[BOS] = 0;
    for (const t of this.levels(principal)) if (t && t.total[0] > 0) this.blend(p, t, 0);
    const sorted = Int32Array.from({ length: V - 2 }, (_, i) => i + 2).sort((a, c) => p[c] - p[a] || a - c);
    b = { p, sorted };
    if (this.baseCache.size > 10_000) this.baseCache.clear();
    this.baseCache.set(principal, b);
    return b;
  }

  private blend(p: Float64Array, t: Trie, n: number): void {
    const g = this.gamma(t, n);
    for (let i = 0; i < p.length; i++) p[i] *= g;
    for (let e = t.first[n]; e >= 0; e = t.next[e]) p[t.action[e]] += this.mass(t, n, t.count[e]);
  }

  /** Full next-action distribution (index = action id; BOS has 0). Sums to 1. */
  distribution(principal: string, ctx: PredictContext = {}): Float64Array {
    return this.distributionIds(principal, this.encodeContext(ctx));
  }

  distributionIds(principal: string, hist: number[]): Float64Array {
    const p = Float64Array.from(this.base(principal).p);
    const { tries, nodes } = this.contextNodes(this.levels(principal), hist);
    for (let i = 0; i < nodes.length; i++) this.blend(p, tries[i], nodes[i]);
    const c = this.cache(hist);
    if (c.ln < 1) {
      for (let i = 0; i < p.length; i++) p[i] *= c.ln;
      // Mass on actions unknown to training goes to UNK, which stands for "something new".
      for (const [w, x] of c.uni) p[w >= OOV_BASE ? UNK : w] += c.lu * x;
      for (const [w, x] of c.bi) p[w >= OOV_BASE ? UNK : w] += c.lb * x;
    }
    return p;
  }

  /**
   * Recency caches over the recent window: actions used lately (decayed by age) and, separately, what followed
   * the current action lately. Both adapt to the task at hand (a deployment, an investigation) without training.
   */
  private cache(hist: number[]): { ln: number; lu: number; lb: number; uni: Map<number, number>; bi: Map<number, number> } {
    const { cacheWindow, cacheDecay, cacheWeight, cacheBigramWeight } = this.options;
    const uni = new Map<number, number>();
    const bi = new Map<number, number>();
    if (cacheWindow <= 0 || cacheWeight + cacheBigramWeight <= 0 || hist.length === 0) return { ln: 1, lu: 0, lb: 0, uni, bi };
    const last = hist[hist.length - 1];
    const stop = Math.max(0, hist.length - cacheWindow);
    let zu = 0;
    let zb = 0;
    let wt = 1;
    for (let j = hist.length - 1; j >= stop; j--) {
      const w = hist[j];
      if (w === BOS) continue;
      wt *= cacheDecay;
      if (w !== UNK) (uni.set(w, (uni.get(w) ?? 0) + wt), (zu += wt));
      if (last !== BOS && j > stop && hist[j - 1] === last && w !== UNK) (bi.set(w, (bi.get(w) ?? 0) + wt), (zb += wt));
    }
    for (const [w, x] of uni) uni.set(w, x / zu);
    for (const [w, x] of bi) bi.set(w, x / zb);
    const lu = zu > 0 ? cacheWeight : 0;
    const lb = zb > 0 ? cacheBigramWeight : 0;
    return { ln: 1 - lu - lb, lu, lb, uni, bi };
  }

  /**
   * Probability of one action id after a context, without building the whole distribution. With `leaveOneOut`
   * the event being scored is taken out of the counts (it was part of training): otherwise a one-off action in a
   * one-off context would predict itself and never look surprising.
   */
  probId(principal: string, hist: number[], w: number, leaveOneOut = false): number {
    const levels = this.levels(principal);
    const { tries, nodes } = this.contextNodes(levels, hist);
    let p: number;
    if (!leaveOneOut) p = w >= OOV_BASE ? 0 : this.base(principal).p[w];
    else {
      p = w >= OOV_BASE ? 0 : 1 / (this.vocab.size - 1);
      for (const t of levels) if (t && t.total[0] > 0) p = this.step(t, 0, w, p, true);
    }
    for (let i = 0; i < nodes.length; i++) p = this.step(tries[i], nodes[i], w, p, leaveOneOut);
    const c = this.cache(hist);
    return c.ln * p + c.lu * (c.uni.get(w) ?? 0) + c.lb * (c.bi.get(w) ?? 0);
  }

  /** Probabilities of several action ids after one context (the context nodes and caches are worked out once). */
  probIds(principal: string, hist: number[], ws: readonly number[]): number[] {
    const { tries, nodes } = this.contextNodes(this.levels(principal), hist);
    const base = this.base(principal).p;
    const c = this.cache(hist);
    return ws.map((w) => {
      let p = w >= OOV_BASE ? 0 : base[w];
      for (let i = 0; i < nodes.length; i++) p = this.step(tries[i], nodes[i], w, p, false);
      return c.ln * p + c.lu * (c.uni.get(w) ?? 0) + c.lb * (c.bi.get(w) ?? 0);
    });
  }

  prob(principal: string, action: string, ctx: PredictContext = {}): number {
    return this.probId(principal, this.encodeContext(ctx), this.idOf(action));
  }

  /** The k most likely next action ids with probabilities (exact, without scanning the whole vocabulary). */
  topIds(principal: string, hist: number[], k: number): { id: number; p: number }[] {
    const { tries, nodes } = this.contextNodes(this.levels(principal), hist);
    const base = this.base(principal);
    const c = this.cache(hist);
    let scale = c.ln;
    for (let i = 0; i < nodes.length; i++) scale *= this.gamma(tries[i], nodes[i]);
    // p(w) = scale * base(w) + sparse(w); actions outside every context node and cache rank by base alone.
    const sparse = new Map<number, number>();
    let s = c.ln;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const t = tries[i];
      const n = nodes[i];
      for (let e = t.first[n]; e >= 0; e = t.next[e]) sparse.set(t.action[e], (sparse.get(t.action[e]) ?? 0) + s * this.mass(t, n, t.count[e]));
      s *= this.gamma(t, n);
    }
    for (const [w, x] of c.uni) sparse.set(w, (sparse.get(w) ?? 0) + c.lu * x);
    for (const [w, x] of c.bi) sparse.set(w, (sparse.get(w) ?? 0) + c.lb * x);
    const cand: { id: number; p: number }[] = [];
    for (const [w, sp] of sparse) if (w !== UNK && w !== BOS) cand.push({ id: w, p: sp + (w >= OOV_BASE ? 0 : scale * base.p[w]) });
    for (let i = 0, added = 0; i < base.sorted.length && added < k; i++) {
      const w = base.sorted[i];
      if (sparse.has(w)) continue;
      cand.push({ id: w, p: scale * base.p[w] });
      added++;
    }
    cand.sort((a, b) => b.p - a.p || a.id - b.id);
    return cand.slice(0, k);
  }

  /** The k most likely next actions for a principal (unknown principals back off to peers and the account). */
  predict(principal: string, k = 5, ctx: PredictContext = {}): Prediction[] {
    return this.topIds(principal, this.encodeContext(ctx), k).map(({ id, p }) => ({ action: this.nameOf(id), p }));
  }

  /** Runs a principal's history through the model: the recent context before each event, as ids. */
  *contexts(seq: Sequence): Generator<{ i: number; hist: number[]; w: number }> {
    const keep = Math.max(this.options.order, this.options.cacheWindow) + 1;
    const hist: number[] = [];
    for (let i = 0; i < seq.actions.length; i++) {
      if (i === 0 || seq.times[i] - seq.times[i - 1] > this.options.sessionGapMs) hist.push(BOS);
      const w = this.idOf(seq.actions[i]);
      yield { i, hist, w };
      hist.push(w);
      if (hist.length > 2 * keep) hist.splice(0, hist.length - keep);
    }
  }
}

/**
 * The counting loop of `countIds`: each event at its order-1..N context nodes in `own`, and at the root in `rootCounts`
 * (ids in first-seen order in `rootSeen`). A function of its own because V8 compiles a long loop while it runs (on-stack
 * replacement) with only what it has met so far: code after the loop in the same function was compiled unseen, and
 * deoptimised once per principal when each loop ended.
 */
function countSequence(own: Trie, ids: ArrayLike<number>, times: ArrayLike<number>, shift: number, N: number, gap: number, rootCounts: Int32Array, rootSeen: number[]): void {
  const order1 = new Int32Array(rootCounts.length).fill(-1);
  // The last N symbols (at least one), most recent at hist[len - 1].
  const hist = new Int32Array(N + 2);
  let len = 0;
  for (let i = 0; i < ids.length; i++) {
    if (i === 0 || times[i] - times[i - 1] > gap) (len = 0), (hist[len++] = BOS);
    const w = ids[i] + shift;
    if (rootCounts[w]++ === 0) rootSeen.push(w);
    if (N >= 1) {
      const sym = hist[len - 1];
      let node = order1[sym];
      if (node < 0) node = order1[sym] = own.childOrNew(0, sym);
      own.add(node, w);
      if (sym !== BOS)
        for (let k = 2; k <= N && k <= len; k++) {
          const back = hist[len - k];
          node = own.childOrNew(node, back);
          own.add(node, w);
          if (back === BOS) break;
        }
    }
    hist[len++] = w;
    if (len > N) {
      for (let j = 1; j < len; j++) hist[j - 1] = hist[j];
      len--;
    }
  }
}

/**
 * An empty trie with room for the merge of `parts`: the parts share most of their contexts, so about half of what
 * they hold (and at least the largest), which spares most of the growth (each rehashes an index) without zeroing
 * arrays for the sum.
 */
function sizedFor(parts: readonly Trie[]): Trie {
  const room = (of: (t: Trie) => number) => Math.max(parts.reduce((n, t) => Math.max(n, of(t)), 0), parts.reduce((n, t) => n + of(t), 0) >> 1);
  return new Trie(room((t) => t.size), room((t) => t.entries));
}
