import { NCOL, type CompactResult } from './compact.ts';
import type { TextColumn } from './text-column.ts';
import type { IdColumn } from './event-ids.ts';
import { compareIds, rangeOrder } from './run-order.ts';
import type { MergeTarget } from './merge-target.ts';

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
 * A part with its events put in (time, id) order (its `order`, or partOrder's), ties in build order, by a gather
 * of every column: the reference the builder's runs and their merge are tested against.
 */
export function sortPart(part: CompactResult): CompactResult {
  return part.sorted ? part : gatherColumns(part, part.order ?? partOrder(part));
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

/** A part as a parser thread hands it over (the builder's, its runs sorted). */
export type PartWithColumns = CompactResult;

/**
 * A part ready to merge: the builder's parts are (their runs are sorted as they are built, and merged by mergeRuns);
 * a part without runs is put in order here. Called by each parser thread on its own part.
 */
export function withColumns(part: CompactResult): CompactResult {
  return part.runs ? part : sortPart(part);
}

/** An unsorted part's events in `order`: a gather into fresh arrays, reading the part's events in `order` and writing every column in sequence. */
function gatherColumns(part: CompactResult, order: Uint32Array): CompactResult {
  const n = part.count;
  const times = new Float64Array(n);
  const fileIdx = new Uint32Array(n);
  const recIdx = new Uint32Array(n);
  const readOnly = new Uint8Array(n);
  const uuids = new Uint8Array(16 * n);
  const cols = part.cols.map((col) => {
    const out = stringIds(part.strings.length, n);
    for (let k = 0; k < n; k++) out[k] = col[order[k]];
    return out;
  });
  const from = part.ids.uuids;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    times[k] = part.times[i];
    fileIdx[k] = part.fileIdx[i];
    recIdx[k] = part.recIdx[i];
    readOnly[k] = part.readOnly[i];
    for (let b = 0; b < 16; b++) uuids[16 * k + b] = from[16 * i + b];
  }
  return {
    ...part,
    times,
    fileIdx,
    recIdx,
    readOnly,
    cols,
    ids: { uuids, other: permuteText(part.ids.other, order) },
    resources: permuteText(part.resources, order),
    order: undefined,
    runs: undefined,
    sorted: true,
  };
}

/** Buffers of a part to transfer to another thread beside `transferables`' own. */
export const columnBuffers = (part: CompactResult): ArrayBuffer[] => part.cols.map((a) => a.buffer as ArrayBuffer);

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
 * The times, readOnly and string ids go into `into`'s memory when it has room (touched while the files were read).
 */
export function mergeParts(unsorted: PartWithColumns[], into?: MergeTarget): EventColumns {
  // The builder's parts come with sorted runs; a part made otherwise is put in order first.
  const parts = unsorted.map(withColumns);
  const n = parts.reduce((s, r) => s + r.count, 0);
  const { strings, remaps } = mergeStrings(parts);
  const partCols = parts.map((p) => p.cols);
  const runs = mergeRuns(parts);
  const room = into?.fits(n) ? into : undefined;
  const times = room ? room.times.subarray(0, n) : new Float64Array(n);
  const readOnly = room ? room.readOnly.subarray(0, n) : new Uint8Array(n);
  const cols = room && strings.length <= 0x10000 ? room.cols.map((c) => c.subarray(0, n)) : Array.from({ length: NCOL }, () => stringIds(strings.length, n));
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

