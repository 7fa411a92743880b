/**
 * String ids by the bytes a value is written with, so the builder makes a string only the first time a value is
 * seen: a trail repeats a few thousand sources, names, regions, accounts, agents and addresses a million times, and
 * decoding each occurrence into a fresh string to hash it for a Map was most of the columns' build (issue #14).
 *
 * The key is the raw bytes between the quotes (escapes and all); `decode` turns a new key into its string once and
 * `intern` gives that string's id, so two spellings of one string (`a\/b` and `a/b`) are two keys with one id.
 * Bytes decode the same way in every file: non-ASCII bytes only occur in files decoded as UTF-8, and ASCII bytes
 * read the same as latin1 or UTF-8.
 */
export class ByteInterner {
  /** Open addressing: entry number + 1 per slot, 0 empty. */
  private slots = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 11);
  private starts = new Uint32Array(1 << 11);
  private lengths = new Uint32Array(1 << 11);
  private idsOf = new Uint32Array(1 << 11);
  private count = 0;
  /** The keys' bytes, end to end. */
  private arena = new Uint8Array(1 << 16);
  /** The arena as little-endian words, to compare a key four bytes at a time. */
  private arenaWords = new DataView(this.arena.buffer);
  private used = 0;

  constructor(
    /** The string of a new key (bytes `[start, end)` of `b`). */
    private readonly decode: (b: Uint8Array, start: number, end: number) => string,
    private readonly intern: (s: string) => number,
  ) {}

  /** The id of the string written as bytes `[start, end)` of `b`; `w` views `b`'s bytes (a DataView of them). */
  id(b: Uint8Array, start: number, end: number, w: DataView = new DataView(b.buffer, b.byteOffset, b.byteLength)): number {
    const n = end - start;
    const h = sampleHash(b, start, n);
    const mask = this.slots.length - 1;
    const arena = this.arena;
    const words = this.arenaWords;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s] - 1;
      if (e < 0) break;
      if (this.hashes[e] !== h || this.lengths[e] !== n) continue;
      const at = this.starts[e];
      // Four bytes at a time: a byte loop here was the build's largest line (user agents are ~90 bytes).
      let k = 0;
      while (k + 4 <= n && words.getInt32(at + k, true) === w.getInt32(start + k, true)) k += 4;
      while (k < n && arena[at + k] === b[start + k]) k++;
      if (k === n) return this.idsOf[e];
    }
    const id = this.intern(this.decode(b, start, end));
    this.add(b, start, end, h, id);
    return id;
  }

  private add(b: Uint8Array, start: number, end: number, h: number, id: number): void {
    const n = end - start;
    // A pathological trail with a new value per event (unique error messages) must not grow the keys without end:
    // past the bound the table starts again, and the string table still answers each string's id.
    if (this.count >= MAX_KEYS || this.used + n > MAX_BYTES) this.clear();
    if (this.used + n > this.arena.length) {
      this.arena = grown(this.arena, this.used + n);
      this.arenaWords = new DataView(this.arena.buffer);
    }
    this.arena.set(b.subarray(start, end), this.used);
    if (this.count === this.hashes.length) {
      const m = this.count * 2;
      this.hashes = grown(this.hashes, m);
      this.starts = grown(this.starts, m);
      this.lengths = grown(this.lengths, m);
      this.idsOf = grown(this.idsOf, m);
    }
    const e = this.count++;
    this.hashes[e] = h;
    this.starts[e] = this.used;
    this.lengths[e] = n;
    this.idsOf[e] = id;
    this.used += n;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e);
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[e] & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = e + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let e = 0; e < this.count; e++) this.place(e);
  }

  private clear(): void {
    this.slots.fill(0);
    this.count = 0;
    this.used = 0;
  }
}

/**
 * Hash of a value's length and of 8 of its bytes spread over it, not of every byte: a hit compares every byte
 * anyway, and hashing all of them cost as much again (user agents are ~90 bytes). Values alike in those bytes
 * share a probe chain, which costs time, never a wrong id.
 */
function sampleHash(b: Uint8Array, start: number, n: number): number {
  let h = n;
  if (n <= 8) {
    for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + b[start + i]) | 0;
    return h;
  }
  for (let k = 0; k < 8; k++) h = (Math.imul(h, 31) + b[start + ((((n - 1) * k) / 7) | 0)]) | 0;
  return h;
}

const MAX_KEYS = 1 << 20;
const MAX_BYTES = 64 << 20;

function grown<T extends Uint8Array | Uint32Array | Int32Array>(a: T, atLeast: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(atLeast, a.length * 2));
  next.set(a);
  return next;
}
