/**
 * Counts by integer key (action ids, shape ids) in one typed array: the keys in first-insertion order, their counts,
 * and an open-addressing index over them. Training counts millions of (action, follower) pairs; a `Map` per action
 * cost two hash lookups and a boxed entry per increment, and its growth fed the collector. Iteration follows first
 * insertion like a `Map`'s, so anything that walks the counts sees them in the same order as before.
 */
export class Counts {
  /** Entries held. */
  size = 0;
  /** [keys (capacity) | counts (capacity) | index (2 x capacity: entry + 1, 0 = empty)]. */
  private data: Int32Array;
  private capacity: number;
  private shift: number;

  constructor(capacity = 4) {
    this.capacity = Math.max(2, 2 ** Math.ceil(Math.log2(capacity)));
    this.shift = 32 - Math.log2(2 * this.capacity);
    this.data = new Int32Array(4 * this.capacity);
  }

  /** The key of entry `i` (0 <= i < size), in first-insertion order. */
  keyAt(i: number): number {
    return this.data[i];
  }

  /** The count of entry `i`. */
  countAt(i: number): number {
    return this.data[this.capacity + i];
  }

  /** The count of `key`, 0 when absent. */
  get(key: number): number {
    const e = this.find(key);
    return e < 0 ? 0 : this.data[this.capacity + e];
  }

  has(key: number): boolean {
    return this.find(key) >= 0;
  }

  /** Adds `by` to the count of `key` (a new key goes last). */
  add(key: number, by = 1): void {
    const d = this.data;
    const base = 2 * this.capacity;
    const mask = base - 1;
    for (let h = Math.imul(key, 0x9e3779b1) >>> this.shift; ; h = (h + 1) & mask) {
      const e = d[base + h];
      if (e === 0) break;
      if (d[e - 1] === key) {
        d[this.capacity + e - 1] += by;
        return;
      }
    }
    if (this.size === this.capacity) this.grow();
    const cap = this.capacity;
    const i = this.size++;
    this.data[i] = key;
    this.data[cap + i] = by;
    this.place(key, i);
  }

  /** Empties the table, keeping its capacity. */
  clear(): void {
    this.data.fill(0, 2 * this.capacity);
    this.size = 0;
  }

  /** Entries as [key, count] pairs in first-insertion order (for tests and one-off reads, not hot loops). */
  entries(): [number, number][] {
    return Array.from({ length: this.size }, (_, i) => [this.keyAt(i), this.countAt(i)]);
  }

  private find(key: number): number {
    const d = this.data;
    const base = 2 * this.capacity;
    const mask = base - 1;
    for (let h = Math.imul(key, 0x9e3779b1) >>> this.shift; ; h = (h + 1) & mask) {
      const e = d[base + h];
      if (e === 0) return -1;
      if (d[e - 1] === key) return e - 1;
    }
  }

  private place(key: number, entry: number): void {
    const d = this.data;
    const base = 2 * this.capacity;
    const mask = base - 1;
    let h = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (d[base + h] !== 0) h = (h + 1) & mask;
    d[base + h] = entry + 1;
  }

  private grow(): void {
    const old = this.data;
    const cap = this.capacity;
    this.capacity = cap * 2;
    this.shift--;
    this.data = new Int32Array(4 * this.capacity);
    this.data.set(old.subarray(0, cap), 0);
    this.data.set(old.subarray(cap, 2 * cap), this.capacity);
    for (let i = 0; i < this.size; i++) this.place(this.data[i], i);
  }
}

/** What reading a Counts needs: entries in first-insertion order, and a count by key. */
export interface CountsView {
  readonly size: number;
  keyAt(i: number): number;
  countAt(i: number): number;
  get(key: number): number;
  entries(): [number, number][];
}

/**
 * Counts by key below a known bound (action ids of a trained vocabulary) in a dense row: an increment is one array
 * write, no hashing. The burst model counts millions of (action, follower) pairs, where the hashed table's probe, key
 * compare and count were each a cache miss. Same reading as Counts: keys in first-insertion order.
 */
export class DenseCounts implements CountsView {
  size = 0;
  private readonly keys: number[] = [];
  private readonly counts: Int32Array;

  constructor(bound: number) {
    this.counts = new Int32Array(bound);
  }

  keyAt(i: number): number {
    return this.keys[i];
  }

  countAt(i: number): number {
    return this.counts[this.keys[i]];
  }

  /** The count of `key`, 0 when absent (any key: one at or above the bound was never added). */
  get(key: number): number {
    return key >= 0 && key < this.counts.length ? this.counts[key] : 0;
  }

  entries(): [number, number][] {
    return this.keys.map((k) => [k, this.counts[k]]);
  }

  /** Adds `by` (at least 1) to the count of `key`, which must be below the bound and not negative. */
  add(key: number, by = 1): void {
    if (this.counts[key] === 0) this.keys[this.size++] = key;
    this.counts[key] += by;
  }
}

/**
 * Where the counts of one model's many small tables go: dense rows while they fit in a byte budget (each row costs its
 * bound in 4-byte counts, whatever it holds), hashed tables after, so a large vocabulary cannot make memory explode.
 */
export class CountsBudget {
  constructor(
    /** Keys are below this (0 until known: hashed tables only). */
    public bound = 0,
    private left = 64 * 2 ** 20,
  ) {}

  table(): Counts | DenseCounts {
    const cost = 4 * this.bound;
    if (this.bound === 0 || cost > this.left) return new Counts();
    this.left -= cost;
    return new DenseCounts(this.bound);
  }
}
