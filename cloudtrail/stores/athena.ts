import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClientConfig,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { normalise, type TrailEvent } from '../event.ts';
import {
  EventQuery,
  matches,
  type EventFilter,
  type EventNameCount,
  type EventNamesQuery,
  type EventPage,
  type EventStore,
  type QueryOptions,
  type StoreStatus,
} from '../query.ts';
import { checkCursorOrder, cursorCodec, OrderedCursor } from '../cursor.ts';
import { CloudTrailRecord } from '../record.ts';
import type { SkippedInput } from '../skipped.ts';
import { eventNamesSql, eventsSql, rowToRecord, statusSql, tableName, type TableRef } from './athena-sql.ts';
import { sleep } from './token-bucket.ts';

/**
 * The `athena` source: SQL over the CloudTrail table in Athena, for trails too large for one machine.
 * Each call runs one query (StartQueryExecution), polls GetQueryExecution with backoff until it finishes, and
 * pages GetQueryResults. Filters are pushed down as SQL (partition pruning on `region` and `timestamp`), and
 * rows are mapped back to records and checked with `matches`, so results mean what they mean for every source.
 */

export interface AthenaStoreOptions extends TableRef {
  /** The AWS region Athena runs in. */
  region: string;
  workgroup?: string;
  /** s3://bucket/prefix/ for results; optional when the workgroup sets one. */
  outputLocation?: string;
  /** Restricts the `region` partition; empty means every region in the table. */
  regions?: string[];
  endpoint?: string;
  credentials?: AthenaClientConfig['credentials'];
  /** First wait between GetQueryExecution polls; grows 1.5x per poll up to `maxPollMs`. */
  pollMs?: number;
  maxPollMs?: number;
  /** A query running longer than this is stopped and reported. */
  timeoutMs?: number;
  /** Rows per GetQueryResults page (Athena allows up to 1000). */
  pageSize?: number;
  sdkMaxAttempts?: number;
  /** How long a status() answer is reused (it scans the table). */
  statusTtlMs?: number;
}

export class AthenaQueryError extends Error {
  constructor(
    message: string,
    readonly queryExecutionId: string | undefined,
    readonly state: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AthenaQueryError';
  }
}

const athenaCursor = cursorCodec(OrderedCursor, 'athena');

type Row = Record<string, string | undefined>;

export class AthenaStore implements EventStore {
  readonly kind = 'athena' as const;
  private readonly client: AthenaClient;
  /** The configured table (the `sql` path maps `cloudtrail` to it). */
  readonly table: TableRef;
  private statusMemo?: { at: number; status: StoreStatus };
  /** SQL of every query started, most recent last (for notebooks that want to show or reuse it). */
  readonly history: { id: string; sql: string }[] = [];
  /** Rows read since the store opened, and those that were not CloudTrail records (e.g. the all-null rows a SerDe makes of a malformed line). */
  private readonly rowCounts = { usable: 0, unusable: 0, first: undefined as string | undefined };

  constructor(private readonly o: AthenaStoreOptions) {
    this.table = { catalog: o.catalog, database: o.database, table: o.table };
    tableName(this.table); // Validates names up front: a bad name fails at open, not at the first query.
    this.client = new AthenaClient({ region: o.region, endpoint: o.endpoint, credentials: o.credentials, maxAttempts: o.sdkMaxAttempts ?? 3 });
  }

  /** Starts a query and waits until it succeeded; failures carry Athena's StateChangeReason. */
  async run(sql: string, opts: QueryOptions = {}, executionParameters?: string[]): Promise<string> {
    const started = await this.call('StartQueryExecution', () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          // Athena substitutes these SQL literals for the query's `?` placeholders (the `sql` path binds values this way).
          ExecutionParameters: executionParameters?.length ? executionParameters : undefined,
          QueryExecutionContext: { Database: this.o.database, Catalog: this.o.catalog },
          WorkGroup: this.o.workgroup,
          ResultConfiguration: this.o.outputLocation ? { OutputLocation: this.o.outputLocation } : undefined,
        }),
        { abortSignal: opts.signal },
      ),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryError('Athena StartQueryExecution returned no QueryExecutionId.', undefined, undefined);
    this.history.push({ id, sql });
    // Best effort: a query left running keeps scanning (and billing) after we give up on it.
    const stop = () => this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
    const timeoutMs = this.o.timeoutMs ?? 10 * 60_000;
    const deadline = Date.now() + timeoutMs;
    let delay = this.o.pollMs ?? 200;
    for (let polls = 1; ; polls++) {
      const { QueryExecution: qe } = await this.call('GetQueryExecution', () => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), { abortSignal: opts.signal }));
      const state = qe?.Status?.State;
      opts.onProgress?.({ phase: 'athena', done: polls, detail: `query ${id} ${state ?? 'UNKNOWN'}${scanned(qe)}` });
      if (state === 'SUCCEEDED') return id;
      if (state === 'FAILED' || state === 'CANCELLED') throw failure(id, qe);
      if (opts.signal?.aborted || Date.now() > deadline) {
        await stop();
        if (opts.signal?.aborted) throw opts.signal.reason;
        throw new AthenaQueryError(`Athena query ${id} did not finish within ${seconds(timeoutMs)} and was stopped.`, id, state);
      }
      await sleep(delay, opts.signal).catch(async (err) => {
        await stop();
        throw err;
      });
      delay = Math.min(delay * 1.5, this.o.maxPollMs ?? 2000);
    }
  }

  /** Pages GetQueryResults, yielding rows keyed by column name (NULL as undefined), header row skipped. */
  async *rows(id: string, opts: QueryOptions & { onColumns?: (columns: { name: string; type: string }[]) => void } = {}): AsyncIterable<Row> {
    let NextToken: string | undefined;
    let first = true;
    let pages = 0;
    do {
      const res = await this.call('GetQueryResults', () =>
        this.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken, MaxResults: this.o.pageSize ?? 1000 }), { abortSignal: opts.signal }),
      );
      const info = res.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const names = info.map((c) => c.Name ?? '');
      if (first) opts.onColumns?.(info.map((c) => ({ name: c.Name ?? '', type: c.Type ?? 'varchar' })));
      let data = res.ResultSet?.Rows ?? [];
      // For SELECT queries the first row of the first page repeats the column names.
      if (first && data[0]?.Data?.every((d, i) => d.VarCharValue === names[i])) data = data.slice(1);
      first = false;
      pages++;
      opts.onProgress?.({ phase: 'athena-results', done: pages, detail: `result page ${pages} of query ${id}` });
      for (const r of data) {
        const row: Row = {};
        names.forEach((n, i) => (row[n] = r.Data?.[i]?.VarCharValue));
        yield row;
      }
      NextToken = res.NextToken;
    } while (NextToken);
  }

  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AthenaQueryError || (err as Error)?.name === 'AbortError') throw err;
      const code = (err as Error)?.name ?? 'Error';
      const hint = /AccessDenied/.test(code) ? ' The caller needs athena:StartQueryExecution/GetQueryExecution/GetQueryResults, glue:GetTable and S3 access to the trail bucket and the output location.' : '';
      throw new AthenaQueryError(`Athena ${op} failed (${code}): ${(err as Error)?.message}.${hint}`, undefined, undefined, { cause: err });
    }
  }

  private toEvent(row: Row): TrailEvent | undefined {
    const parsed = CloudTrailRecord.safeParse(rowToRecord(row));
    if (parsed.success) {
      this.rowCounts.usable++;
      return normalise(parsed.data);
    }
    this.rowCounts.unusable++;
    this.rowCounts.first ??= parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return undefined;
  }

  /** Unusable rows seen by the queries so far (a table is not read whole at open, so this grows as queries run). */
  get skipped(): SkippedInput {
    const { usable, unusable, first } = this.rowCounts;
    const examples = first ? [{ file: tableName(this.table), reason: `${unusable} row(s) not CloudTrail records, first: ${first}`, records: unusable }] : [];
    return { files: 0, records: unusable, loadedRecords: usable, candidateFiles: 0, examples, ignored: 0, ignoredExamples: [] };
  }

  async query(input: EventQuery, opts: QueryOptions = {}): Promise<EventPage> {
    const q = EventQuery.parse(input);
    const cur = q.cursor ? athenaCursor.decode(q.cursor) : undefined;
    checkCursorOrder(cur, q.order);
    // One row more than asked tells whether another page exists.
    const sql = eventsSql(this.table, q, { regions: this.o.regions, order: q.order, after: cur, limit: q.limit + 1 });
    const id = await this.run(sql, opts);
    const events: TrailEvent[] = [];
    let more = false;
    let last: { t: number; id: string } | undefined;
    let rows = 0;
    for await (const row of this.rows(id, opts)) {
      // LIMIT is limit+1: a row beyond `limit` only says another page exists.
      if (++rows > q.limit) {
        more = true;
        break;
      }
      const e = this.toEvent(row);
      if (!e) continue;
      last = { t: e.time, id: e.id };
      // SQL's principal filter is a superset of `matches`; rows it lets through still advance the cursor.
      if (matches(e, q)) events.push(e);
    }
    return { events, nextCursor: more && last ? athenaCursor.encode({ o: q.order, ...last }) : undefined };
  }

  async *scan(filter: EventFilter = {}, opts: QueryOptions = {}): AsyncIterable<TrailEvent> {
    const id = await this.run(eventsSql(this.table, filter, { regions: this.o.regions, order: 'asc' }), opts);
    for await (const row of this.rows(id, opts)) {
      const e = this.toEvent(row);
      if (e && matches(e, filter)) yield e;
    }
  }

  async eventNames(q: EventNamesQuery = {}, opts: QueryOptions = {}): Promise<EventNameCount[]> {
    const id = await this.run(eventNamesSql(this.table, q, { regions: this.o.regions }), opts);
    const out: EventNameCount[] = [];
    for await (const r of this.rows(id, opts)) out.push({ source: r.eventsource ?? '', name: r.eventname ?? '', count: Number(r.events ?? 0) });
    return out;
  }

  async status(): Promise<StoreStatus> {
    const ttl = this.o.statusTtlMs ?? 10 * 60_000;
    if (this.statusMemo && Date.now() - this.statusMemo.at < ttl) return { ...this.statusMemo.status, skipped: this.skipped };
    const id = await this.run(statusSql(this.table, { regions: this.o.regions }));
    let row: Row = {};
    for await (const r of this.rows(id)) row = r;
    const time = (s: string | undefined) => (s ? Date.parse(s) : undefined);
    const status: StoreStatus = {
      kind: 'athena',
      location: `athena://${this.o.catalog ?? 'AwsDataCatalog'}/${this.o.database}/${this.o.table} (workgroup ${this.o.workgroup ?? 'primary'}, ${this.o.region})`,
      regions: this.o.regions?.length ? this.o.regions : (row.regions ?? '').split(',').filter(Boolean),
      start: time(row.first_event),
      end: time(row.last_event),
      count: Number(row.events ?? 0),
      version: 'athena-cloudtrail-1',
    };
    this.statusMemo = { at: Date.now(), status };
    return { ...status, skipped: this.skipped };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

function scanned(qe: QueryExecution | undefined): string {
  const bytes = qe?.Statistics?.DataScannedInBytes;
  return bytes === undefined ? '' : `, ${(bytes / 1e6).toFixed(1)} MB scanned`;
}

function failure(id: string, qe: QueryExecution | undefined): AthenaQueryError {
  const st = qe?.Status;
  const reason = st?.StateChangeReason ?? st?.AthenaError?.ErrorMessage ?? 'no reason given';
  const kind = st?.AthenaError?.ErrorType !== undefined ? ` [error type ${st.AthenaError.ErrorType}, category ${st.AthenaError.ErrorCategory}]` : '';
  return new AthenaQueryError(`Athena query ${id} ${st?.State === 'CANCELLED' ? 'was cancelled' : 'failed'}: ${reason}${kind}`, id, st?.State);
}
