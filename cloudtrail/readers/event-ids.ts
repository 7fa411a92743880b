import { TextColumnBuilder, permuteRange, textAt, type TextColumn } from './text-column.ts';
import type { TextDecoder } from './event-time.ts';

/**
 * Event ids as CloudTrail writes them, canonical lowercase UUIDs, kept as their 16 bytes; any other id (upper
 * case, another format, the all-zero UUID, none) is kept as text. 20 bytes per event instead of ~40, which is
 * what a reopen reads (and checks) the first time a cursor or an id is needed.
 */
export interface IdColumn {
  /** 16 bytes per event; all zero means the id is in `other`. */
  uuids: Uint8Array;
  /** The id of events whose id is not a canonical UUID; '' for the others. */
  other: TextColumn;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const DASHES = new Set([8, 13, 18, 23]);

/** Hex digit value of each lowercase hex character code, -1 for every other byte: one load instead of four compares. */
const NIBBLE = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) NIBBLE['0123456789abcdef'.charCodeAt(c)] = c;
const nibble = (c: number) => (c < 256 ? NIBBLE[c] : -1);

/** Writes the UUID's 16 bytes at `out[at]` and returns true, or leaves them zero and returns false when `id` is not a canonical UUID. */
function packUuid(id: string, out: Uint8Array, at: number): boolean {
  if (id.length !== 36) return false;
  let b = 0;
  let any = 0;
  for (let i = 0; i < 36; ) {
    if (DASHES.has(i)) {
      if (id.charCodeAt(i) !== 0x2d) return (out.fill(0, at, at + 16), false);
      i++;
      continue;
    }
    const hi = nibble(id.charCodeAt(i));
    const lo = nibble(id.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return (out.fill(0, at, at + 16), false);
    out[at + b++] = (hi << 4) | lo;
    any |= hi | lo;
    i += 2;
  }
  // The all-zero UUID would read back as "not a UUID": it is kept as text.
  return any !== 0;
}

/** `packUuid` of the id written as bytes `[start, start + 36)` of `b` (no string made). */
function packUuidBytes(b: Uint8Array, start: number, out: Uint8Array, at: number): boolean {
  let o = 0;
  let any = 0;
  for (let i = 0; i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (b[start + i] !== 0x2d) return (out.fill(0, at, at + 16), false);
      i++;
      continue;
    }
    const hi = NIBBLE[b[start + i]];
    const lo = NIBBLE[b[start + i + 1]];
    if (hi < 0 || lo < 0) return (out.fill(0, at, at + 16), false);
    out[at + o++] = (hi << 4) | lo;
    any |= hi | lo;
    i += 2;
  }
  return any !== 0;
}

export class IdColumnBuilder {
  private uuids: Uint8Array;
  private count = 0;
  private readonly other: TextColumnBuilder;

  constructor(capacity = 1024) {
    this.uuids = new Uint8Array(16 * capacity);
    this.other = new TextColumnBuilder(capacity);
  }

  add(id: string): void {
    this.room();
    const packed = packUuid(id, this.uuids, 16 * this.count);
    this.other.add(packed ? '' : id);
    this.count++;
  }

  /** `add` of the id written without escapes as bytes `[start, end)` of `b`; `d` decodes them when it is not a UUID. */
  addBytes(b: Uint8Array, start: number, end: number, d: TextDecoder): void {
    this.room();
    const packed = end - start === 36 && packUuidBytes(b, start, this.uuids, 16 * this.count);
    this.other.add(packed ? '' : d.text(start, end));
    this.count++;
  }

  private room(): void {
    if (16 * (this.count + 1) > this.uuids.length) {
      const next = new Uint8Array(this.uuids.length * 2);
      next.set(this.uuids);
      this.uuids = next;
    }
  }

  /** The ids so far, to read while building. */
  current(): IdColumn {
    return { uuids: this.uuids, other: this.other.current() };
  }

  /** Ids `from` to the last rewritten in `order` (positions relative to `from`); `scratch` holds 4 words per id. */
  permuteTail(from: number, order: Uint32Array, scratch: Uint32Array): void {
    // Four bytes at a time: the array is made here, at offset 0.
    permuteRange(new Uint32Array(this.uuids.buffer, 0, this.uuids.length >>> 2), from, order, 4, scratch);
    this.other.permuteTail(from, order);
  }

  done(): IdColumn {
    return { uuids: this.uuids.subarray(0, 16 * this.count), other: this.other.done() };
  }
}

/** Id of event `i`. */
export function idAt(col: IdColumn, i: number): string {
  const u = col.uuids;
  const at = 16 * i;
  let any = 0;
  for (let b = at; b < at + 16; b++) any |= u[b];
  if (!any) return textAt(col.other, i);
  return (
    HEX[u[at]] + HEX[u[at + 1]] + HEX[u[at + 2]] + HEX[u[at + 3]] + '-' + HEX[u[at + 4]] + HEX[u[at + 5]] + '-' + HEX[u[at + 6]] + HEX[u[at + 7]] + '-' +
    HEX[u[at + 8]] + HEX[u[at + 9]] + '-' + HEX[u[at + 10]] + HEX[u[at + 11]] + HEX[u[at + 12]] + HEX[u[at + 13]] + HEX[u[at + 14]] + HEX[u[at + 15]]
  );
}
