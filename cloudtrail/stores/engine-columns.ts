import type { DuckDBConnection, DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import { normalisePrincipal, type EventResource, type Principal, type TrailEvent } from '../event.ts';
import { matches, type EventFilter } from '../query.ts';
import type { CloudTrailRecord, UserIdentity } from '../record.ts';
import { timeOrder } from '../readers/columns.ts';
import type { CloudTrailSql } from '../sql/engine.ts';
import { literal, whereClause, type SqlDialect } from './athena-sql.ts';
import { keepColumns, keepResources, readKeptColumns, readKeptResources, type KeptResources } from './engine-columns-cache.ts';

/**
 * The local DuckDB table read as dictionary-encoded columns, the shape the files store keeps its events in
 * (readers/columns.ts): per string column its distinct values once and a small integer per event, times, readOnly,
 * ids as UUID bytes, and principals derived once per distinct identity. Prediction and the MCP tools' index read
 * these through cheap per-event views instead of a million records built from SQL rows.
 *
 * Each low-cardinality column comes back as an ENUM cast (`CAST(c AS ENUM(<its distinct values>))`), whose vectors
 * hold the value's index in a Uint8/16Array: DuckDB evaluates the cast once per dictionary entry of its compressed
 * column, so no string crosses into JavaScript per event (measured at 1M, per column: ~0.06 CPU-s, against ~0.07
 * for a hash mapped back in JavaScript, ~0.2 for `list_position` and ~0.7 for `dense_rank`). A column with more
 * distinct values than an ENUM literal should carry is read as text and interned here instead.
 */

/** The string columns, in TrailEvent's terms and the files store's order (readers/compact.ts COLUMNS, without principal). */
export const STRING_COLUMNS = {
  source: 'eventsource',
  name: 'eventname',
  region: 'awsregion',
  account: 'coalesce(recipientaccountid, useridentity.accountid)',
  sourceIp: 'sourceipaddress',
  userAgent: 'useragent',
  errorCode: 'errorcode',
  errorMessage: 'errormessage',
} as const;
export type StringColumn = keyof typeof STRING_COLUMNS;
const NAMES = Object.keys(STRING_COLUMNS) as StringColumn[];
/** Position of each string column in `EngineColumns.cols`. */
export const SCOL = Object.freeze(Object.fromEntries(NAMES.map((c, i) => [c, i])) as Record<StringColumn, number>);

/** Beyond this many distinct values a column is read as text: the ENUM literal would be megabytes of SQL. */
const ENUM_LIMIT = 50_000;

/** The identity fields normalisePrincipal reads. */
const IDENTITY_FIELDS = {
  type: 'useridentity.type',
  arn: 'useridentity.arn',
  userName: 'useridentity.username',
  principalId: 'useridentity.principalid',
  accessKeyId: 'useridentity.accesskeyid',
  invokedBy: 'useridentity.invokedby',
  accountId: 'useridentity.accountid',
  onBehalfOf: 'useridentity.onbehalfof.userid',
  issuer: 'useridentity.sessioncontext.sessionissuer.username',
  sourceIdentity: 'useridentity.sessioncontext.sourceidentity',
};
type IdentityField = keyof typeof IDENTITY_FIELDS;
const IDENTITY_NAMES = Object.keys(IDENTITY_FIELDS) as IdentityField[];
/**
 * One number per distinct identity, computed alike per event and per distinct identity (the top 52 bits of
 * DuckDB's hash, exact in a double). Cheaper than a join with the distinct identities (~0.5 against ~2.9 CPU-s
 * at 1M); two identities with one hash would share a principal (at 20,000 identities the chance is ~1e-7).
 */
const IDENTITY_HASH = `CASE WHEN useridentity IS NULL THEN -1 ELSE (hash(${Object.values(IDENTITY_FIELDS).join(', ')}) >> 12)::DOUBLE END`;

/**
 * The table's events as columns, by position in the order the engine returned them, with `order` listing the
 * positions in (time, id) order (the files store's order): a permutation to read through rather than a copy of
 * every column in that order.
 */
export interface EngineColumns {
  count: number;
  /** Positions in (time, id) order. */
  order: Uint32Array;
  times: Float64Array;
  /** Per string column (SCOL order): the value's index in `values[column]`; 0 is '' (absent or empty). */
  cols: (Uint16Array | Uint32Array)[];
  values: string[][];
  /** Index into `principals`, -1 for an event without a userIdentity. */
  principal: Int32Array;
  principals: Principal[];
  /** 0 false, 1 true, 2 unknown. */
  readOnly: Uint8Array;
  /** Each event's UUID as DuckDB holds it: a 128-bit integer in four little-endian words, its top bit flipped. */
  uuids: Uint32Array;
  /** The ids that are not canonical UUIDs, by position. */
  otherIds: Map<number, string>;
  /** The table's rowid of each event, by which its record is fetched. */
  rowids: Float64Array;
  /** Read from the engine, or from the copy kept beside its database (engine-columns-cache.ts). */
  from: 'engine' | 'kept';
}

/** Hash (a double) → index, open addressing over typed arrays: no allocation per lookup. */
class HashIndex {
  private readonly keys: Float64Array;
  private readonly slots: Int32Array;
  private readonly mask: number;
  private size = 0;

  constructor(size: number) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(4, size * 2)));
    this.keys = new Float64Array(cap);
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  add(hash: number): void {
    let i = hash % (this.mask + 1);
    while (this.slots[i] >= 0 && this.keys[i] !== hash) i = (i + 1) & this.mask;
    if (this.slots[i] < 0) {
      this.keys[i] = hash;
      this.slots[i] = this.size++;
    }
  }

  /** Index of the hash in the order added, or -1 (NULL, or a hash not added). */
  index(hash: number): number {
    if (hash < 0) return -1;
    let i = hash % (this.mask + 1);
    while (this.slots[i] >= 0) {
      if (this.keys[i] === hash) return this.slots[i];
      i = (i + 1) & this.mask;
    }
    return -1;
  }
}

/** The identity fields back into the record's shape, nulls as absent (as the files source reads them). */
function principalOf(f: Record<IdentityField, string | null>): Principal {
  const v = (k: IdentityField) => f[k] ?? undefined;
  const id: UserIdentity = {
    type: v('type'),
    arn: v('arn'),
    userName: v('userName'),
    principalId: v('principalId'),
    accessKeyId: v('accessKeyId'),
    invokedBy: v('invokedBy'),
    accountId: v('accountId'),
    ...(f.onBehalfOf !== null ? { onBehalfOf: { userId: f.onBehalfOf } } : {}),
    ...(f.issuer !== null || f.sourceIdentity !== null
      ? { sessionContext: { ...(f.issuer !== null ? { sessionIssuer: { userName: f.issuer } } : {}), sourceIdentity: v('sourceIdentity') } }
      : {}),
  };
  return Object.freeze(normalisePrincipal(id));
}

/** Each string column as the table expressions whose first non-NULL is its value: the account is the recipient's, else the caller's. */
const SOURCES: Record<StringColumn, string[]> = {
  ...(Object.fromEntries(NAMES.map((c) => [c, [STRING_COLUMNS[c]]])) as Record<StringColumn, string[]>),
  account: ['recipientaccountid', 'useridentity.accountid'],
};

interface Dictionaries {
  /** Per string column: '' then its distinct non-empty values, or undefined when it has too many for an ENUM. */
  values: (string[] | undefined)[];
  hashes: HashIndex;
  principals: Principal[];
}

async function dictionaries(conn: DuckDBConnection, where: string, enumLimit: number): Promise<Dictionaries> {
  // One scan for every column's distinct values.
  const exprs = NAMES.flatMap((c) => SOURCES[c]);
  const lists = (await conn.runAndReadAll(`SELECT ${exprs.map((e) => `list(DISTINCT ${e}) FILTER (WHERE ${e} <> '')`).join(', ')} FROM cloudtrail ${where}`)).getRowsJS()[0] as (string[] | null)[];
  let at = 0;
  const values = NAMES.map((c) => {
    const distinct = new Set<string>();
    for (const _ of SOURCES[c]) for (const v of lists[at++] ?? []) distinct.add(v);
    // A value with control characters cannot be written as an SQL literal (athena-sql.ts refuses them): read as text.
    // eslint-disable-next-line no-control-regex
    const literalSafe = [...distinct].every((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v));
    return distinct.size > enumLimit || !literalSafe ? undefined : ['', ...distinct];
  });
  // Each distinct identity once, with the hash its events carry (the same expression over the same values).
  const fields = IDENTITY_NAMES.map((k) => `${IDENTITY_FIELDS[k]} AS ${k}`).join(', ');
  const sql = `SELECT (hash(${IDENTITY_NAMES.join(', ')}) >> 12)::DOUBLE AS h, * FROM (SELECT DISTINCT ${fields} FROM cloudtrail ${where ? `${where} AND` : 'WHERE'} useridentity IS NOT NULL)`;
  const cols = (await conn.runAndReadAll(sql)).getColumnsJS() as [number[], ...(string | null)[][]];
  const hashes = new HashIndex(cols[0].length);
  const principals: Principal[] = [];
  cols[0].forEach((h, i) => {
    hashes.add(h);
    principals.push(principalOf(Object.fromEntries(IDENTITY_NAMES.map((k, j) => [k, cols[j + 1][i]])) as Record<IdentityField, string | null>));
  });
  return { values, hashes, principals };
}

/** The code of a value among a column's values (NULL stays NULL): the empty string is code 0, as NULL reads. */
const enumOf = (column: string, values: string[]) => `enum_code(CAST(${column} AS ENUM(${values.map(literal).join(', ')})))`;

/** The event id as a DuckDB UUID when it is one in canonical form (`uu`: TRY_CAST of eventid), else NULL. */
const CANONICAL_UUID = `CASE WHEN uu::VARCHAR = eventid AND uu <> '00000000-0000-0000-0000-000000000000'::UUID THEN uu END`;

/**
 * Per event: rowid, time, the id as a UUID (NULL when not canonical: those are read apart), readOnly, identity
 * hash, then the string columns' codes. Nothing but the UUID is NULL, so each column is one native copy.
 */
function eventsSql(d: SqlDialect, where: string, dict: Dictionaries): string {
  // coalesce over the codes (integers), not over the strings: that cost ~1 CPU-s at 1M for the account, this ~0.1.
  const strings = NAMES.map((c, i) => (dict.values[i] ? `coalesce(${SOURCES[c].map((e) => enumOf(e, dict.values[i]!)).join(', ')}, 0)` : STRING_COLUMNS[c]));
  return `SELECT r::DOUBLE AS r, coalesce(${d.time}::DOUBLE, 'NaN'::DOUBLE) AS t, ${CANONICAL_UUID} AS u,
  (CASE readonly WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE 2 END)::UTINYINT AS ro,
  ${IDENTITY_HASH} AS p,
  ${strings.join(',\n  ')}
FROM (SELECT *, rowid AS r, TRY_CAST(eventid AS UUID) AS uu FROM cloudtrail ${where})`;
}

/** rowid and id of the events whose id is not a canonical UUID (the rows `eventsSql` gave a NULL `u`). */
const otherIdsSql = (d: SqlDialect, where: string) => `SELECT r::DOUBLE, ${d.id} FROM (SELECT *, rowid AS r, TRY_CAST(eventid AS UUID) AS uu FROM cloudtrail ${where}) WHERE ${CANONICAL_UUID} IS NULL`;

/** A vector's typed items (`items`, not part of the package's declared API) or undefined. */
function itemsOf(v: DuckDBVector): ArrayLike<number> | undefined {
  const items = (v as unknown as { items?: unknown }).items;
  return ArrayBuffer.isView(items) && !(items instanceof DataView) ? (items as unknown as ArrayLike<number>) : undefined;
}

/** The vector's validity bits as 32-bit words (undefined: all valid), from its 64-bit words. */
function validWords(v: DuckDBVector): Uint32Array | undefined {
  const data = (v as unknown as { validity?: { data?: unknown } }).validity?.data;
  return data instanceof BigUint64Array ? new Uint32Array(data.buffer, data.byteOffset, data.length * 2) : undefined;
}

const valid = (words: Uint32Array | undefined, i: number) => !words || (words[i >>> 5] & (1 << (i & 31))) !== 0;

function anyNull(words: Uint32Array | undefined, n: number): boolean {
  if (!words) return false;
  for (let i = 0; i < n; i += 32) if (words[i >>> 5] !== 0xffffffff) for (let j = i; j < Math.min(n, i + 32); j++) if (!valid(words, j)) return true;
  return false;
}

type Numbers = Float64Array | Uint8Array | Uint16Array | Uint32Array;

/**
 * Typed arrays grown as chunks arrive, each chunk's vector copied in with one native `set` (a loop over a
 * million items of mixed array types cost ~10x more).
 */
class Column<T extends Numbers> {
  length = 0;
  constructor(
    private data: T,
    private readonly make: (n: number) => T,
  ) {}

  /** The chunk's items of this column; NULL items become `nullAs`. */
  push(chunk: DuckDBDataChunk, column: number, width: number, nullAs: number): void {
    const n = chunk.rowCount;
    const v = chunk.getColumnVector(column);
    const end = this.length + n * width;
    if (end > this.data.length) {
      const next = this.make(Math.max(end, this.data.length * 2));
      next.set(this.data.subarray(0, this.length) as never);
      this.data = next;
    }
    const items = itemsOf(v);
    const at = this.length;
    if (items && width === 1) (this.data as Numbers).set(items as never, at);
    else if (width === 1) for (let i = 0; i < n; i++) this.data[at + i] = (v.getItem(i) as number | null) ?? nullAs;
    else {
      // UUIDs: 16 bytes each, as the engine holds them.
      const view = (v as unknown as { dataView?: DataView }).dataView;
      if (!view) throw new Error('the engine returned UUIDs in a form this reader does not know');
      (this.data as Numbers).set(new Uint32Array(view.buffer, view.byteOffset, n * width) as never, at);
    }
    if (width === 1 && anyNull(validWords(v), n)) throw new Error(`the engine returned NULLs in column ${column}, which the read does not expect`);
    this.length = end;
  }

  /** Appends ids made here (a column read as text). */
  pushIds(ids: Uint32Array): void {
    if (this.length + ids.length > this.data.length) {
      const next = this.make(Math.max(this.length + ids.length, this.data.length * 2));
      next.set(this.data.subarray(0, this.length) as never);
      this.data = next;
    }
    (this.data as Numbers).set(ids as never, this.length);
    this.length += ids.length;
  }

  get values(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

const codeArray = (size: number) => (n: number): Uint16Array | Uint32Array => (size <= 0x10000 ? new Uint16Array(n) : new Uint32Array(n));

/**
 * The events of the table matching `filter` (its SQL condition; principals, which SQL only approximates, are
 * matched by the caller) as columns, with their (time, id) order.
 */
export async function readEngineColumns(engine: CloudTrailSql, d: SqlDialect, filter: EventFilter = {}, enumLimit = ENUM_LIMIT): Promise<EngineColumns> {
  const where = whereClause(filter, {}, d);
  return engine.withConnection(async (conn) => {
    const dict = await dictionaries(conn, where, enumLimit);
    const texts = NAMES.map((_, i) => (dict.values[i] ? undefined : { ids: new Map<string, number>([['', 0]]), values: [''] }));
    const result = await conn.stream(eventsSql(d, where, dict));
    const start = 1 << 16;
    const f64 = () => new Column(new Float64Array(start), (n) => new Float64Array(n));
    const rowids = f64();
    const times = f64();
    const hashes = f64();
    const uuids = new Column(new Uint32Array(4 * start), (n) => new Uint32Array(n));
    const ro = new Column(new Uint8Array(start), (n) => new Uint8Array(n));
    // One array type for every column (as the files store's StringIds): the views' reads stay monomorphic, which
    // a Uint8Array beside a Uint16Array made ~25% slower for training.
    const make = codeArray(Math.max(...dict.values.map((v) => v?.length ?? 2 ** 32)));
    const cols = NAMES.map(() => new Column(make(start), make));
    /** Positions whose id is not a canonical UUID, read by a second query when there are any. */
    const missing: number[] = [];
    let total = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const n = chunk.rowCount;
      rowids.push(chunk, 0, 1, 0);
      times.push(chunk, 1, 1, NaN);
      uuids.push(chunk, 2, 4, 0);
      const uw = validWords(chunk.getColumnVector(2));
      if (uw)
        for (let w = 0; w < uw.length; w++)
          if (uw[w] !== 0xffffffff) for (let i = 32 * w; i < Math.min(n, 32 * w + 32); i++) if (!valid(uw, i)) missing.push(total + i);
      ro.push(chunk, 3, 1, 2);
      hashes.push(chunk, 4, 1, -1);
      let column = 5;
      NAMES.forEach((_, j) => {
        const t = texts[j];
        if (!t) {
          cols[j].push(chunk!, column++, 1, 0);
          return;
        }
        const v = chunk!.getColumnVector(column++);
        const ids = new Uint32Array(n);
        for (let i = 0; i < n; i++) {
          const s = (v.getItem(i) as string | null) ?? '';
          let id = t.ids.get(s);
          if (id === undefined) t.ids.set(s, (id = t.values.push(s) - 1));
          ids[i] = id;
        }
        cols[j].pushIds(ids);
      });
      total += n;
    }
    const codes = cols.map((c) => c.values);
    const otherIds = new Map<number, string>();
    if (missing.length) {
      const at = new Map<number, number>(missing.map((k) => [rowids.values[k], k]));
      for (const [rowid, id] of (await conn.runAndReadAll(otherIdsSql(d, where))).getRowsJS() as [number, string][]) {
        const k = at.get(rowid);
        if (k !== undefined) otherIds.set(k, id);
      }
    }
    const principal = new Int32Array(total);
    const h = hashes.values;
    for (let k = 0; k < total; k++) principal[k] = dict.hashes.index(h[k]);
    const u = uuids.values;
    // Sorted here rather than by the engine: its ORDER BY on the id text cost more than the rest of the read.
    // Canonical UUIDs order as their 128-bit numbers (the top word's flipped bit flipped back).
    const byId = (a: number, b: number) => {
      const x = otherIds.get(a);
      const y = otherIds.get(b);
      if (x === undefined && y === undefined)
        return ((u[4 * a + 3] ^ 0x80000000) >>> 0) - ((u[4 * b + 3] ^ 0x80000000) >>> 0) || u[4 * a + 2] - u[4 * b + 2] || u[4 * a + 1] - u[4 * b + 1] || u[4 * a] - u[4 * b];
      const s = x ?? uuidText(u, a);
      const t = y ?? uuidText(u, b);
      return s < t ? -1 : s > t ? 1 : 0;
    };
    const order = timeOrder(times.values, (run) => run.sort(byId));
    return {
      count: total,
      order,
      times: times.values,
      cols: codes,
      values: dict.values.map((v, c) => v ?? texts[c]!.values),
      principal,
      principals: dict.principals,
      readOnly: ro.values,
      uuids: u,
      otherIds,
      rowids: rowids.values,
      from: 'engine',
    };
  });
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const hex4 = (w: number) => HEX[w >>> 24] + HEX[(w >>> 16) & 255] + HEX[(w >>> 8) & 255] + HEX[w & 255];

/** The canonical text of the UUID at position `i`. */
function uuidText(u: Uint32Array, i: number): string {
  const a = (u[4 * i + 3] ^ 0x80000000) >>> 0;
  const b = u[4 * i + 2];
  const c = u[4 * i + 1];
  return `${hex4(a)}-${HEX[b >>> 24]}${HEX[(b >>> 16) & 255]}-${HEX[(b >>> 8) & 255]}${HEX[b & 255]}-${HEX[c >>> 24]}${HEX[(c >>> 16) & 255]}-${HEX[(c >>> 8) & 255]}${HEX[c & 255]}${hex4(u[4 * i])}`;
}

/** The id of the event at position `i`. */
export const idOf = (c: EngineColumns, i: number): string => c.otherIds.get(i) ?? uuidText(c.uuids, i);

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The four words `uuidText` reads a canonical UUID text from (the engine's form: little-endian, top bit flipped). */
function uuidWords(id: string): [number, number, number, number] {
  const hex = id.replaceAll('-', '');
  const word = (at: number) => Number.parseInt(hex.slice(at, at + 8), 16);
  return [word(24), word(16), word(8), (word(0) ^ 0x80000000) >>> 0];
}

/**
 * Position of each event by id: open addressing from the UUID's words to positions (an Int32Array twice the
 * events' size: ~8 MB and ~20 ms at 1M, against ~100 MB for a Map of a million id strings), and the few
 * ids that are not canonical UUIDs in a Map.
 */
class IdIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly others: Map<string, number>;

  constructor(private readonly c: EngineColumns) {
    this.slots = new Int32Array(2 ** Math.ceil(Math.log2(Math.max(4, c.count * 2)))).fill(-1);
    this.mask = this.slots.length - 1;
    this.others = new Map();
    // Backwards, so that of two events with one id the first in the engine's order is kept, as `find` would.
    for (let k = c.count - 1; k >= 0; k--) {
      const other = c.otherIds.get(k);
      if (other !== undefined) this.others.set(other, k);
      else this.slots[this.probe(c.uuids[4 * k], c.uuids[4 * k + 1], c.uuids[4 * k + 2], c.uuids[4 * k + 3])] = k;
    }
  }

  /** The slot holding this UUID, or the empty slot where it would go. */
  private probe(w0: number, w1: number, w2: number, w3: number): number {
    const u = this.c.uuids;
    let i = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ w3, 0xc2b2ae35) & this.mask;
    for (let k = this.slots[i]; k >= 0; k = this.slots[i]) {
      if (u[4 * k] === w0 && u[4 * k + 1] === w1 && u[4 * k + 2] === w2 && u[4 * k + 3] === w3) return i;
      i = (i + 1) & this.mask;
    }
    return i;
  }

  /** The position of the event with this id, or undefined. */
  find(id: string): number | undefined {
    const other = this.others.get(id);
    if (other !== undefined || !CANONICAL.test(id)) return other;
    const k = this.slots[this.probe(...uuidWords(id))];
    return k >= 0 ? k : undefined;
  }
}

const idIndexes = new WeakMap<EngineColumns, IdIndex>();

/** The position of the event with this id in the columns (an index built on first use), or undefined. */
export function positionOf(c: EngineColumns, id: string): number | undefined {
  let index = idIndexes.get(c);
  if (!index) idIndexes.set(c, (index = new IdIndex(c)));
  return index.find(id);
}

const UNKNOWN = Object.freeze(normalisePrincipal(undefined));

/** What the events of one read share: the columns, and the records and resources fetched for some of them. */
export interface EngineTable {
  columns: EngineColumns;
  raws: Map<number, CloudTrailRecord>;
  resources: Map<number, EventResource[]>;
  /** Every event's resources as JSON by rowid, once read (`loadResources`). */
  resourceText?: KeptResources;
  /** Settles when the columns have been kept beside the database (or did not need to be). */
  kept?: Promise<void>;
}

/**
 * Reads every event's resources (one query over the rows that name any, ~0.5 CPU-s at 1M, or the copy kept beside
 * the database), so `resources` answers for every event of the table: the MCP tools return them with each event.
 */
export async function loadResources(engine: CloudTrailSql, table: EngineTable): Promise<void> {
  if (table.resourceText) return;
  const db = engine.opened.path;
  const onDisk = db !== ':memory:';
  const kept = onDisk ? await readKeptResources(db) : undefined;
  if (kept) {
    table.resourceText = kept;
    return;
  }
  const rowids: number[] = [];
  const texts: string[] = [];
  await engine.withConnection(async (conn) => {
    const result = await conn.stream(`SELECT rowid::DOUBLE, to_json(resources)::VARCHAR FROM cloudtrail WHERE len(resources) > 0 ORDER BY rowid`);
    for await (const rows of result.yieldRowsJs())
      for (const [rowid, text] of rows as [number, string][]) {
        rowids.push(rowid);
        texts.push(text);
      }
  });
  const ends = new Uint32Array(texts.length);
  let end = 0;
  texts.forEach((t, i) => (ends[i] = end += Buffer.byteLength(t)));
  const bytes = Buffer.from(texts.join(''));
  table.resourceText = { rowids: Float64Array.from(rowids), ends, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  if (onDisk) await keepResources(db, table.resourceText).catch(() => undefined);
}

/** The resources JSON of the event with this rowid, or undefined when it names none. */
function resourceTextOf(r: KeptResources, rowid: number): string | undefined {
  let lo = 0;
  let hi = r.rowids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (r.rowids[mid] < rowid) lo = mid + 1;
    else hi = mid;
  }
  if (lo === r.rowids.length || r.rowids[lo] !== rowid) return undefined;
  return Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('utf8', lo === 0 ? 0 : r.ends[lo - 1], r.ends[lo]);
}

/** The table's resource structs (lower-case keys, nulls) as the event type has them (normalise in event.ts). */
function resourcesOf(json: string | undefined): EventResource[] {
  if (!json) return [];
  return (JSON.parse(json) as { arn: string | null; accountid: string | null; type: string | null }[]).map((r) => ({
    arn: r.arn ?? undefined,
    type: r.type ?? undefined,
    accountId: r.accountid ?? undefined,
  }));
}

/**
 * The event at position `k` of the columns as a TrailEvent whose fields are read when asked (two fields per event, as the files
 * store's views). The record and resources stay in the table until fetched for the event (`EngineStore.withRecords`).
 */
export class EngineEvent implements TrailEvent {
  constructor(
    readonly table: EngineTable,
    readonly k: number,
  ) {}

  private text(col: number): string {
    const c = this.table.columns;
    return c.values[col][c.cols[col][this.k]];
  }

  get id(): string {
    return idOf(this.table.columns, this.k);
  }
  get time(): number {
    return this.table.columns.times[this.k];
  }
  get source(): string {
    return this.text(0);
  }
  get name(): string {
    return this.text(1);
  }
  get region(): string {
    return this.text(2);
  }
  get account(): string {
    return this.text(3);
  }
  get principal(): Principal {
    const c = this.table.columns;
    const p = c.principal[this.k];
    return p < 0 ? UNKNOWN : c.principals[p];
  }
  get sourceIp(): string {
    return this.text(4);
  }
  get userAgent(): string {
    return this.text(5);
  }
  get errorCode(): string | undefined {
    return this.text(6) || undefined;
  }
  get errorMessage(): string | undefined {
    return this.text(7) || undefined;
  }
  get readOnly(): boolean | undefined {
    const r = this.table.columns.readOnly[this.k];
    return r === 2 ? undefined : r === 1;
  }

  get raw(): CloudTrailRecord {
    const raw = this.table.raws.get(this.k);
    if (!raw) throw new Error(`event ${this.id} was read from the engine's columns without its record: get it from the store (lookupEvents, or the store's get(id))`);
    return raw;
  }

  get resources(): EventResource[] {
    const t = this.table;
    let r = t.resources.get(this.k);
    if (!r && t.resourceText) t.resources.set(this.k, (r = resourcesOf(resourceTextOf(t.resourceText, t.columns.rowids[this.k]))));
    if (!r) throw new Error(`event ${this.id} was read from the engine's columns without its resources: get it from the store (lookupEvents, or the store's get(id))`);
    return r;
  }

  toJSON() {
    const { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly } = this;
    return { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly };
  }
}

/** Views of every event of the columns, in order; with a filter, those `matches` accepts. */
export function engineEvents(table: EngineTable, filter: EventFilter = {}): EngineEvent[] {
  const n = table.columns.count;
  const events: EngineEvent[] = new Array(n);
  const { order } = table.columns;
  for (let k = 0; k < n; k++) events[k] = new EngineEvent(table, order[k]);
  return Object.keys(filter).length ? events.filter((e) => matches(e, filter)) : events;
}

/** Every event of an engine's table as columns, read once per engine and shared (prediction, the MCP index). */
const tables = new WeakMap<CloudTrailSql, Promise<EngineTable>>();

/**
 * The engine's whole table as columns, read on first use and kept as long as the engine; a failed read is retried
 * next time. An on-disk database's columns are kept beside it, so the next process reads them back instead.
 */
export function engineTable(engine: CloudTrailSql, d: SqlDialect): Promise<EngineTable> {
  let t = tables.get(engine);
  if (!t) {
    t = (async () => {
      const db = engine.opened.path;
      const onDisk = db !== ':memory:';
      const kept = onDisk ? await readKeptColumns(db) : undefined;
      const columns = kept ?? (await readEngineColumns(engine, d));
      // Not waited for: a failed write costs the next process a read from the engine, nothing else.
      const saved = onDisk && !kept ? keepColumns(db, columns).catch(() => undefined) : Promise.resolve();
      return { columns, raws: new Map(), resources: new Map(), kept: saved };
    })();
    tables.set(engine, t);
    t.catch(() => tables.delete(engine));
  }
  return t;
}

/** The kept table of an engine, if one was read. */
export const keptTable = (engine: CloudTrailSql): Promise<EngineTable> | undefined => tables.get(engine);
