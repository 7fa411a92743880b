import { NCOL, type CompactResult } from './compact.ts';
import type { TextColumn } from './text-column.ts';
import { idAt, type IdColumn } from './event-ids.ts';

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

/**
 * Permutation of event numbers in time order, using a native numeric sort of time * 2^k + position when that fits
 * in a double (it does for a trail's milliseconds); each run of equal times is then put in id order by `sortTies`
 * (in place), so keyset cursors are stable (matches `byTime`).
 */
export function timeOrder(times: Float64Array, sortTies: (run: Uint32Array) => void): Uint32Array {
  const n = times.length;
  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (t < min) min = t;
    if (t > max) max = t;
    if (integers && !Number.isInteger(t)) integers = false;
  }
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  const order = new Uint32Array(n);
  if (n > 0 && Number.isFinite(min) && (max - min + 1) * scale < 2 ** 53 && integers) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (times[i] - min) * scale + i;
    keys.sort();
    // The position is the key's low bits: exact, as the key is an integer below 2^53 and scale a power of 2, and
    // cheaper than `%` on doubles.
    for (let i = 0; i < n; i++) {
      const key = keys[i];
      order[i] = key - Math.floor(key / scale) * scale;
    }
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => times[a] - times[b] || (Number.isNaN(times[a]) ? 1 : 0) - (Number.isNaN(times[b]) ? 1 : 0));
  }
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && times[order[e]] === times[order[s]]) e++;
    if (e - s > 1) sortTies(order.subarray(s, e));
    s = e;
  }
  return order;
}

/**
 * Orders tied events by id text without making the text: two canonical UUIDs compare as their 16 bytes (lowercase
 * hex with dashes at fixed places orders as the bytes it spells); any other id is compared as text. Making each
 * tied id's text was most of the merge's time at 1M events.
 */
function byIdText(parts: CompactResult[], partOf: Uint8Array, local: Uint32Array): (a: number, b: number) => number {
  return (a, b) => {
    const ua = parts[partOf[a]].ids.uuids;
    const ub = parts[partOf[b]].ids.uuids;
    const x = 16 * local[a];
    const y = 16 * local[b];
    let anyA = 0;
    let anyB = 0;
    let diff = 0;
    for (let k = 0; k < 16; k++) {
      const p = ua[x + k];
      const q = ub[y + k];
      anyA |= p;
      anyB |= q;
      if (diff === 0) diff = p - q;
    }
    if (anyA && anyB) return diff;
    const s = idAt(parts[partOf[a]].ids, local[a]);
    const t = idAt(parts[partOf[b]].ids, local[b]);
    return s < t ? -1 : s > t ? 1 : 0;
  };
}

/** Sorts runs of tied events of one part by id text: `byIdText`, with the first 6 bytes of each UUID (-1 for other ids) as a number, which settles almost every comparison. */
function tieSorter(part: CompactResult, byId: (a: number, b: number) => number): (run: Uint32Array) => void {
  const head = uuidHeads(part.ids.uuids, part.count);
  const cmp = (a: number, b: number) => (head[a] >= 0 && head[b] >= 0 && head[a] - head[b]) || byId(a, b);
  return (run) => {
    // Most runs of tied seconds are a few events (~166,000 runs of 5.7 on average at 1M): an insertion sort,
    // stable as run.sort is, spares the builtin's set-up per run.
    if (run.length > 16) {
      run.sort(cmp);
      return;
    }
    for (let i = 1; i < run.length; i++) {
      const x = run[i];
      let j = i - 1;
      while (j >= 0 && cmp(run[j], x) > 0) {
        run[j + 1] = run[j];
        j--;
      }
      run[j + 1] = x;
    }
  };
}

/** tieSorter's numbers: each event's first 6 UUID bytes, -1 when its id is not a UUID (all 16 bytes zero). */
function uuidHeads(u: Uint8Array, n: number): Float64Array {
  const head = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const at = 16 * i;
    const any = u[at] | u[at + 1] | u[at + 2] | u[at + 3] | u[at + 4] | u[at + 5] | u[at + 6] | u[at + 7] | u[at + 8] | u[at + 9] | u[at + 10] | u[at + 11] | u[at + 12] | u[at + 13] | u[at + 14] | u[at + 15];
    head[i] = any ? u[at] * 2 ** 40 + u[at + 1] * 2 ** 32 + u[at + 2] * 2 ** 24 + u[at + 3] * 2 ** 16 + u[at + 4] * 2 ** 8 + u[at + 5] : -1;
  }
  return head;
}

/**
 * A part's events in (time, id) order, ties of time and id in file order: computed by each parser thread on its
 * own part, so that the main thread only merges sorted runs (sorting a million events there was most of the merge).
 */
export function partOrder(part: CompactResult): Uint32Array {
  const n = part.count;
  const partOf = new Uint8Array(n);
  const local = new Uint32Array(n);
  for (let i = 0; i < n; i++) local[i] = i;
  return timeOrder(part.times, tieSorter(part, byIdText([part], partOf, local)));
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

/** Whether event i of part p comes before event j of part q (p < q): time, then id text, then the earlier part. */
function before(parts: CompactResult[], p: number, i: number, q: number, j: number): boolean {
  const t = parts[p].times[i];
  const u = parts[q].times[j];
  if (t !== u) return t < u;
  const c = compareIds(parts[p].ids, i, parts[q].ids, j);
  return c < 0 || (c === 0 && p < q);
}

/** Id text order of two events without making the text when both are UUIDs (byIdText). */
function compareIds(a: IdColumn, i: number, b: IdColumn, j: number): number {
  const x = 16 * i;
  const y = 16 * j;
  let anyA = 0;
  let anyB = 0;
  let diff = 0;
  for (let k = 0; k < 16; k++) {
    const p = a.uuids[x + k];
    const q = b.uuids[y + k];
    anyA |= p;
    anyB |= q;
    if (diff === 0) diff = p - q;
  }
  if (anyA && anyB) return diff;
  const s = idAt(a, i);
  const t = idAt(b, j);
  return s < t ? -1 : s > t ? 1 : 0;
}

/**
 * Runs of sorted parts in merged order, as [part, start, length] triples. Parser threads take the files from both
 * ends of a time-ordered list (stores/files.ts), so their parts overlap only where they met: a few runs.
 */
function mergeRuns(parts: CompactResult[]): number[] {
  const runs: number[] = [];
  const at = parts.map(() => 0);
  for (;;) {
    // The part whose head comes first.
    let best = -1;
    for (let w = 0; w < parts.length; w++) if (at[w] < parts[w].count && (best < 0 || before(parts, w, at[w], best, at[best]))) best = w;
    if (best < 0) return runs;
    // Its events up to the first one another part's head comes before: found by galloping then halving, since
    // the part is sorted (an event-by-event walk compared a million events at 1M).
    const start = at[best];
    const count = parts[best].count;
    const cut = (j: number) => {
      for (let w = 0; w < parts.length; w++) if (w !== best && at[w] < parts[w].count && before(parts, w, at[w], best, j)) return true;
      return false;
    };
    let lo = start;
    let step = 1;
    let hi = start + 1;
    while (hi < count && !cut(hi)) {
      lo = hi;
      hi = Math.min(count, hi + (step *= 2));
    }
    // The first cut is in (lo, hi]; hi === count means none before the end.
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (cut(mid)) hi = mid;
      else lo = mid;
    }
    const end = hi;
    runs.push(best, start, end - start);
    at[best] = end;
  }
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
  if (!part.sorted) return gatherColumns(part, part.order ?? partOrder(part));
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
