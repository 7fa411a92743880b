import type { Principal, TrailEvent } from '../cloudtrail/event.ts';
import type { EncodedEvents, EncodedSequence } from './encoded.ts';
import { ActionIds } from './encoded.ts';
import { isAccessDenied, ProfileCounts, RunTally, type ActivityProfile } from './profile.ts';

/**
 * Prediction's input as columns: what both stores already hold (the files store's string-table ids per cell, the
 * engine's ENUM codes), read in place. Training from per-event views cost ~1 s more than from plain objects at 1M
 * events: a getter call per field, each reading two arrays through a megamorphic view, a principal key per event
 * through a `Map`, and a million views promoted by the collector. Over columns, grouping by principal, encoding
 * actions and profiles run over typed arrays, and the events themselves are made only when something asks for them.
 */

/** A column read as codes: each row's code, and each code's text ('' for absent). */
export interface CodedColumn {
  codes: ArrayLike<number>;
  texts: readonly string[];
}

export interface TrainingColumns {
  /** Events, in (time, id) order. */
  count: number;
  /** Row (in the arrays below) of each event; absent when event i is row i. */
  rows?: Uint32Array;
  times: Float64Array;
  source: CodedColumn;
  name: CodedColumn;
  region: CodedColumn;
  sourceIp: CodedColumn;
  userAgent: CodedColumn;
  errorCode: CodedColumn;
  /** Each row's principal code (-1 for none, when the store has such rows), below `principalCodes`. */
  principal: ArrayLike<number>;
  principalCodes: number;
  principalOf(code: number): Principal;
  /** 0 false, 1 true, 2 unknown. */
  readOnly: Uint8Array;
  /** Event i as a TrailEvent (a view the store makes, or already made). */
  event(i: number): TrailEvent;
}

export const isTrainingColumns = (x: unknown): x is TrainingColumns =>
  typeof x === 'object' && x !== null && !(Symbol.iterator in x) && typeof (x as TrainingColumns).event === 'function' && (x as TrainingColumns).times instanceof Float64Array;

/** Arrays that readEvents returned with the columns behind them, and the elements they were returned with. */
const behind = new WeakMap<readonly TrailEvent[], { columns: TrainingColumns; events: readonly TrailEvent[] }>();

/**
 * Remembers that `events` (as returned, not to be mutated by the store) are event 0..n-1 of `columns`, so that
 * `trainEngine(events)` trains from the columns. `kept` holds the same elements (a copy, or the store's own array).
 */
export function withColumns(events: TrailEvent[], kept: readonly TrailEvent[], columns: Omit<TrainingColumns, 'event'>): TrailEvent[] {
  behind.set(events, { columns: { ...columns, event: (i) => kept[i] }, events: kept });
  return events;
}

/**
 * The columns behind an array readEvents returned, when it still holds what it was returned with (a caller may have
 * sorted, filtered or pushed into it: then it is trained from as events). One pointer comparison per event.
 */
export function columnsBehind(events: unknown): TrainingColumns | undefined {
  if (!Array.isArray(events)) return undefined;
  const b = behind.get(events);
  if (!b || b.events.length !== events.length) return undefined;
  for (let i = 0; i < events.length; i++) if (events[i] !== b.events[i]) return undefined;
  return b.columns;
}

/** Events grouped by principal key: what groupByPrincipal makes, as positions. */
export interface GroupedColumns {
  /** Principal keys in order of first appearance (groupByPrincipal's map order). */
  keys: string[];
  /** Group g is `events[starts[g]] .. events[starts[g + 1] - 1]`. */
  starts: Uint32Array;
  /** Event numbers (0..count-1), group by group, each group in event order. */
  events: Uint32Array;
  /** The row of each grouped event, and its time. */
  rows: Uint32Array;
  times: Float64Array;
}

/**
 * Groups the events by principal key as groupByPrincipal does, or undefined when a principal's events are not in
 * time order (groupByPrincipal sorts such a list by time and id: the caller trains from the events instead). A
 * principal code's key is read once; an event costs two array reads.
 */
export function groupColumns(c: TrainingColumns): GroupedColumns | undefined {
  const n = c.count;
  const rowOf = c.rows;
  const keyOfCode = new Int32Array(c.principalCodes + 1).fill(-1);
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  const groupOf = new Int32Array(n);
  let sizes = new Uint32Array(64);
  let last = new Float64Array(64);
  for (let i = 0; i < n; i++) {
    const row = rowOf ? rowOf[i] : i;
    const code = c.principal[row] + 1;
    let g = keyOfCode[code];
    if (g < 0) {
      const key = c.principalOf(code - 1).key;
      let found = keyIndex.get(key);
      if (found === undefined) {
        keyIndex.set(key, (found = keys.push(key) - 1));
        if (found >= sizes.length) {
          const more = new Uint32Array(2 * sizes.length);
          more.set(sizes);
          sizes = more;
          const moreLast = new Float64Array(2 * last.length);
          moreLast.set(last);
          last = moreLast;
        }
        last[found] = -Infinity;
      }
      keyOfCode[code] = g = found;
    }
    groupOf[i] = g;
    sizes[g]++;
    // As groupByPrincipal: a time before the group's latest means its list is out of order.
    const t = c.times[row];
    if (t < last[g]) return undefined;
    last[g] = t;
  }
  const starts = new Uint32Array(keys.length + 1);
  for (let g = 0; g < keys.length; g++) starts[g + 1] = starts[g] + sizes[g];
  const fill = starts.slice(0, keys.length);
  const events = new Uint32Array(n);
  for (let i = 0; i < n; i++) events[fill[groupOf[i]]++] = i;
  const rows = rowOf ? new Uint32Array(n) : events;
  const times = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const row = rowOf ? rowOf[events[j]] : events[j];
    if (rowOf) rows[j] = row;
    times[j] = c.times[row];
  }
  return { keys, starts, events, rows, times };
}

/**
 * The grouped events' actions as ids, as encodeEvents numbers them (ActionIds, in grouped order): a (source, name)
 * code pair seen before costs two array reads instead of two map lookups. Most names belong to one source, so a
 * name's last pair is remembered; another source falls back to ActionIds.
 */
export function encodeColumns(c: TrainingColumns, g: GroupedColumns): EncodedEvents {
  const actions = new ActionIds();
  const n = g.rows.length;
  const ids = new Int32Array(n);
  const source = c.source.codes;
  const name = c.name.codes;
  const lastSource = new Int32Array(c.name.texts.length).fill(-1);
  const lastId = new Int32Array(c.name.texts.length);
  for (let j = 0; j < n; j++) {
    const row = g.rows[j];
    const s = source[row];
    const m = name[row];
    if (lastSource[m] === s) ids[j] = lastId[m];
    else {
      ids[j] = lastId[m] = actions.of(c.source.texts[s], c.name.texts[m]);
      lastSource[m] = s;
    }
  }
  const byPrincipal = new Map<string, EncodedSequence>();
  g.keys.forEach((key, k) => byPrincipal.set(key, { ids: ids.subarray(g.starts[k], g.starts[k + 1]), times: g.times.subarray(g.starts[k], g.starts[k + 1]) }));
  return { names: actions.names, byPrincipal };
}

/** Whether each errorCode code is an access denial, worked out on first sight of the code. */
function deniedCodes(texts: readonly string[]): (code: number) => boolean {
  const known = new Int8Array(texts.length).fill(-1);
  return (code) => {
    let d = known[code];
    if (d < 0) known[code] = d = isAccessDenied({ errorCode: texts[code] || undefined }) ? 1 : 0;
    return d === 1;
  };
}

const READ_ONLY = [false, true, undefined] as const;

/** Every principal's profile (profileOf over its events), in group order, from the columns. */
export function profileColumns(c: TrainingColumns, g: GroupedColumns, encoded: EncodedEvents, opts: { sessionGapMs: number; topApis?: number }): Map<string, ActivityProfile> {
  const profiles = new Map<string, ActivityProfile>();
  const denied = deniedCodes(c.errorCode.texts);
  const { region, sourceIp, userAgent, errorCode, readOnly } = c;
  const text = (col: CodedColumn) => (code: number) => col.texts[code];
  g.keys.forEach((key, k) => {
    const from = g.starts[k];
    const to = g.starts[k + 1];
    const { ids } = encoded.byPrincipal.get(key)!;
    const counts = new ProfileCounts(encoded.names, opts.sessionGapMs);
    const regions = new RunTally<number>();
    const ips = new RunTally<number>();
    const agents = new RunTally<number>();
    for (let j = from; j < to; j++) {
      const row = g.rows[j];
      counts.add(g.times[j], ids[j - from], READ_ONLY[readOnly[row]]);
      regions.add(region.codes[row]);
      ips.add(sourceIp.codes[row]);
      agents.add(userAgent.codes[row]);
      const e = errorCode.codes[row];
      if (errorCode.texts[e]) {
        counts.errors++;
        if (denied(e)) counts.denied++;
      }
    }
    const who = c.principalOf(c.principal[g.rows[to - 1]]);
    const times = { n: to - from, first: g.times[from], last: g.times[to - 1] };
    profiles.set(key, counts.finish(key, who, times, { regions: regions.texts(text(region)), sourceIps: ips.texts(text(sourceIp)), userAgents: agents.texts(text(userAgent)) }, opts.topApis));
  });
  return profiles;
}

/**
 * Each principal's events, each list made from the columns' views when first read: a prediction for one principal
 * (the MCP tool's first call) makes that principal's list, not a million views. Iterating makes every list.
 */
class LazyLists extends Map<string, TrailEvent[]> {
  readonly #group = new Map<string, number>();

  constructor(
    private readonly c: TrainingColumns,
    private readonly g: GroupedColumns,
  ) {
    super();
    g.keys.forEach((key, k) => this.#group.set(key, k));
  }

  override get(key: string): TrailEvent[] | undefined {
    let list = super.get(key);
    const k = list === undefined ? this.#group.get(key) : undefined;
    if (k !== undefined && k >= 0) {
      const { starts, events } = this.g;
      list = new Array(starts[k + 1] - starts[k]);
      for (let j = starts[k]; j < starts[k + 1]; j++) list[j - starts[k]] = this.c.event(events[j]);
      super.set(key, list);
    }
    return list;
  }

  override has(key: string): boolean {
    return this.#group.has(key);
  }

  override set(key: string, list: TrailEvent[]): this {
    super.set(key, list);
    // A key set here keeps its place after the trained ones, as in a Map (-1: no group to make its list from).
    if (!this.#group.has(key)) this.#group.set(key, -1);
    return this;
  }

  override delete(key: string): boolean {
    super.delete(key);
    return this.#group.delete(key);
  }

  override clear(): void {
    super.clear();
    this.#group.clear();
  }

  override get size(): number {
    return this.#group.size;
  }

  override *keys(): MapIterator<string> {
    yield* this.#group.keys();
  }

  override *values(): MapIterator<TrailEvent[]> {
    for (const key of this.#group.keys()) yield this.get(key)!;
  }

  override *entries(): MapIterator<[string, TrailEvent[]]> {
    for (const key of this.#group.keys()) yield [key, this.get(key)!];
  }

  override [Symbol.iterator](): MapIterator<[string, TrailEvent[]]> {
    return this.entries();
  }

  override forEach(fn: (list: TrailEvent[], key: string, map: Map<string, TrailEvent[]>) => void, self?: unknown): void {
    for (const [key, list] of this.entries()) fn.call(self, list, key, this);
  }
}

/** Each principal's events (groupByPrincipal's map), each list made from the columns' views when first read. */
export function groupedEvents(c: TrainingColumns, g: GroupedColumns): Map<string, TrailEvent[]> {
  return new LazyLists(c, g);
}
