import { relative, resolve } from 'node:path';
import { DEFAULT_CACHE_DIR } from '../config.ts';
import type { DuckDBConnection } from '@duckdb/node-api';
import { decodeCursor, encodeCursor, type Cursor } from '../cursor.ts';
import { normalise, type TrailEvent } from '../event.ts';
import {
  EventQuery,
  EventNamesQuery,
  countEventNames,
  matches,
  type EventFilter,
  type EventNameCount,
  type EventPage,
  type EventStore,
  type ProgressReport,
  type QueryOptions,
  type StoreStatus,
} from '../query.ts';
import { CloudTrailRecord } from '../record.ts';
import type { SkippedExample, SkippedInput } from '../skipped.ts';
import type { CloudTrailSql } from '../sql/engine.ts';
import type { SqlSource } from '../sql/result.ts';
import { eventColumns, eventsSql, literal, rowToRecord, whereClause, type SqlDialect, type WhereOptions } from './athena-sql.ts';
import { EngineEvent, engineEvents, engineTable, keptTable, loadResources, positionOf } from './engine-columns.ts';

/**
 * The `files` source answered by the local DuckDB `cloudtrail` table instead of a parse of its own
 * (TRAILBOOK_FILES_ENGINE=duckdb): lookups, scans, event-name counts, status and get-by-id are SQL on the same
 * engine that serves `sql`, so a kernel or MCP server loads the trail once. The SQL is athena-sql.ts's builder
 * in DuckDB's dialect, and rows become records through the same mapping as Athena's; results are checked with
 * `matches`, so they mean what they mean for every source. What a record loses on the way through the table's
 * columns is listed in docs/sql.md.
 */

/**
 * Epoch milliseconds of the record's eventTime, as `Date.parse` reads it. CloudTrail writes UTC with a `Z`, which
 * the plain TIMESTAMP cast reads right at about half the CPU of TIMESTAMPTZ's; an offset needs TIMESTAMPTZ
 * (TIMESTAMP would ignore it).
 */
const TIME = `CASE WHEN eventtime LIKE '%Z' THEN epoch_ms(TRY_CAST(eventtime AS TIMESTAMP)) ELSE epoch_ms(TRY_CAST(eventtime AS TIMESTAMPTZ)) END`;
/** The id `normalise` gives an event: its eventID, or one made of time, source, name and request id. */
// CASE, not coalesce: DuckDB evaluates coalesce's later arguments for every row, and the concatenation doubled the cost of sorting.
const ID = `CASE WHEN eventid IS NOT NULL THEN eventid ELSE eventtime || ':' || eventsource || ':' || eventname || ':' || coalesce(requestid, '') END`;

/** athena-sql.ts's builder over the local table. */
export const DUCKDB: SqlDialect = {
  from: 'cloudtrail',
  time: TIME,
  timeLiteral: (ms) => String(Math.trunc(ms)),
  id: ID,
  jsonText: (c) => `CAST(${c} AS JSON)::VARCHAR`,
  lastPart: (e) => `string_split(${e}, '/')[-1]`,
  distinctList: (c) => `string_agg(DISTINCT ${c}, ',' ORDER BY ${c})`,
  prunePartitions: false,
  extraColumns: [
    'apiversion',
    'vpcendpointid',
    'vpcendpointaccountid',
    'eventcategory',
    'serviceeventdetails',
    'sessioncredentialfromconsole',
    'edgedevicedetails',
    `CAST(addendum AS JSON)::VARCHAR AS addendum`,
    `CAST(tlsdetails AS JSON)::VARCHAR AS tlsdetails`,
  ],
  // The local table has sourceIdentity (the person behind a role session), which principals are matched by.
  extraPrincipal: (v) => [`useridentity.sessioncontext.sourceidentity = ${v}`],
};

type Row = Record<string, string | undefined>;

/**
 * eventsSql with a limit, materialised late: the page's rows are picked by their sort keys alone, and only they
 * are turned into JSON text and the other columns. DuckDB otherwise computes the whole projection for every row
 * before its top-N (measured at 1M: a 50-event page ~2.5 CPU-s that way).
 */
function pageSql(f: EventFilter, o: WhereOptions & { order: 'asc' | 'desc'; limit: number }): string {
  const dir = o.order === 'desc' ? 'DESC' : 'ASC';
  const keys = `SELECT rowid AS r, ${TIME} AS t, ${ID} AS i FROM cloudtrail ${whereClause(f, o, DUCKDB)} ORDER BY t ${dir}, i ${dir} LIMIT ${Math.floor(o.limit)}`;
  return `SELECT ${eventColumns(DUCKDB).join(', ')} FROM cloudtrail JOIN (${keys}) k ON cloudtrail.rowid = k.r ORDER BY k.t ${dir}, k.i ${dir}`;
}

/** Rows of a query as string-valued objects (NULL as undefined), streamed chunk by chunk. */
async function* rowsOf(conn: DuckDBConnection, sql: string): AsyncIterable<Row[]> {
  const result = await conn.stream(sql);
  for await (const chunk of result.yieldRowObjectJs()) yield chunk as Row[];
}

export class EngineStore implements EventStore {
  readonly kind = 'files' as const;
  private statusMemo?: StoreStatus;
  /** Rows the table holds that are not CloudTrail records after all (counted, never dropped silently). */
  private unusable = 0;

  constructor(
    /** The engine, shared with `sql` (sqlSourceFor hands it out without a second load). */
    readonly engine: CloudTrailSql,
    readonly dir: string,
  ) {}

  /** What the table's load left out, in the files source's shape (files named relative to the directory). */
  get skipped(): SkippedInput {
    const s = this.engine.skipped;
    const name = (e: SkippedExample) => ({ ...e, file: relative(this.dir, e.file) || e.file });
    const examples = s.examples.map(name);
    if (this.unusable) examples.push({ file: this.engine.opened.path, reason: 'rows that are not valid CloudTrail records', records: this.unusable });
    return { ...s, records: s.records + this.unusable, examples, ignoredExamples: s.ignoredExamples.map(name) };
  }

  private toEvent(row: Row): TrailEvent | undefined {
    const parsed = CloudTrailRecord.safeParse(rowToRecord(row));
    if (parsed.success) return normalise(parsed.data);
    this.unusable++;
    return undefined;
  }

  private async events(sql: string, visit: (e: TrailEvent) => boolean | void): Promise<number> {
    let rows = 0;
    await this.engine.withConnection(async (conn) => {
      for await (const chunk of rowsOf(conn, sql))
        for (const row of chunk) {
          rows++;
          const e = this.toEvent(row);
          if (e && visit(e) === false) return;
        }
    });
    return rows;
  }

  async query(input: EventQuery): Promise<EventPage> {
    const q = EventQuery.parse(input);
    let after: Cursor | undefined = q.cursor ? decodeCursor(q.cursor) : undefined;
    const out: TrailEvent[] = [];
    // The principal condition in SQL is a superset of `matches` (principals are derived in TypeScript): rows it
    // lets through still advance the keyset, and another round fetches what a short page is missing.
    for (;;) {
      const want = q.limit + 1 - out.length;
      const rows = await this.events(pageSql(q, { order: q.order, after, limit: want }), (e) => {
        after = { t: e.time, id: e.id };
        if (matches(e, q)) out.push(e);
      });
      if (rows < want || out.length > q.limit) break;
    }
    const events = out.slice(0, q.limit);
    const last = events[events.length - 1];
    return { events, nextCursor: out.length > q.limit && last ? encodeCursor({ t: last.time, id: last.id }) : undefined };
  }

  /** Read whole before the first event is yielded: one ordered query, not a connection held open between yields. */
  async *scan(filter: EventFilter = {}, opts: QueryOptions = {}): AsyncIterable<TrailEvent> {
    const out: TrailEvent[] = [];
    await this.events(eventsSql(DUCKDB, filter, { order: 'asc' }), (e) => {
      opts.signal?.throwIfAborted();
      if (matches(e, filter)) out.push(e);
    });
    yield* out;
  }

  async eventNames(input: EventNamesQuery = {}): Promise<EventNameCount[]> {
    const q = EventNamesQuery.parse(input);
    // A principal is matched in TypeScript: count what the matching events are.
    if (q.principal !== undefined) {
      const events: TrailEvent[] = [];
      for await (const e of this.scan({ start: q.start, end: q.end, principal: q.principal, eventSource: q.eventSource })) events.push(e);
      return countEventNames(events, q);
    }
    // first: the (time, id) of each name's first event, which orders ties as the memory store's stable sort does.
    const sql = `SELECT eventsource, eventname, events, first.t AS first_t, first.id AS first_id
FROM (SELECT eventsource, eventname, count(*) AS events, min({t: ${TIME}, id: ${ID}}) AS first FROM cloudtrail ${whereClause(q, {}, DUCKDB)} GROUP BY 1, 2)`;
    const counts: (EventNameCount & { t: number; id: string })[] = [];
    await this.engine.withConnection(async (conn) => {
      for await (const chunk of rowsOf(conn, sql))
        for (const r of chunk) counts.push({ source: r.eventsource ?? '', name: r.eventname ?? '', count: Number(r.events), t: Number(r.first_t), id: r.first_id ?? '' });
    });
    // The memory store's order (count, then name by localeCompare), which SQL's byte order is not.
    const sorted = counts.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return (q.top ? sorted.slice(0, q.top) : sorted).map(({ t: _t, id: _id, ...c }) => c);
  }

  /**
   * The event with this id (the table's eventid, or the id made for a record without one), or undefined. Found in
   * the engine's columns when they have been read (an id index over their UUIDs), else by a query on the id's
   * columns alone; then its record is fetched by rowid. A filter that fetched every column of the matching row
   * read the whole table: ~0.5 CPU-s at 1M against milliseconds now (bench/engine-read.ts).
   */
  async get(id: string): Promise<TrailEvent | undefined> {
    const read = keptTable(this.engine);
    let rowid: number | undefined;
    if (read) {
      const table = await read;
      const k = positionOf(table.columns, id);
      if (k === undefined) return undefined;
      rowid = table.columns.rowids[k];
    } else {
      await this.engine.withConnection(async (conn) => {
        for await (const chunk of rowsOf(conn, `SELECT rowid::DOUBLE AS r FROM cloudtrail WHERE ${ID} = ${literal(id)} LIMIT 1`)) rowid ??= Number(chunk[0]?.r);
      });
      if (rowid === undefined || Number.isNaN(rowid)) return undefined;
    }
    return (await this.byRowid([rowid])).get(rowid);
  }

  /**
   * The events of these rowids, each read with every column. A range on rowid beside the list lets the engine
   * skip row groups (the list alone cost ~2.4 CPU-s for 50 events at 1M), and the rows are picked first
   * (MATERIALIZED), then turned into JSON text: otherwise the engine computes the projection before the filter
   * (measured at 1M: 0.04-0.16 against 0.08-0.48 CPU-s for 1 to 50 events).
   */
  private async byRowid(rowids: number[]): Promise<Map<number, TrailEvent>> {
    const out = new Map<number, TrailEvent>();
    if (!rowids.length) return out;
    const sql = `WITH picked AS MATERIALIZED (SELECT rowid::DOUBLE AS trailbook_rowid, * FROM cloudtrail
  WHERE rowid BETWEEN ${Math.min(...rowids)} AND ${Math.max(...rowids)} AND rowid IN (${rowids.join(', ')}))
SELECT trailbook_rowid, ${eventColumns(DUCKDB).join(', ')} FROM picked AS cloudtrail`;
    await this.engine.withConnection(async (conn) => {
      for await (const chunk of rowsOf(conn, sql))
        for (const row of chunk) {
          const e = this.toEvent(row);
          if (e) out.set(Number(row.trailbook_rowid), e);
        }
    });
    return out;
  }

  async status(): Promise<StoreStatus> {
    if (!this.statusMemo) {
      const sql = `SELECT count(*) AS events, min(${TIME}) AS first_ms, max(${TIME}) AS last_ms, ${DUCKDB.distinctList('awsregion')} AS regions FROM cloudtrail`;
      let row: Row = {};
      await this.engine.withConnection(async (conn) => {
        for await (const chunk of rowsOf(conn, sql)) row = chunk[0] ?? row;
      });
      const opened = this.engine.opened;
      this.statusMemo = {
        kind: 'files',
        location: this.dir,
        regions: (row.regions ?? '').split(',').filter(Boolean),
        start: row.first_ms === undefined || row.first_ms === null ? undefined : Number(row.first_ms),
        end: row.last_ms === undefined || row.last_ms === null ? undefined : Number(row.last_ms),
        count: Number(row.events ?? 0),
        version: `${opened.files}:${opened.events}`,
      };
    }
    return { ...this.statusMemo, regions: [...this.statusMemo.regions], skipped: this.skipped };
  }

  /**
   * Every event, in (time, id) order, as views over the table's dictionary-encoded columns (read once per engine
   * and shared with prediction, engine-columns.ts), resources included: what the MCP tools' index is built from,
   * instead of every event as a record through SQL rows, zod and JSON. Their records are fetched by `withRecords`.
   */
  async indexEvents(): Promise<TrailEvent[]> {
    const table = await engineTable(this.engine, DUCKDB);
    await loadResources(this.engine, table);
    return engineEvents(table);
  }

  /**
   * Fetches the record and resources of those of `events` that are column views without them (one query by
   * rowid), so their `raw` and `resources` answer: what a tool returning records does first.
   */
  async withRecords(events: readonly TrailEvent[]): Promise<void> {
    const wanted = new Map<number, EngineEvent>();
    for (const e of events)
      if (e instanceof EngineEvent && !e.table.raws.has(e.k)) wanted.set(e.table.columns.rowids[e.k], e);
    for (const [rowid, e] of await this.byRowid([...wanted.keys()])) {
      const view = wanted.get(rowid)!;
      view.table.raws.set(view.k, e.raw);
      view.table.resources.set(view.k, e.resources);
    }
  }

  /** The engine as the `sql` path's source, shared: closing it leaves the store (and its engine) open. */
  sqlSource(): SqlSource & { readonly skipped: SkippedInput } {
    const engine = this.engine;
    return {
      kind: engine.kind,
      skipped: engine.skipped,
      query: (sql, params, opts) => engine.query(sql, params, opts),
      close: async () => undefined,
    };
  }

  async close(): Promise<void> {
    for (const [k, v] of shared) if (v.store === this) shared.delete(k);
    await this.engine.close();
  }
}

/** Stores opened through the configuration, by directory and cache: the store and `sql` of one process share them. */
const shared = new Map<string, { opening: Promise<EngineStore>; store?: EngineStore }>();

/**
 * The engine store of `dir` that this process already has open, or a new one: what `openStore` and
 * `openSqlSource` use with TRAILBOOK_FILES_ENGINE=duckdb, so a kernel's `cloudtrail`, `predict` and `sql` load the
 * trail once. Closing the store ends the sharing; a failed open is forgotten so the next call retries.
 */
export function sharedEngineStore(dir: string, opts: EngineStoreOptions = {}): Promise<EngineStore> {
  const key = `${resolve(dir)}\0${opts.cacheDir === false ? '' : resolve(opts.cacheDir ?? process.env.TRAILBOOK_CACHE_DIR ?? DEFAULT_CACHE_DIR)}`;
  let entry = shared.get(key);
  if (!entry) {
    const opening = openEngineStore(dir, opts);
    entry = { opening };
    shared.set(key, entry);
    const e = entry;
    opening.then(
      (store) => (e.store = store),
      () => shared.delete(key),
    );
  }
  return entry.opening;
}

export interface EngineStoreOptions {
  /** Cache root of the database (`<root>/sql/`); false builds it in memory. Default $TRAILBOOK_CACHE_DIR or `.cache`. */
  cacheDir?: string | false;
  onProgress?: (p: ProgressReport) => void;
}

/** Opens (building or reopening the cached table) the `files` source of `dir` on the local engine. */
export async function openEngineStore(dir: string, opts: EngineStoreOptions = {}): Promise<EngineStore> {
  const { openCloudTrailSql } = await import('../sql/engine.ts');
  return new EngineStore(await openCloudTrailSql({ dataDir: dir, cacheDir: opts.cacheDir, onProgress: opts.onProgress }), dir);
}
