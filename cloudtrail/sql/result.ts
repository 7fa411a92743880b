/**
 * The shape of a SQL answer and its errors, shared by the local engine, the Athena source, the kernel's `sql`
 * template and the MCP tool.
 */

export interface SqlColumn {
  name: string;
  /** The engine's type name: DuckDB's (`VARCHAR`, `BIGINT`, `STRUCT(...)`) or Athena's (`varchar`, `bigint`). */
  type: string;
}

export type SqlRow = Record<string, unknown>;

export interface SqlResult<Row = SqlRow> {
  columns: SqlColumn[];
  rows: Row[];
  /** More rows existed than `maxRows`; `notice` says how to get them. */
  truncated: boolean;
  notice?: string;
}

/** Values a `$1…` parameter can take; a Date is bound as ISO 8601 text, the way `eventtime` is stored. */
export type SqlParam = string | number | bigint | boolean | null | Date;

export interface SqlQueryOptions {
  /** Rows returned at most (default {@link DEFAULT_MAX_ROWS}); further rows set `truncated`. */
  maxRows?: number;
  /** The query is interrupted after this long (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_ROWS = 10_000;
export const DEFAULT_TIMEOUT_MS = 60_000;

/** A SQL engine over the `cloudtrail` table. */
export interface SqlSource {
  readonly kind: 'duckdb' | 'athena';
  query(sql: string, params?: readonly SqlParam[], opts?: SqlQueryOptions): Promise<SqlResult>;
  close(): Promise<void>;
}

export type SqlErrorKind = 'refused' | 'invalid' | 'timeout' | 'cancelled' | 'engine';

export class SqlError extends Error {
  constructor(
    message: string,
    readonly kind: SqlErrorKind,
    /** 1-based position of the error in the SQL, when the engine gives one. */
    readonly line?: number,
    readonly column?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SqlError';
  }
}

export function truncationNotice(maxRows: number): string {
  return `only the first ${maxRows} rows are returned: add LIMIT/aggregation to the query, or raise the limit (maxRows option; sql.maxRows = N in a notebook)`;
}

/**
 * Line and column from a DuckDB message, which marks the position with a caret under an excerpt:
 * `LINE 2:  FROM x\n               ^`. The excerpt may start with "..." when the line is long.
 */
export function duckdbPosition(message: string, sql: string): { line: number; column: number } | undefined {
  const m = /LINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!m) return undefined;
  const line = Number(m[1]);
  const prefix = `LINE ${m[1]}: `.length;
  const offsetInExcerpt = m[3].length - prefix;
  let excerpt = m[2];
  let column = offsetInExcerpt + 1;
  // A long line is shown as "...<window>"; find the window in the source line to recover the real column.
  if (excerpt.startsWith('...')) {
    excerpt = excerpt.slice(3).replace(/\.\.\.$/, '');
    const source = sql.split('\n')[line - 1] ?? '';
    const at = source.indexOf(excerpt);
    column = at >= 0 ? at + offsetInExcerpt - 3 + 1 : column;
  }
  return { line, column };
}

/** JS values friendly to tables and Plot: integers as numbers when exact (else strings), nested values kept. */
export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  return v;
}
