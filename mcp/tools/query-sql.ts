import { z } from 'zod';
import type { SqlSource } from '../../cloudtrail/sql/result.ts';
import { guarded, storeOptions, structuredResult, type ToolContext, type ToolExtra, type ToolRegistrar } from '../context.ts';
import { toolInput } from './input.ts';

export const QUERY_SQL = 'query_cloudtrail_sql';
export const SCHEMA_URI = 'cloudtrail://schema';

/** Rows one call returns at most; the argument `maxRows` may raise it this far. */
const MAX_ROWS_CAP = 10_000;
const DEFAULT_ROWS = 1_000;
/** Seconds a query may run before the engine interrupts it (DuckDB) or Athena stops it. */
const DEFAULT_TIMEOUT_S = 60;
const MAX_TIMEOUT_S = 600;

const input = toolInput({
  sql: z.string().min(1).max(100_000).describe('One SELECT (or WITH … SELECT) over the table `cloudtrail`; see the cloudtrail://schema resource for its columns'),
  maxRows: z.number().int().min(1).max(MAX_ROWS_CAP).optional().describe(`Rows returned at most (default ${DEFAULT_ROWS}, up to ${MAX_ROWS_CAP}); prefer aggregation or LIMIT`),
  timeoutSeconds: z.number().min(1).max(MAX_TIMEOUT_S).optional().describe(`The query is interrupted after this long (default ${DEFAULT_TIMEOUT_S}, up to ${MAX_TIMEOUT_S})`),
});

const output = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })).describe("Result columns with the engine's type names"),
  rows: z.array(z.record(z.string(), z.unknown())).describe('One object per row, keyed by column name'),
  row_count: z.number().int(),
  truncated: z.boolean().describe('More rows existed than maxRows'),
  notice: z.string().optional().describe('How to get the rest when truncated'),
  engine: z.string().describe('duckdb (local table) or athena'),
});

/** One engine per store, kept across requests (stateless HTTP builds a server per request); the call that opens it hears how the table load goes. */
function sqlOf(ctx: ToolContext, extra: ToolExtra): Promise<SqlSource> {
  const { onProgress } = storeOptions(extra, ctx.log);
  return ctx.memo('sql-source', async () => (await import('../../cloudtrail/sql/index.ts')).sqlSourceFor(ctx.store, { onProgress }));
}

export const registerQuerySql: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    QUERY_SQL,
    {
      title: 'SQL over CloudTrail',
      description:
        'Run one read-only SQL SELECT over the `cloudtrail` table (the columns of the Athena CloudTrail table: eventtime as ISO text, ' +
        'eventsource, eventname, useridentity struct with arn/type/username/accesskeyid/sessioncontext, errorcode, requestparameters JSON text, resources array, ...). ' +
        "Example: SELECT eventname, count(*) AS n FROM cloudtrail WHERE eventtime > '2026-10-01T00:00:00Z' GROUP BY 1 ORDER BY n DESC LIMIT 10. " +
        'Other statements, several statements, and reading files or URLs are refused. Read cloudtrail://schema for every column.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra: ToolExtra) =>
      guarded(QUERY_SQL, async () => {
        const sql = await sqlOf(ctx, extra);
        const timeoutS = args.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
        // The client's cancellation (notifications/cancelled) aborts extra.signal, which interrupts the engine.
        const r = await sql.query(args.sql, [], { maxRows: args.maxRows ?? DEFAULT_ROWS, timeoutMs: timeoutS * 1000, signal: extra.signal }).catch((err: unknown) => {
          if (err instanceof Error && (err as { kind?: string }).kind === 'timeout') throw new Error(`the query ran longer than ${timeoutS} s and was stopped: narrow it (a WHERE on eventtime or "timestamp", LIMIT) or pass timeoutSeconds (up to ${MAX_TIMEOUT_S})`, { cause: err });
          throw err;
        });
        const notice = r.truncated ? `only the first ${r.rows.length} rows are returned: aggregate or add LIMIT, or pass maxRows (up to ${MAX_ROWS_CAP})` : undefined;
        return structuredResult({ columns: r.columns, rows: r.rows.map(jsonSafe), row_count: r.rows.length, truncated: r.truncated, ...(notice ? { notice } : {}), engine: sql.kind });
      }),
  );

  server.registerResource(
    'cloudtrail-schema',
    SCHEMA_URI,
    { title: 'The cloudtrail SQL table', description: `Columns and types of the table ${QUERY_SQL} queries (Athena's CloudTrail table)`, mimeType: 'application/json' },
    async (uri) => {
      const { tableSchema } = await import('../../cloudtrail/sql/schema.ts');
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ ...tableSchema(), source: ctx.store.kind }, null, 2) }] };
    },
  );
};


/** Dates as ISO text, so structured content is plain JSON. */
function jsonSafe(row: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}
