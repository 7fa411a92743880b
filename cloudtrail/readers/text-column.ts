import { isAscii } from 'node:buffer';

/**
 * Strings of one column as UTF-8 bytes with end offsets (value i is bytes[ends[i-1], ends[i])): two transferable
 * arrays instead of one string per event, which a million events' ids and resources used to cost the collector.
 */
export interface TextColumn {
  bytes: Uint8Array;
  ends: Uint32Array;
  /** Every byte is ASCII, so latin1 decoding (cheaper than UTF-8) is exact. */
  ascii: boolean;
}

/** Value i of a text column ('' when empty). */
export function textAt(col: TextColumn, i: number): string {
  const start = i === 0 ? 0 : col.ends[i - 1];
  const end = col.ends[i];
  if (start === end) return '';
  return bufferOf(col.bytes).toString(col.ascii ? 'latin1' : 'utf8', start, end);
}

const views = new WeakMap<Uint8Array, Buffer>();
/** A Buffer over the same memory (for its decoders), made once per array. */
function bufferOf(bytes: Uint8Array): Buffer {
  let b = views.get(bytes);
  if (!b) views.set(bytes, (b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  return b;
}

/** A typed array that doubles as values are pushed. */
export class Growing<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  /** Room for `extra` more values, so a caller may write `data[length++]` directly (a file's records at once). */
  reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const next = this.make(Math.max(this.data.length * 2, this.length + extra));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  /**
   * The values, without a copy: the rest of the array was never written, so its pages were never touched and
   * cost no memory, and a copy of every column at the end of a parse was a visible share of it (issue #14).
   */
  done(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

export class TextColumnBuilder {
  private bytes: Uint8Array;
  private view: Buffer;
  private used = 0;
  private readonly ends: Growing<Uint32Array>;

  /**
   * `capacity` values and `byteCapacity` bytes before growing: room never written costs no memory, while growing
   * by doubling copies every byte again into fresh pages, a page fault each (issue #14: page faults were a large
   * share of a cold load's system time).
   */
  constructor(capacity = 1024, byteCapacity = 1 << 16) {
    this.ends = new Growing(new Uint32Array(capacity), (n) => new Uint32Array(n));
    this.bytes = new Uint8Array(byteCapacity);
    this.view = Buffer.from(this.bytes.buffer);
  }

  add(s: string): void {
    if (s.length) {
      const worst = s.length * 3;
      if (this.used + worst > this.bytes.length) {
        const next = new Uint8Array(Math.max(this.bytes.length * 2, this.used + worst));
        next.set(this.bytes.subarray(0, this.used));
        this.bytes = next;
        this.view = Buffer.from(next.buffer);
      }
      this.used += this.view.write(s, this.used, 'utf8');
    }
    this.ends.push(this.used);
  }

  /** `add` of the value whose UTF-8 bytes are `[start, end)` of `b`. */
  addBytes(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.used + n > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
      next.set(this.bytes.subarray(0, this.used));
      this.bytes = next;
      this.view = Buffer.from(next.buffer);
    }
    const out = this.bytes;
    let at = this.used;
    for (let k = start; k < end; k++) out[at++] = b[k];
    this.used = at;
    this.ends.push(at);
  }

  done(): TextColumn {
    const bytes = this.bytes.subarray(0, this.used);
    return { bytes, ends: this.ends.done(), ascii: isAscii(bytes) };
  }

  /** The values so far, to read while building (`ascii` unknown: read as UTF-8, which ASCII also is). */
  current(): TextColumn {
    return { bytes: this.bytes, ends: this.ends.data, ascii: false };
  }

  /** Values `from` to the last rewritten in `order` (positions relative to `from`): a run sorted as it is built. */
  permuteTail(from: number, order: Uint32Array): void {
    const ends = this.ends.data;
    const base = from === 0 ? 0 : ends[from - 1];
    // Every value of the run empty (the ids of UUIDs, most resources): nothing moves.
    if (base === this.used) return;
    const bytes = this.bytes.slice(base, this.used);
    const was = ends.slice(from, from + order.length);
    const out = this.bytes;
    let pos = base;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const start = (i === 0 ? base : was[i - 1]) - base;
      const end = was[i] - base;
      if (end - start < 64) for (let b = start; b < end; b++) out[pos++] = bytes[b];
      else {
        out.set(bytes.subarray(start, end), pos);
        pos += end - start;
      }
      ends[from + k] = pos;
    }
  }
}

/**
 * Values `[start, start + order.length)` of `a`, `width` numbers per event, rewritten in `order` (positions relative
 * to `start`); `scratch` has room for them.
 */
export function permuteRange<T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T, start: number, order: Uint32Array, width: number, scratch: T): void {
  const m = order.length;
  const base = start * width;
  scratch.set(a.subarray(base, base + m * width));
  if (width === 1) for (let k = 0; k < m; k++) a[base + k] = scratch[order[k]];
  else
    for (let k = 0, to = base; k < m; k++) {
      for (let w = 0, from = order[k] * width; w < width; w++) a[to++] = scratch[from + w];
    }
}

