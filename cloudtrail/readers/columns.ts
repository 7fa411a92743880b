import { NCOL, type CompactResult } from './compact.ts';
import type { TextColumn } from './text-column.ts';
import { gatherUuids, idAt, type IdColumn } from './event-ids.ts';

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
  for (let i = 0; i < n; i++) {
    if (times[i] < min) min = times[i];
    if (times[i] > max) max = times[i];
  }
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  const order = new Uint32Array(n);
  if (n > 0 && Number.isFinite(min) && (max - min + 1) * scale < 2 ** 53 && times.every(Number.isInteger)) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (times[i] - min) * scale + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i] % scale;
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

/** Sorts runs of tied events by id text: `byIdText`, with the first 6 bytes of each UUID (-1 for other ids) as a number, which settles almost every comparison. */
function tieSorter(parts: CompactResult[], partOf: Uint8Array, local: Uint32Array, byId: (a: number, b: number) => number): (run: Uint32Array) => void {
  const n = partOf.length;
  const head = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = parts[partOf[i]].ids.uuids;
    const at = 16 * local[i];
    let any = 0;
    for (let k = at; k < at + 16; k++) any |= u[k];
    head[i] = any ? u[at] * 2 ** 40 + u[at + 1] * 2 ** 32 + u[at + 2] * 2 ** 24 + u[at + 3] * 2 ** 16 + u[at + 4] * 2 ** 8 + u[at + 5] : -1;
  }
  return (run) => run.sort((a, b) => (head[a] >= 0 && head[b] >= 0 && head[a] - head[b]) || byId(a, b));
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
  return timeOrder(part.times, tieSorter([part], partOf, local, byIdText([part], partOf, local)));
}

/**
 * The parts' events in (time, id) order, as positions in the parts laid end to end: a merge of each part's sorted
 * order (its `order`, or computed here), equal time and id taking the earlier part first. The same order as sorting
 * all the events together, which is stable on the position.
 */
function mergeOrders(parts: CompactResult[], byId: (a: number, b: number) => number): Uint32Array {
  const orders = parts.map((p) => p.order ?? partOrder(p));
  const offsets = parts.map((_, w) => parts.slice(0, w).reduce((s, p) => s + p.count, 0));
  const n = parts.reduce((s, p) => s + p.count, 0);
  const out = new Uint32Array(n);
  const at = new Array<number>(parts.length).fill(0);
  for (let k = 0; k < n; k++) {
    let best = -1;
    let bestG = 0;
    for (let w = 0; w < parts.length; w++) {
      if (at[w] >= parts[w].count) continue;
      const g = offsets[w] + orders[w][at[w]];
      if (best < 0) {
        best = w;
        bestG = g;
        continue;
      }
      const tb = parts[best].times[bestG - offsets[best]];
      const tg = parts[w].times[g - offsets[w]];
      // Strictly before only: on a tie of time and id the earlier part (already `best`) stays first.
      if (tg < tb || (tg === tb && byId(g, bestG) < 0)) {
        best = w;
        bestG = g;
      }
    }
    out[k] = bestG;
    at[best]++;
  }
  return out;
}

/** Copies the values of text columns in `order` (entries are [part, index in part]) into one column. */
function gatherText(parts: TextColumn[], partOf: Uint8Array, local: Uint32Array, order: Uint32Array): TextColumn {
  const total = parts.reduce((s, p) => s + p.bytes.length, 0);
  const bytes = new Uint8Array(total);
  const ends = new Uint32Array(order.length);
  let pos = 0;
  for (let k = 0; k < order.length; k++) {
    const g = order[k];
    const p = parts[partOf[g]];
    const i = local[g];
    const start = i === 0 ? 0 : p.ends[i - 1];
    const end = p.ends[i];
    // Short values (ids) copy faster byte by byte than through a subarray object each.
    if (end - start < 64) for (let b = start; b < end; b++) bytes[pos++] = p.bytes[b];
    else {
      bytes.set(p.bytes.subarray(start, end), pos);
      pos += end - start;
    }
    ends[k] = pos;
  }
  return { bytes, ends, ascii: parts.every((p) => p.ascii) };
}

/** Merges the parser threads' parts (each with its own string table) into sorted columns with one string table. */
export function mergeParts(parts: CompactResult[]): EventColumns {
  const n = parts.reduce((s, r) => s + r.count, 0);
  const ids = new Map<string, number>([['', 0]]);
  const strings: string[] = [''];
  const remaps = parts.map((r) =>
    Uint32Array.from(r.strings, (s) => {
      let id = ids.get(s);
      if (id === undefined) {
        ids.set(s, (id = strings.length));
        strings.push(s);
      }
      return id;
    }),
  );
  const times = new Float64Array(n);
  const partOf = new Uint8Array(n);
  const local = new Uint32Array(n);
  let g = 0;
  parts.forEach((r, w) => {
    times.set(r.times, g);
    partOf.fill(w, g, g + r.count);
    for (let i = 0; i < r.count; i++) local[g + i] = i;
    g += r.count;
  });
  const byId = byIdText(parts, partOf, local);
  const order = parts.length === 1 ? (parts[0].order ?? timeOrder(times, tieSorter(parts, partOf, local, byId))) : mergeOrders(parts, byId);
  const eventIds: IdColumn = {
    uuids: gatherUuids(
      parts.map((p) => p.ids.uuids),
      partOf,
      local,
      order,
    ),
    other: gatherText(
      parts.map((p) => p.ids.other),
      partOf,
      local,
      order,
    ),
  };
  const later: LaterColumns = {
    fileIdx: new Uint32Array(n),
    recIdx: new Uint32Array(n),
    resources: gatherText(
      parts.map((p) => p.resources),
      partOf,
      local,
      order,
    ),
  };
  const out: EventColumns = {
    count: n,
    strings,
    times: new Float64Array(n),
    cols: Array.from({ length: NCOL }, () => stringIds(strings.length, n)),
    readOnly: new Uint8Array(n),
    ids: () => eventIds,
    later: () => later,
  };
  const { cols } = out;
  for (let k = 0; k < n; k++) {
    const gi = order[k];
    const w = partOf[gi];
    const i = local[gi];
    const r = parts[w];
    const remap = remaps[w];
    out.times[k] = times[gi];
    later.fileIdx[k] = r.fileIdx[i];
    later.recIdx[k] = r.recIdx[i];
    out.readOnly[k] = r.readOnly[i];
    for (let c = 0; c < NCOL; c++) cols[c][k] = remap[r.cells[i * NCOL + c]];
  }
  return out;
}
