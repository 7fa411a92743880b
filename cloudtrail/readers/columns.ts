import { NCOL, type CompactResult } from './compact.ts';
import type { TextColumn } from './text-column.ts';
import type { IdColumn } from './event-ids.ts';
import { compareIds, rangeOrder } from './run-order.ts';

/** String ids of one column: 16 bits while the string table has at most 65,536 entries (it does for most trails). */
export type StringIds = Uint16Array | Uint32Array;

/** The columns a reopen does not need until an event's raw record or resources is asked for. */
export interface LaterColumns {
  /** Index of the event's file in the store's file list, and of the record inside that file. */
  fileIdx: Uint32Array;
  recIdx: Uint32Array;
  /** JSON of the resources; empty when the event names none. */
  resources: TextColumn;
}

/**
 * The files store's events as columns, in (time, id) order, with one string table: what the parser threads'
 * parts are merged into, what the index cache holds byte for byte, and what each event reads its fields from.
 * A reopen reads the string table, the times and the string-id columns; `ids()` and `later()` read the rest on
 * first use (a query's cursor needs ids; raw records and resources need the rest).
 */
export interface EventColumns {
  count: number;
  /** Index 0 is '' (absent). Principal ids point at JSON of a Principal. */
  strings: string[];
  times: Float64Array;
  /** One array per entry of COLUMNS, column-major: `cols[COL.name][k]` is event k's eventName id. */
  cols: StringIds[];
  /** 0 false, 1 true, 2 unknown. */
  readOnly: Uint8Array;
  ids: () => IdColumn;
  later: () => LaterColumns;
}

export const stringIds = (strings: number, n: number): StringIds => (strings <= 0x10000 ? new Uint16Array(n) : new Uint32Array(n));

export { timeOrder } from './run-order.ts';

/** A part's events in (time, id) order, ties of time and id in build order. */
export function partOrder(part: CompactResult): Uint32Array {
  return rangeOrder(part.times, part.ids, 0, part.count);
}

/** Text column values in `order`. */
function permuteText(col: TextColumn, order: Uint32Array): TextColumn {
  const bytes = new Uint8Array(col.bytes.length);
  const ends = new Uint32Array(order.length);
  let pos = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const start = i === 0 ? 0 : col.ends[i - 1];
    const end = col.ends[i];
    // Short values (ids) copy faster byte by byte than through a subarray object each.
    if (end - start < 64) for (let b = start; b < end; b++) bytes[pos++] = col.bytes[b];
    else {
      bytes.set(col.bytes.subarray(start, end), pos);
      pos += end - start;
    }
    ends[k] = pos;
  }
  return { bytes, ends, ascii: col.ascii };
}

/**
 * A part with its events put in (time, id) order (its `order`, or partOrder's), ties in the part's order: done by
 * each parser thread on its own part, in parallel, so the main thread only merges sorted runs (issue #14: the
 * main thread's gather of every column through a permutation was ~1 s of the load's wall time after the threads
 * had finished).
 */
export function sortPart(part: CompactResult): CompactResult {
  if (part.sorted) return part;
  const order = part.order ?? partOrder(part);
  const n = part.count;
  const { times, fileIdx, recIdx, readOnly, cells } = part;
  const uuids = part.ids.uuids;
  // In place, cycle by cycle: a sorted copy of every column beside the part, in both threads at once, measured
  // ~50 MB more peak RSS at 1M events.
  const done = new Uint8Array(n);
  const cell = new Uint32Array(NCOL);
  const uuid = new Uint8Array(16);
  for (let s = 0; s < n; s++) {
    if (done[s] || order[s] === s) continue;
    const t = times[s];
    const f = fileIdx[s];
    const r = recIdx[s];
    const ro = readOnly[s];
    for (let c = 0; c < NCOL; c++) cell[c] = cells[s * NCOL + c];
    for (let b = 0; b < 16; b++) uuid[b] = uuids[16 * s + b];
    let k = s;
    for (;;) {
      done[k] = 1;
      const i = order[k];
      if (i === s) break;
      times[k] = times[i];
      fileIdx[k] = fileIdx[i];
      recIdx[k] = recIdx[i];
      readOnly[k] = readOnly[i];
      for (let c = 0; c < NCOL; c++) cells[k * NCOL + c] = cells[i * NCOL + c];
      for (let b = 0; b < 16; b++) uuids[16 * k + b] = uuids[16 * i + b];
      k = i;
    }
    times[k] = t;
    fileIdx[k] = f;
    recIdx[k] = r;
    readOnly[k] = ro;
    for (let c = 0; c < NCOL; c++) cells[k * NCOL + c] = cell[c];
    for (let b = 0; b < 16; b++) uuids[16 * k + b] = uuid[b];
  }
  return {
    ...part,
    ids: { uuids, other: permuteText(part.ids.other, order) },
    resources: permuteText(part.resources, order),
    order: undefined,
    sorted: true,
  };
}

/**
 * Whether event i of part p comes before event j of part q: time, then id text, then the earlier part, then the
 * earlier position (the runs of one part are sorted with ties in build order, so position order is build order).
 */
function before(parts: CompactResult[], p: number, i: number, q: number, j: number): boolean {
  const t = parts[p].times[i];
  const u = parts[q].times[j];
  if (t !== u) return t < u;
  const c = compareIds(parts[p].ids, i, parts[q].ids, j);
  return c < 0 || (c === 0 && (p < q || (p === q && i < j)));
}

/** The sorted runs of a part, as the ends of each: the builder's, or one for a part in order. */
const runsOf = (part: CompactResult): ArrayLike<number> => (part.sorted ? [part.count] : part.runs!);

/**
 * Stretches of the parts' sorted runs in merged order, as [part, start, length] triples, stretches of one part that
 * follow each other joined. A heap holds each run by its first event left; the run on top gives up to the first of
 * its events that the next run's head comes before, found by galloping then halving. A parser thread's files come
 * in time order, and so do the runs it sorts and the parts (readers/dispatch.ts): they overlap only where they
 * meet, and a million events are a few thousand stretches.
 */
function mergeRuns(parts: CompactResult[]): number[] {
  const part: number[] = [];
  const at: number[] = [];
  const end: number[] = [];
  parts.forEach((p, w) => {
    const runs = runsOf(p);
    for (let r = 0, start = 0; r < runs.length; start = runs[r++]) {
      if (runs[r] > start) {
        part.push(w);
        at.push(start);
        end.push(runs[r]);
      }
    }
  });
  const less = (a: number, b: number) => before(parts, part[a], at[a], part[b], at[b]);
  const heap = part.map((_, r) => r);
  const down = (h: number) => {
    for (;;) {
      const l = 2 * h + 1;
      if (l >= heap.length) return;
      const c = l + 1 < heap.length && less(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!less(heap[c], heap[h])) return;
      [heap[h], heap[c]] = [heap[c], heap[h]];
      h = c;
    }
  };
  for (let h = (heap.length >> 1) - 1; h >= 0; h--) down(h);
  const out: number[] = [];
  while (heap.length) {
    const r = heap[0];
    const w = part[r];
    const start = at[r];
    let stop = end[r];
    if (heap.length > 1) {
      // The next head: the smaller child of the top.
      const c = heap.length > 2 && less(heap[2], heap[1]) ? heap[2] : heap[1];
      const q = part[c];
      const j = at[c];
      const cut = (i: number) => before(parts, q, j, w, i);
      let lo = start;
      let step = 1;
      let hi = start + 1;
      while (hi < stop && !cut(hi)) {
        lo = hi;
        hi = Math.min(stop, hi + (step *= 2));
      }
      // The first cut is in (lo, hi]; hi === stop means none before the run's end.
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (cut(mid)) hi = mid;
        else lo = mid;
      }
      stop = hi;
    }
    const last = out.length - 3;
    if (last >= 0 && out[last] === w && out[last + 1] + out[last + 2] === start) out[last + 2] += stop - start;
    else out.push(w, start, stop - start);
    if (stop === end[r]) {
      heap[0] = heap[heap.length - 1];
      heap.pop();
    } else at[r] = stop;
    down(0);
  }
  return out;
}

/** Concatenates runs of text columns. */
function concatText(cols: TextColumn[], runs: number[], n: number): TextColumn {
  let total = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const col = cols[runs[r]];
    const start = runs[r + 1];
    total += col.ends[start + runs[r + 2] - 1] - (start === 0 ? 0 : col.ends[start - 1]);
  }
  const bytes = new Uint8Array(total);
  const ends = new Uint32Array(n);
  let pos = 0;
  let k = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const col = cols[runs[r]];
    const start = runs[r + 1];
    const len = runs[r + 2];
    const from = start === 0 ? 0 : col.ends[start - 1];
    const to = col.ends[start + len - 1];
    bytes.set(col.bytes.subarray(from, to), pos);
    const shift = pos - from;
    for (let i = start; i < start + len; i++) ends[k++] = col.ends[i] + shift;
    pos += to - from;
  }
  return { bytes, ends, ascii: cols.every((c) => c.ascii) };
}

/** A part as a parser thread hands it over: sorted, with its string ids column by column (`withColumns`). */
export interface PartWithColumns extends CompactResult {
  /** One array per entry of COLUMNS, in the part's own string numbering; `cells` is then empty. */
  byColumn?: StringIds[];
}

/** A part's string ids column by column: `cols[COL.name][k]` is event k's eventName id in the part's string table. */
function partColumns(part: CompactResult): StringIds[] {
  const n = part.count;
  const cells = part.cells;
  const cols = Array.from({ length: NCOL }, () => stringIds(part.strings.length, n));
  for (let c = 0; c < NCOL; c++) {
    const col = cols[c];
    for (let k = 0, at = c; k < n; k++, at += NCOL) col[k] = cells[at];
  }
  return cols;
}

/**
 * A sorted part with its string ids column by column instead of row by row: done by each parser thread on its own
 * part, in parallel, so that the main thread's merge copies or remaps each column in order (nine strided passes
 * over the row-major cells there were ~0.5 s of the load's serial tail at 1M events, issue #14).
 */
export function withColumns(part: PartWithColumns): PartWithColumns {
  if (part.byColumn) return part;
  // A part the builder sorted run by run is merged as it is (mergeRuns); a part built otherwise is put in order here.
  if (!part.sorted && !part.runs) return gatherColumns(part, part.order ?? partOrder(part));
  return { ...part, byColumn: partColumns(part), cells: new Uint32Array(0) };
}

/**
 * An unsorted part's events in `order`, string ids column by column: a gather into fresh arrays, reading the part's
 * rows in `order` and writing every column in sequence. It replaced sortPart's in-place cycles (random reads and
 * writes of each row's cells, ids and times) followed by a transposition of the sorted cells, which was most of each
 * parser thread's closing sort (issue #14). The fresh columns sit beside the part's until it returns (the cells,
 * the widest, are read straight into byColumn, which was made anyway): peak RSS 444-471 MB against 409-417 at 1M.
 */
function gatherColumns(part: CompactResult, order: Uint32Array): PartWithColumns {
  const n = part.count;
  const { cells } = part;
  const times = new Float64Array(n);
  const fileIdx = new Uint32Array(n);
  const recIdx = new Uint32Array(n);
  const readOnly = new Uint8Array(n);
  const uuids = new Uint8Array(16 * n);
  const byColumn = Array.from({ length: NCOL }, () => stringIds(part.strings.length, n));
  const from = part.ids.uuids;
  // Ids four bytes at a time when the part's bytes are aligned for it (they are as the builder makes them).
  const words = from.byteOffset % 4 === 0 ? new Uint32Array(from.buffer, from.byteOffset, 4 * n) : undefined;
  const wordsOut = new Uint32Array(uuids.buffer);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    times[k] = part.times[i];
    fileIdx[k] = part.fileIdx[i];
    recIdx[k] = part.recIdx[i];
    readOnly[k] = part.readOnly[i];
    for (let c = 0, at = i * NCOL; c < NCOL; c++) byColumn[c][k] = cells[at + c];
    if (words) for (let w = 0; w < 4; w++) wordsOut[4 * k + w] = words[4 * i + w];
    else for (let b = 0; b < 16; b++) uuids[16 * k + b] = from[16 * i + b];
  }
  return {
    ...part,
    times,
    fileIdx,
    recIdx,
    readOnly,
    ids: { uuids, other: permuteText(part.ids.other, order) },
    resources: permuteText(part.resources, order),
    cells: new Uint32Array(0),
    byColumn,
    order: undefined,
    sorted: true,
  };
}

/** Buffers of a part to transfer to another thread beside `transferables`' own. */
export const columnBuffers = (part: PartWithColumns): ArrayBuffer[] => (part.byColumn ?? []).map((a) => a.buffer as ArrayBuffer);

/**
 * The merged string table, and each part's string ids in it. The first part's strings come first, in its order,
 * so its remap is the identity (`undefined`): its columns are copied, not remapped.
 */
function mergeStrings(parts: CompactResult[]): { strings: string[]; remaps: (Uint32Array | undefined)[] } {
  const ids = new Map<string, number>([['', 0]]);
  const strings: string[] = [''];
  const remaps = parts.map((r) => {
    let identity = true;
    const remap = Uint32Array.from(r.strings, (s, i) => {
      let id = ids.get(s);
      if (id === undefined) {
        ids.set(s, (id = strings.length));
        strings.push(s);
      }
      if (id !== i) identity = false;
      return id;
    });
    return identity ? undefined : remap;
  });
  return { strings, remaps };
}

/**
 * Merges the parser threads' parts (each with its own string table) into sorted columns with one string table:
 * the same order as sorting all the events together by (time, id), stable on the parts laid end to end.
 * Event ids and the later columns are put together on first use (`ids()`, `later()`): a query needs the ids only
 * for its cursor, and the resources (23 MB at 1M events) were ~0.2 s of the load's serial tail (issue #14).
 */
export function mergeParts(unsorted: PartWithColumns[]): EventColumns {
  // One way to put a part in order, the parser threads' gather, here too (a part parsed on this thread comes unsorted).
  const parts = unsorted.map(withColumns);
  const n = parts.reduce((s, r) => s + r.count, 0);
  const { strings, remaps } = mergeStrings(parts);
  const partCols = parts.map((p) => p.byColumn!);
  const runs = mergeRuns(parts);
  const times = new Float64Array(n);
  const readOnly = new Uint8Array(n);
  const cols = Array.from({ length: NCOL }, () => stringIds(strings.length, n));
  for (let r = 0, k = 0; r < runs.length; r += 3) {
    const p = parts[runs[r]];
    const start = runs[r + 1];
    const len = runs[r + 2];
    times.set(p.times.subarray(start, start + len), k);
    readOnly.set(p.readOnly.subarray(start, start + len), k);
    const remap = remaps[runs[r]];
    for (let c = 0; c < NCOL; c++) {
      const from = partCols[runs[r]][c];
      const col = cols[c];
      if (!remap) col.set(from.subarray(start, start + len), k);
      else for (let i = 0; i < len; i++) col[k + i] = remap[from[start + i]];
    }
    k += len;
  }
  // Only what the deferred columns need is kept, not the parts.
  const idParts = parts.map((p) => p.ids);
  const laterParts = parts.map(({ fileIdx, recIdx, resources }) => ({ fileIdx, recIdx, resources }));
  let eventIds: IdColumn | undefined;
  let later: LaterColumns | undefined;
  const ids = () => (eventIds ??= { uuids: concatFixed(idParts.map((p) => p.uuids), runs, 16, new Uint8Array(16 * n)), other: concatText(idParts.map((p) => p.other), runs, n) });
  const laterColumns = () =>
    (later ??= {
      fileIdx: concatFixed(laterParts.map((p) => p.fileIdx), runs, 1, new Uint32Array(n)),
      recIdx: concatFixed(laterParts.map((p) => p.recIdx), runs, 1, new Uint32Array(n)),
      resources: concatText(laterParts.map((p) => p.resources), runs, n),
    });
  return { count: n, strings, times, cols, readOnly, ids, later: laterColumns };
}

/** Concatenates runs of columns of `width` values per event into `out`. */
function concatFixed<T extends Uint8Array | Uint32Array>(cols: T[], runs: number[], width: number, out: T): T {
  for (let r = 0, k = 0; r < runs.length; r += 3) {
    const start = runs[r + 1];
    const len = runs[r + 2];
    out.set(cols[runs[r]].subarray(width * start, width * (start + len)), width * k);
    k += len;
  }
  return out;
}

