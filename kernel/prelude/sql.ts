import type { SqlColumn, SqlParam, SqlQueryOptions, SqlRow, SqlSource } from '../../cloudtrail/sql/result.ts';
import { JUPYTER_DISPLAY, tableBundle } from '../child/display.ts';
import { currentExecution } from '../child/execution.ts';
import type { PreludeContext, PreludeModule } from './types.ts';

/**
 * `sql` in cells: a tagged template over the `cloudtrail` table, on the local DuckDB engine (files source) or
 * Athena (athena source). `${}` values become parameters `$1…`, never text in the query. The result is an
 * array of row objects (so it displays as a table and goes straight into Plot) carrying `columns` and
 * `truncated`. The engine opens on the first query, not when the cell mentioning `sql` starts.
 */

export interface SqlRows<T = SqlRow> extends Array<T> {
  columns: SqlColumn[];
  truncated: boolean;
  notice?: string;
}

export interface SqlTag {
  <T = SqlRow>(strings: TemplateStringsArray, ...values: SqlParam[]): Promise<SqlRows<T>>;
  /** Rows returned at most (default 10,000); a cut result says so on stderr and sets `truncated`. */
  maxRows: number;
  /** A query is interrupted after this long (default 60 s). */
  timeoutMs: number;
  /** The same with the query as text and explicit `$1…` parameters. */
  query<T = SqlRow>(text: string, params?: SqlParam[], opts?: SqlQueryOptions): Promise<SqlRows<T>>;
}

let source: Promise<SqlSource> | undefined;

function engine(ctx: PreludeContext): Promise<SqlSource> {
  source ??= (async () => {
    const [{ loadDataConfig }, { openSqlSource }, { nothingSkipped, skippedNotice }] = await Promise.all([
      import('../../cloudtrail/config.ts'),
      import('../../cloudtrail/sql/index.ts'),
      import('../../cloudtrail/skipped.ts'),
    ]);
    const s = await openSqlSource(loadDataConfig(ctx.env));
    const skipped = (s as { skipped?: Parameters<typeof nothingSkipped>[0] }).skipped;
    if (!nothingSkipped(skipped)) process.stderr.write(`sql: ${skippedNotice(skipped!, 'cloudtrail.status()')}\n`);
    return s;
  })().catch((err: unknown) => {
    source = undefined; // the next cell retries after the configuration is fixed
    throw err;
  });
  return source;
}

/** `a ${x} b ${y}` → `a $1 b $2`. */
export function templateText(strings: readonly string[]): string {
  return strings.reduce((acc, s, i) => acc + s + (i < strings.length - 1 ? `$${i + 1}` : ''), '');
}

function checkParams(values: unknown[]): SqlParam[] {
  values.forEach((v, i) => {
    const ok = v === null || v instanceof Date || ['string', 'number', 'bigint', 'boolean'].includes(typeof v);
    if (!ok) throw new TypeError(`sql: \${} value ${i + 1} is ${Array.isArray(v) ? 'an array' : typeof v}; only strings, numbers, booleans, dates and null can be bound as parameters`);
  });
  return values as SqlParam[];
}

export function createSqlTag(ctx: PreludeContext): SqlTag {
  const run = async <T>(text: string, params: SqlParam[], opts: SqlQueryOptions = {}): Promise<SqlRows<T>> => {
    // An interrupt of the cell interrupts the query in the engine too, not just the cell's wait for it.
    const stop = currentExecution()?.signal;
    const signal = opts.signal && stop ? AbortSignal.any([opts.signal, stop]) : (opts.signal ?? stop);
    const r = await (await engine(ctx)).query(text, params, { maxRows: tag.maxRows, timeoutMs: tag.timeoutMs, ...opts, signal });
    if (r.truncated) process.stderr.write(`sql: ${r.notice}\n`);
    const rows = Object.assign(r.rows as T[], { columns: r.columns, truncated: r.truncated, ...(r.notice ? { notice: r.notice } : {}) });
    // No rows is still an answer: show the query's columns over an empty table rather than `[]`.
    if (!rows.length) Object.defineProperty(rows, JUPYTER_DISPLAY, { value: () => tableBundle([], r.columns.map((c) => c.name)) });
    return rows;
  };
  const tag = (<T>(strings: TemplateStringsArray, ...values: SqlParam[]) => run<T>(templateText(strings), checkParams(values))) as SqlTag;
  tag.maxRows = 10_000;
  tag.timeoutMs = 60_000;
  tag.query = (text, params = [], opts) => run(text, checkParams(params), opts);
  return tag;
}

let kernelTag: SqlTag | undefined;

/** The tag `%%sql` cells run through: the kernel's own `sql`, whatever a cell has since assigned to that name. */
export function sqlCellTag(): SqlTag {
  if (!kernelTag) throw new Error('%%sql cells run in the Trailbook kernel, whose prelude defines sql');
  return kernelTag;
}

export const sqlPrelude: PreludeModule = {
  name: 'sql',
  globals: {
    sql: { value: (ctx) => (kernelTag = createSqlTag(ctx)) },
  },
  types: `
interface SqlColumn { name: string; /** The engine's type: DuckDB's (VARCHAR, BIGINT, STRUCT(...)) or Athena's (varchar, bigint). */ type: string; }
/** Rows of a query: an array of objects (a table when displayed, data for Plot) with the columns and whether the row limit cut it. */
interface SqlRows<T = Record<string, any>> extends Array<T> { columns: SqlColumn[]; truncated: boolean; notice?: string; }
type SqlParam = string | number | bigint | boolean | null | Date;
interface SqlTag {
  /**
   * One SELECT over the \`cloudtrail\` table (Athena's CloudTrail columns: eventtime as ISO text, eventname, eventsource,
   * useridentity.arn, errorcode, requestparameters JSON text, resources...). \${} values are bound as parameters, never spliced.
   * @example await sql\`SELECT eventname, count(*) AS n FROM cloudtrail WHERE eventtime > \${'2026-10-01T00:00:00Z'} GROUP BY 1 ORDER BY n DESC LIMIT 10\`
   */
  <T = Record<string, any>>(strings: TemplateStringsArray, ...values: SqlParam[]): Promise<SqlRows<T>>;
  /** Rows returned at most (default 10000). */
  maxRows: number;
  /** Milliseconds before a query is interrupted (default 60000). */
  timeoutMs: number;
  /** The query as text with explicit $1… parameters. */
  query<T = Record<string, any>>(text: string, params?: SqlParam[], opts?: { maxRows?: number; timeoutMs?: number }): Promise<SqlRows<T>>;
}
/**
 * SQL over CloudTrail: the local DuckDB table (files source) or Athena (TRAILBOOK_SOURCE=athena), the same SQL on both.
 * A cell whose first line is %%sql [name] runs its SQL through this tag and binds the rows to name (default _sql).
 */
declare const sql: SqlTag;
`,
};
