import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import { normalisePrincipal, type EventResource, type Principal, type TrailEvent } from '../cloudtrail/event.ts';
import { matches, type EventFilter, type EventStore } from '../cloudtrail/query.ts';
import type { UserIdentity } from '../cloudtrail/record.ts';
import type { CloudTrailSql } from '../cloudtrail/sql/engine.ts';
import { whereClause } from '../cloudtrail/stores/athena-sql.ts';
import { timeOrder } from '../cloudtrail/readers/columns.ts';
import { DUCKDB } from '../cloudtrail/stores/engine.ts';

/**
 * Prediction's events read from the local DuckDB table in columns: just the fields training uses, each string
 * column turned into dense codes by the engine (a join with its sorted distinct values), so a million events
 * cost a million small objects and a few thousand strings, not a million records through JSON and zod. The
 * events carry every TrailEvent field but the record itself: `raw` and `resources` throw, saying where to get
 * them (prediction never reads them).
 */

/** The string columns read as codes, in TrailEvent's terms. */
const COLUMNS = {
  source: 'eventsource',
  name: 'eventname',
  region: 'awsregion',
  account: 'coalesce(recipientaccountid, useridentity.accountid)',
  sourceIp: 'sourceipaddress',
  userAgent: 'useragent',
  errorCode: 'errorcode',
  errorMessage: 'errormessage',
} as const;
type Column = keyof typeof COLUMNS;
const NAMES = Object.keys(COLUMNS) as Column[];

/** The identity fields normalisePrincipal reads, hashed (a code per distinct identity) and as a struct (the dictionary). */
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
/** One hash per distinct identity: of the fields, computed alike per event and per distinct identity. */
const identityHash = (fields: string[]) => `(hash(${fields.join(', ')}) >> 12)::DOUBLE`;
/** A canonical (lower-case) UUID, which CloudTrail's eventIDs are: read as four 32-bit numbers instead of a string. */
const UUID = `regexp_full_match(id, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')`;
const hex = (from: number, len: number) => `('0x' || substr(id, ${from}, ${len}))::UINTEGER`;
const UUID_PARTS = [hex(1, 8), `('0x' || substr(id, 10, 4) || substr(id, 15, 4))::UINTEGER`, `('0x' || substr(id, 20, 4) || substr(id, 25, 4))::UINTEGER`, hex(29, 8)];

/**
 * Per event: time, the id (as a UUID's four numbers, or text when it is not one), readOnly, and for each string
 * column a hash of its value (the top 52 bits, exact in a double; -1 for NULL), which the dictionaries map back
 * to strings. Hashing here and mapping in a typed hash table is cheaper than joining each column with its distinct
 * values in the engine (measured at 1M: ~0.1 CPU-s per join, a tenth of that per hash); two distinct values with
 * one hash would read as the same string (at 20,000 distinct values the chance is ~1e-7).
 */
function eventsSql(filter: EventFilter): string {
  const where = whereClause(filter, {}, DUCKDB);
  const h = (e: string) => `CASE WHEN ${e} IS NULL THEN -1 ELSE (hash(${e}) >> 12)::DOUBLE END`;
  return `SELECT coalesce(t, 'NaN'::DOUBLE) AS t,
  ${UUID_PARTS.map((p, i) => `CASE WHEN uuid THEN ${p} ELSE 0 END::UINTEGER AS u${i}`).join(',\n  ')},
  CASE WHEN uuid THEN NULL ELSE id END AS other_id,
  (CASE readonly WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE 2 END)::INTEGER AS ro,
  CASE WHEN useridentity IS NULL THEN -1 ELSE ${identityHash(Object.values(IDENTITY_FIELDS))} END AS p,
  ${NAMES.map((c, i) => `${h(COLUMNS[c])} AS c${i}`).join(',\n  ')}
FROM (SELECT *, ${DUCKDB.time}::DOUBLE AS t, ${UUID} AS uuid FROM (SELECT *, ${DUCKDB.id} AS id FROM cloudtrail ${where}))`;
}

/** Hash (a double) → string, open addressing over typed arrays: no allocation per lookup. */
class HashDictionary<T> {
  private readonly keys: Float64Array;
  private readonly slots: Int32Array;
  private readonly mask: number;
  readonly values: T[] = [];

  constructor(size: number) {
    const cap = 2 ** Math.ceil(Math.log2(Math.max(4, size * 2)));
    this.keys = new Float64Array(cap);
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  set(hash: number, value: T): void {
    let i = hash % (this.mask + 1);
    while (this.slots[i] >= 0 && this.keys[i] !== hash) i = (i + 1) & this.mask;
    if (this.slots[i] < 0) {
      this.keys[i] = hash;
      this.slots[i] = this.values.length;
      this.values.push(value);
    }
  }

  /** Index of the value in `values`, or -1 (NULL, or a value the dictionary does not have). */
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

/**
 * Positions in (time, id) order, the files store's (`timeOrder`), ties compared as the UUIDs' numbers (the same
 * order as their lower-case text) or as text when either is not a UUID. Sorting here rather than in the engine:
 * DuckDB's ORDER BY on the id text cost more CPU than the rest of the read (measured at 1M).
 */
function timeIdOrder(times: Float64Array, ids: IdColumns, idOf: (i: number) => string): Uint32Array {
  const [u0, u1, u2, u3] = ids.u;
  const byId = (a: number, b: number) => {
    if (!ids.other.has(a) && !ids.other.has(b)) return u0[a] - u0[b] || u1[a] - u1[b] || u2[a] - u2[b] || u3[a] - u3[b];
    const x = idOf(a);
    const y = idOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return timeOrder(times, (run) => run.sort(byId));
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** The UUID text of event `i` from its four numbers. */
function uuidText(u: Uint32Array[], i: number): string {
  const [a, b, c, d] = [hex8(u[0][i]), hex8(u[1][i]), hex8(u[2][i]), hex8(u[3][i])];
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** An event with the fields prediction reads; its id is made from the UUID's four numbers when first asked for. */
/** The columns every PredictionEvent reads from: per event, indexes into the dictionaries. */
interface Columns {
  times: Float64Array;
  readOnly: Int32Array;
  principal: Int32Array;
  principals: Principal[];
  /** Per string column (NAMES order): the value's index in `values[column]`, -1 when absent. */
  codes: Int32Array[];
  values: string[][];
  idOf: (i: number) => string;
}

const UNKNOWN = Object.freeze(normalisePrincipal(undefined));

/**
 * A view of event `i` of the columns: two fields per event rather than thirteen, so a million of them are cheap
 * to make and to keep (the files store's events are views too).
 */
class PredictionEvent implements TrailEvent {
  constructor(
    private readonly c: Columns,
    private readonly i: number,
  ) {}

  private text(col: number): string | undefined {
    const k = this.c.codes[col][this.i];
    return k < 0 ? undefined : this.c.values[col][k];
  }

  get id(): string {
    return this.c.idOf(this.i);
  }
  get time(): number {
    return this.c.times[this.i];
  }
  get source(): string {
    return this.text(0) ?? '';
  }
  get name(): string {
    return this.text(1) ?? '';
  }
  get region(): string {
    return this.text(2) ?? '';
  }
  get account(): string {
    return this.text(3) ?? '';
  }
  get principal(): Principal {
    const p = this.c.principal[this.i];
    return p < 0 ? UNKNOWN : this.c.principals[p];
  }
  get sourceIp(): string {
    return this.text(4) ?? '';
  }
  get userAgent(): string {
    return this.text(5) ?? '';
  }
  get errorCode(): string | undefined {
    return this.text(6) || undefined;
  }
  get errorMessage(): string | undefined {
    return this.text(7) || undefined;
  }
  get readOnly(): boolean | undefined {
    const r = this.c.readOnly[this.i];
    return r === 2 ? undefined : r === 1;
  }

  get raw(): never {
    throw new Error(`event ${this.id} was read for prediction without its record: get it from the store (lookupEvents, or the store's get(id))`);
  }

  get resources(): EventResource[] {
    throw new Error(`event ${this.id} was read for prediction without its resources: get it from the store (lookupEvents, or the store's get(id))`);
  }

  toJSON() {
    const { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly } = this;
    return { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly };
  }
}

interface IdColumns {
  /** The four 32-bit parts of each event's UUID. */
  u: Uint32Array[];
  /** Ids that are not canonical UUIDs, by event position. */
  other: Map<number, string>;
}

interface Identity {
  type?: string;
  arn?: string;
  userName?: string;
  principalId?: string;
  accessKeyId?: string;
  invokedBy?: string;
  accountId?: string;
  onBehalfOf?: string;
  issuer?: string;
  sourceIdentity?: string;
}

/** The identity fields back into the record's shape, nulls as absent (as the files source reads them). */
function principalOf(json: string): Principal {
  const i = JSON.parse(json, (_k, v: unknown) => (v === null ? undefined : v)) as Identity;
  const id: UserIdentity = {
    type: i.type,
    arn: i.arn,
    userName: i.userName,
    principalId: i.principalId,
    accessKeyId: i.accessKeyId,
    invokedBy: i.invokedBy,
    accountId: i.accountId,
    ...(i.onBehalfOf !== undefined ? { onBehalfOf: { userId: i.onBehalfOf } } : {}),
    ...(i.issuer !== undefined || i.sourceIdentity !== undefined
      ? { sessionContext: { ...(i.issuer !== undefined ? { sessionIssuer: { userName: i.issuer } } : {}), sourceIdentity: i.sourceIdentity } }
      : {}),
  };
  return Object.freeze(normalisePrincipal(id));
}

/**
 * A numeric column of a chunk as its typed array. The vector classes hold their items in one (`items`, not part
 * of their declared API): read it when it is there, else copy item by item, so a package update costs speed only.
 */
function numbers<T extends Float64Array | Int32Array | Uint32Array>(chunk: DuckDBDataChunk, column: number, make: (n: number) => T): T {
  const v = chunk.getColumnVector(column);
  const items = (v as unknown as { items?: unknown }).items;
  if (items instanceof Float64Array || items instanceof Int32Array || items instanceof Uint32Array) return items.subarray(0, chunk.rowCount) as T;
  const out = make(chunk.rowCount);
  for (let i = 0; i < chunk.rowCount; i++) out[i] = (v.getItem(i) as number | null) ?? 0;
  return out;
}

async function dictionaries(conn: DuckDBConnection): Promise<{ columns: HashDictionary<string>[]; principals: HashDictionary<Principal> }> {
  const columns: HashDictionary<string>[] = [];
  for (const c of NAMES) {
    const [hashes, values] = (await conn.runAndReadAll(`SELECT (hash(v) >> 12)::DOUBLE, v FROM (SELECT DISTINCT ${COLUMNS[c]} AS v FROM cloudtrail) WHERE v IS NOT NULL`)).getColumns() as [number[], string[]];
    const d = new HashDictionary<string>(values.length);
    values.forEach((v, i) => d.set(hashes[i], v));
    columns.push(d);
  }
  const names = Object.keys(IDENTITY_FIELDS);
  // Grouped by the hash the events carry, rather than DISTINCT over the ten fields: ~0.66 against ~0.89 CPU-s at 1M.
  const sql = `SELECT h, to_json({${names.map((k) => `${k}: ${k}`).join(', ')}})::VARCHAR
FROM (SELECT h, ${names.map((k) => `any_value(${k}) AS ${k}`).join(', ')}
  FROM (SELECT ${identityHash(Object.values(IDENTITY_FIELDS))} AS h, ${Object.entries(IDENTITY_FIELDS).map(([k, v]) => `${v} AS ${k}`).join(', ')} FROM cloudtrail WHERE useridentity IS NOT NULL)
  GROUP BY h)`;
  const [hashes, identities] = (await conn.runAndReadAll(sql)).getColumns() as [number[], string[]];
  const principals = new HashDictionary<Principal>(identities.length);
  identities.forEach((json, i) => principals.set(hashes[i], principalOf(json)));
  return { columns, principals };
}

/** Every event of the table matching `filter`, in (time, id) order, with the fields prediction reads. */
export async function readPredictionEvents(engine: CloudTrailSql, filter: EventFilter = {}): Promise<TrailEvent[]> {
  return engine.withConnection(async (conn) => {
    const { columns, principals } = await dictionaries(conn);
    const filtered = Object.keys(filter).length > 0;
    const result = await conn.stream(eventsSql(filter));
    // Per event: time, id parts, readOnly, principal and string-column indexes into the dictionaries.
    const parts: { t: Float64Array; u: Uint32Array[]; ro: Int32Array; p: Int32Array; c: Int32Array[] }[] = [];
    const other = new Map<number, string>();
    let total = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const n = chunk.rowCount;
      // Copies: a chunk's memory is reused by the next fetch.
      const t = numbers(chunk, 0, (k) => new Float64Array(k)).slice();
      const u = [1, 2, 3, 4].map((col) => numbers(chunk!, col, (k) => new Uint32Array(k)).slice());
      const odd = chunk.getColumnVector(5);
      for (let i = 0; i < n; i++) {
        const id = odd.getItem(i) as string | null;
        if (id !== null) other.set(total + i, id);
      }
      const ro = numbers(chunk, 6, (k) => new Int32Array(k)).slice();
      const ph = numbers(chunk, 7, (k) => new Float64Array(k));
      const p = new Int32Array(n);
      for (let i = 0; i < n; i++) p[i] = principals.index(ph[i]);
      const c = columns.map((d, j) => {
        const hs = numbers(chunk!, 8 + j, (k) => new Float64Array(k));
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) out[i] = d.index(hs[i]);
        return out;
      });
      parts.push({ t, u, ro, p, c });
      total += n;
    }
    const ids: IdColumns = { u: [0, 1, 2, 3].map(() => new Uint32Array(total)), other };
    const times = new Float64Array(total);
    const ro = new Int32Array(total);
    const pr = new Int32Array(total);
    const cols = NAMES.map(() => new Int32Array(total));
    let at = 0;
    for (const ch of parts) {
      times.set(ch.t, at);
      ro.set(ch.ro, at);
      pr.set(ch.p, at);
      for (let j = 0; j < 4; j++) ids.u[j].set(ch.u[j], at);
      ch.c.forEach((c, j) => cols[j].set(c, at));
      at += ch.t.length;
    }
    parts.length = 0;
    const idOf = (i: number) => ids.other.get(i) ?? uuidText(ids.u, i);
    const order = timeIdOrder(times, ids, idOf);
    const view: Columns = { times, readOnly: ro, principal: pr, principals: principals.values, codes: cols, values: columns.map((d) => d.values), idOf };
    const events: TrailEvent[] = new Array(total);
    for (let k = 0; k < total; k++) events[k] = new PredictionEvent(view, order[k]);
    // The SQL principal condition is a superset (principals are derived here), as for the store's queries.
    if (filtered) return events.filter((e) => matches(e, filter));
    return events;
  });
}

/** The local engine behind a store, when it is the engine-backed `files` store. */
export function engineOf(store: EventStore): CloudTrailSql | undefined {
  const engine = (store as { engine?: unknown }).engine;
  return store.kind === 'files' && engine && typeof (engine as CloudTrailSql).withConnection === 'function' ? (engine as CloudTrailSql) : undefined;
}
