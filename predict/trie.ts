/**
 * A count trie in flat typed arrays: for each context node, how often each action followed it. The sequence model
 * keeps one per principal, peer group and account. As objects (a node with a `Map` of counts and a `Map` of
 * children) the tries of a million events with long sessions made ~400k nodes and ~800k maps; every one survived,
 * so each young-generation collection copied them and training spent more time collecting (1.2 of 1.9 s on the load
 * bench's set) than counting. Here a trie is a dozen arrays, whatever its size.
 *
 * Nodes are numbered in creation order from the root (0), so a parent's number is always below its children's: a
 * merge walks another trie's nodes in number order and finds each parent already placed. A node's counts are a list
 * in the order their actions were first met; a node's child for a symbol and its count for an action are found
 * through two open-addressing indexes.
 */
export class Trie {
  /** Nodes held (node 0 is the root). */
  size = 1;
  /** Per node: events counted, distinct actions counted, the symbol it was reached by, and its parent (-1: root). */
  total: Int32Array;
  types: Int32Array;
  private sym: Int32Array;
  private parent: Int32Array;
  /** Per node: its first and last count entry (-1: none). */
  first: Int32Array;
  private last: Int32Array;
  /** Count entries: action, count, node and the node's next entry (-1: none). */
  entries = 0;
  action: Int32Array;
  count: Int32Array;
  next: Int32Array;
  private owner: Int32Array;
  /** Indexes: child node + 1 by (node, symbol), entry + 1 by (node, action); 0 is empty. */
  private children: Int32Array;
  private counts: Int32Array;

  constructor(nodes = 64, entries = 128) {
    this.total = new Int32Array(nodes);
    this.types = new Int32Array(nodes);
    this.sym = new Int32Array(nodes);
    this.parent = new Int32Array(nodes);
    this.first = new Int32Array(nodes).fill(-1);
    this.last = new Int32Array(nodes).fill(-1);
    this.parent[0] = -1;
    this.children = new Int32Array(indexSize(nodes));
    this.action = new Int32Array(entries);
    this.count = new Int32Array(entries);
    this.next = new Int32Array(entries);
    this.owner = new Int32Array(entries);
    this.counts = new Int32Array(indexSize(entries));
  }

  /** The child of `node` for `symbol`, or -1. */
  child(node: number, symbol: number): number {
    const index = this.children;
    const mask = index.length - 1;
    for (let h = slot(node, symbol, mask); ; h = (h + 1) & mask) {
      const c = index[h] - 1;
      if (c < 0) return -1;
      if (this.parent[c] === node && this.sym[c] === symbol) return c;
    }
  }

  /** The child of `node` for `symbol`, made when there is none. */
  childOrNew(node: number, symbol: number): number {
    const index = this.children;
    const mask = index.length - 1;
    let h = slot(node, symbol, mask);
    for (; ; h = (h + 1) & mask) {
      const c = index[h] - 1;
      if (c < 0) break;
      if (this.parent[c] === node && this.sym[c] === symbol) return c;
    }
    const c = this.size;
    if (c === this.total.length) this.growNodes();
    this.size++;
    this.sym[c] = symbol;
    this.parent[c] = node;
    this.first[c] = this.last[c] = -1;
    if (2 * this.size <= index.length) index[h] = c + 1;
    else this.children = reindex(2 * index.length, 1, this.size, this.parent, this.sym);
    return c;
  }

  /** How often `w` followed `node` (0 when never). */
  countOf(node: number, w: number): number {
    const e = this.entry(node, w);
    return e < 0 ? 0 : this.count[e];
  }

  /** Adds `by` occurrences of `w` after `node` (the node's total too). */
  add(node: number, w: number, by = 1): void {
    this.total[node] += by;
    const index = this.counts;
    const mask = index.length - 1;
    let h = slot(node, w, mask);
    for (; ; h = (h + 1) & mask) {
      const e = index[h] - 1;
      if (e < 0) break;
      if (this.owner[e] === node && this.action[e] === w) {
        this.count[e] += by;
        return;
      }
    }
    const e = this.entries;
    if (e === this.action.length) this.growEntries();
    this.entries++;
    this.action[e] = w;
    this.count[e] = by;
    this.owner[e] = node;
    this.next[e] = -1;
    if (this.last[node] < 0) this.first[node] = e;
    else this.next[this.last[node]] = e;
    this.last[node] = e;
    this.types[node]++;
    if (2 * this.entries <= index.length) index[h] = e + 1;
    else this.counts = reindex(2 * index.length, 0, this.entries, this.owner, this.action);
  }

  /** Adds every count of `from` to this trie, node by node (its nodes made here where missing). */
  merge(from: Trie): void {
    const at = new Int32Array(from.size);
    for (let n = 1; n < from.size; n++) at[n] = this.childOrNew(at[from.parent[n]], from.sym[n]);
    for (let n = 0; n < from.size; n++) {
      // A node's total counts every event at it: the entries' sum, unless counted apart (the root's is).
      const into = at[n];
      let sum = 0;
      for (let e = from.first[n]; e >= 0; e = from.next[e]) {
        this.add(into, from.action[e], from.count[e]);
        sum += from.count[e];
      }
      this.total[into] += from.total[n] - sum;
    }
  }

  private entry(node: number, w: number): number {
    const index = this.counts;
    const mask = index.length - 1;
    for (let h = slot(node, w, mask); ; h = (h + 1) & mask) {
      const e = index[h] - 1;
      if (e < 0) return -1;
      if (this.owner[e] === node && this.action[e] === w) return e;
    }
  }

  private growNodes(): void {
    const n = 2 * this.total.length;
    this.total = grown(this.total, n);
    this.types = grown(this.types, n);
    this.sym = grown(this.sym, n);
    this.parent = grown(this.parent, n);
    this.first = grown(this.first, n);
    this.last = grown(this.last, n);
  }

  private growEntries(): void {
    const n = 2 * this.action.length;
    this.action = grown(this.action, n);
    this.count = grown(this.count, n);
    this.next = grown(this.next, n);
    this.owner = grown(this.owner, n);
  }
}

/** An index with room for `n` keys at most half full. */
const indexSize = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(4, 2 * n)));

/** Where (node, key) starts probing in an index of mask + 1 slots (a 32-bit mix: nodes and ids are small numbers). */
function slot(node: number, key: number, mask: number): number {
  let h = Math.imul(node, 0x9e3779b1) ^ key;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) & mask;
}

/**
 * An index of `size` slots over items from..count-1, item i keyed by (nodes[i], keys[i]). The keys are passed as
 * arrays, not as a function computing a slot: a closure per call made the loop's call site polymorphic, and V8
 * deoptimised it each time the other index grew.
 */
function reindex(size: number, from: number, count: number, nodes: Int32Array, keys: Int32Array): Int32Array {
  const index = new Int32Array(size);
  const mask = size - 1;
  for (let i = from; i < count; i++) {
    let h = slot(nodes[i], keys[i], mask);
    while (index[h] !== 0) h = (h + 1) & mask;
    index[h] = i + 1;
  }
  return index;
}

function grown(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/**
 * Every branch of the hot methods taken once, at load, on a throwaway trie that starts with room for one node and one
 * count. V8 compiles a long counting loop (one principal's events) with the branches seen so far; a branch first taken
 * after that (a trie growing, an index doubling) deoptimises the loop, whose rest then runs unoptimised until it is
 * compiled again. On the load bench's 1M events that happened a dozen times in the first training of a process (and
 * never in the next one): part of why the first cost about twice a later one.
 */
function takeEveryBranch(): void {
  const t = new Trie(1, 1);
  for (let i = 0; i < 8; i++) for (let j = 0; j < 4; j++) t.add(t.childOrNew(t.childOrNew(0, j), i), i, 1 + j);
  const into = new Trie(1, 1);
  into.merge(t);
  into.merge(t);
  into.countOf(into.child(0, 0), 0);
  into.countOf(0, 99);
  into.child(0, 99);
}
// V8 records what a function meets only once it has run a little (lazy feedback allocation): a few rounds.
for (let round = 0; round < 16; round++) takeEveryBranch();
