import { AthenaQueryError, type AthenaStore } from '../stores/athena.ts';
import { tableName, type TableRef } from '../stores/athena-sql.ts';
import { hasSeveralStatements, requireSelect } from './guard.ts';
import { DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS, SqlError, truncationNotice, type SqlParam, type SqlQueryOptions, type SqlResult, type SqlRow, type SqlSource } from './result.ts';

/**
 * The same SQL on Athena: the query is sent as written, except that the table `cloudtrail` (after FROM or JOIN)
 * becomes the configured `"database"."table"`, and `$1…` parameters become `?` placeholders with the values as
 * Athena ExecutionParameters (literals Athena substitutes itself; never spliced here). Athena returns every
 * value as text; the column types it reports turn numbers and booleans back into numbers and booleans, so rows
 * compare equal to the local engine's.
 */
export class AthenaSql implements SqlSource {
  readonly kind = 'athena' as const;

  constructor(
    private readonly store: AthenaStore,
    private readonly table: TableRef = store.table,
    /** Whether close() closes the store too (not when the store is shared, e.g. with the MCP tools). */
    private readonly ownsStore = true,
  ) {}

  async query(sql: string, params: readonly SqlParam[] = [], opts: SqlQueryOptions = {}): Promise<SqlResult> {
    requireSelect(sql);
    if (hasSeveralStatements(sql)) throw new SqlError('only a single SELECT (or WITH … SELECT) statement is allowed', 'refused');
    const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
    const { text, order } = placeholders(mapTable(sql, tableName(this.table)));
    if (order.some((n) => n > params.length) || (params.length && !order.length)) throw new SqlError(`the query's parameters ($1…) and the ${params.length} value(s) given do not match`, 'invalid');
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      const id = await this.store.run(text, { signal }, order.map((n) => athenaLiteral(params[n - 1])));
      let columns: { name: string; type: string }[] = [];
      const rows: SqlRow[] = [];
      let truncated = false;
      for await (const r of this.store.rows(id, { signal, onColumns: (c) => (columns = c) })) {
        if (rows.length === maxRows) {
          truncated = true;
          break;
        }
        const row: SqlRow = {};
        for (const c of columns) row[c.name] = fromText(r[c.name], c.type);
        rows.push(row);
      }
      return { columns, rows, truncated, ...(truncated ? { notice: truncationNotice(maxRows) } : {}) };
    } catch (err) {
      if (timeout.aborted) throw new SqlError(`the query took longer than ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms and was stopped (timeoutMs option)`, 'timeout', undefined, undefined, { cause: err });
      if (opts.signal?.aborted) throw new SqlError('the query was cancelled', 'cancelled', undefined, undefined, { cause: err });
      if (err instanceof AthenaQueryError && err.state === 'FAILED') {
        // Trino's messages carry the position as "line L:C: ..." (the test endpoint's engine as "line L, column C").
        const m = /line (\d+)(?::|, column )(\d+)/.exec(err.message);
        throw new SqlError(err.message, 'invalid', m ? Number(m[1]) : undefined, m ? Number(m[2]) : undefined, { cause: err });
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.ownsStore) await this.store.close();
  }
}

/** Walks `sql` outside string literals, quoted names and comments, handing each plain stretch to `fn`. */
export function mapOutsideLiterals(sql: string, fn: (plain: string) => string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const m = /'|"|--|\/\*/.exec(sql.slice(i));
    const start = m ? i + m.index : sql.length;
    out += fn(sql.slice(i, start));
    if (!m) break;
    const close = m[0] === '--' ? '\n' : m[0] === '/*' ? '*/' : m[0];
    let end = sql.indexOf(close, start + m[0].length);
    // A doubled quote continues the literal.
    while ((m[0] === "'" || m[0] === '"') && end >= 0 && sql[end + 1] === m[0]) end = sql.indexOf(close, end + 2);
    end = end < 0 ? sql.length : end + close.length;
    out += sql.slice(start, end);
    i = end;
  }
  return out;
}

/** `FROM cloudtrail` / `JOIN cloudtrail` (bare name, any case) → the Athena table. */
export function mapTable(sql: string, target: string): string {
  return mapOutsideLiterals(sql, (plain) => plain.replace(/\b(FROM|JOIN)(\s+)cloudtrail\b(?!\s*\.)/gi, (_, kw: string, sp: string) => `${kw}${sp}${target}`));
}

/** `$n` → `?`, with the order in which parameter numbers appear (Athena binds positionally). */
export function placeholders(sql: string): { text: string; order: number[] } {
  const order: number[] = [];
  const text = mapOutsideLiterals(sql, (plain) =>
    plain.replace(/\$(\d+)/g, (_, n: string) => {
      order.push(Number(n));
      return '?';
    }),
  );
  return { text, order };
}

/** A parameter as the SQL literal text ExecutionParameters expect. */
export function athenaLiteral(v: SqlParam | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return `'${v.toISOString()}'`;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `'${v.replace(/'/g, "''")}'`;
}

/** Athena's text back to a value of its column type. */
export function fromText(v: string | undefined, type: string): unknown {
  if (v === undefined) return null;
  const t = type.toLowerCase();
  if (/^(tinyint|smallint|integer|int|bigint)$/.test(t)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  if (/^(double|real|float|decimal)/.test(t)) return Number(v);
  if (t === 'boolean') return v === 'true';
  return v;
}
