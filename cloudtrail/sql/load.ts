import type { DuckDBConnection } from '@duckdb/node-api';
import { SKIPPED_EXAMPLES, type SkippedExample } from '../skipped.ts';
import { CLOUDTRAIL_COLUMNS, createTableSql, projection, type Field } from './schema.ts';

/**
 * Loads delivery files into the `cloudtrail` table with DuckDB's own JSON reader (gunzip and parse in C++), a
 * batch of files per statement, in two passes over each batch:
 *
 * 1. a cheap census: per file, whether it has a Records array, how many records, and how many lack eventTime,
 *    eventSource or eventName (read as a three-field struct, so nothing else is built);
 * 2. the load: each file's Records as JSON values, unnested, each record turned into the Athena struct by
 *    `json_transform` and inserted.
 *
 * Profiled at 1,000 delivery files (bench/load.ts, issue #14): staging whole record lists in a temp table cost
 * more CPU than reading the files twice, and `read_json` building the nested struct itself cost ~3× this
 * json_transform over JSON values. Insertion order is not kept (queries say ORDER BY), which lets DuckDB append in
 * parallel. A batch whose census fails (corrupt gzip, invalid JSON) is retried file by file so one bad file costs
 * only itself, and is counted with the engine's reason.
 */

/** Files per statement: measured at 4,262 files, one statement over all of them cost half the CPU of batches of 500 (DuckDB parallelises across files); bounded so a huge directory reports progress. */
const FILES_PER_BATCH = 10_000;

export interface LoadStats {
  events: number;
  /** Records missing eventTime, eventSource or eventName (not loaded). */
  unusableRecords: number;
  skippedFiles: number;
  examples: SkippedExample[];
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const list = (files: string[]) => `[${files.map(quote).join(', ')}]`;

/** `.jsonl` / `.ndjson` hold one record per line; every other candidate is a `{"Records":[...]}` delivery. */
const isLines = (f: string) => /\.(jsonl|ndjson)(\.gz)?$/i.test(f);

/** json_transform's structure for the record as it is in the files (JSON key names; the reader is case-sensitive). */
const structure = (fields: Field[]): Record<string, unknown> =>
  Object.fromEntries(fields.map((f) => [f.key, f.type === 'string' ? 'VARCHAR' : f.type === 'map' ? 'MAP(VARCHAR, VARCHAR)' : Array.isArray(f.type) ? structure(f.type) : [structure(f.type.array)]]));
const RECORD = quote(JSON.stringify(structure(CLOUDTRAIL_COLUMNS)));

const REQUIRED = `STRUCT("eventTime" VARCHAR, "eventSource" VARCHAR, "eventName" VARCHAR)`;
const usable = (r: string) => `${r}."eventTime" IS NOT NULL AND ${r}."eventSource" IS NOT NULL AND ${r}."eventName" IS NOT NULL`;

// Athena's partitions, from the S3 layout .../CloudTrail/<region>/YYYY/MM/DD/...; else from the record itself.
const PARTITIONS = `coalesce(nullif(regexp_extract(filename, '/CloudTrail/([a-z]{2}(-[a-z]+)+-[0-9]+)/[0-9]{4}/', 1), ''), r."awsRegion") AS region,
  coalesce(nullif(regexp_extract(filename, '/CloudTrail/[^/]+/([0-9]{4}/[0-9]{2}/[0-9]{2})/', 1), ''), replace(substr(r."eventTime", 1, 10), '-', '/')) AS "timestamp"`;

/** Per file: Records lists found (0: none), records, unusable records. */
function censusSql(files: string[], lines: boolean): string {
  if (lines)
    return `SELECT filename, count(*) AS lists, count(*) AS records, count(*) FILTER (WHERE NOT (${usable('r')})) AS unusable
FROM (SELECT filename, json_transform(json, ${quote(JSON.stringify({ eventTime: 'VARCHAR', eventSource: 'VARCHAR', eventName: 'VARCHAR' }))}) AS r FROM read_json_objects(${list(files)}, format = 'newline_delimited', filename = true)) GROUP BY filename`;
  return `SELECT filename, count("Records") AS lists, sum(len("Records")) AS records, sum(len(list_filter("Records", r -> NOT (${usable('r')})))) AS unusable
FROM read_json(${list(files)}, format = 'unstructured', filename = true, columns = {"Records": ${quote(`${REQUIRED}[]`)}}) GROUP BY filename`;
}

function insertSql(files: string[], lines: boolean): string {
  const records = lines
    ? `SELECT filename, json AS j FROM read_json_objects(${list(files)}, format = 'newline_delimited', filename = true)`
    : `SELECT filename, unnest("Records") AS j FROM read_json(${list(files)}, format = 'unstructured', filename = true, columns = {"Records": 'JSON[]'})`;
  return `INSERT INTO cloudtrail SELECT ${projection('r')}, ${PARTITIONS}
FROM (SELECT filename, json_transform(j, ${RECORD}) AS r FROM (${records})) WHERE ${usable('r')}`;
}

export async function createCloudTrailTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(createTableSql());
}

type Census = Map<string, { lists: number; records: number; unusable: number }>;

async function census(conn: DuckDBConnection, files: string[], lines: boolean): Promise<Census> {
  const rows = (await conn.runAndReadAll(censusSql(files, lines))).getRows();
  return new Map(rows.map(([f, lists, records, unusable]) => [String(f), { lists: Number(lists), records: Number(records ?? 0), unusable: Number(unusable ?? 0) }]));
}

export async function loadFiles(conn: DuckDBConnection, files: string[], onProgress?: (done: number, events: number) => void): Promise<LoadStats> {
  const stats: LoadStats = { events: 0, unusableRecords: 0, skippedFiles: 0, examples: [] };
  const example = (e: SkippedExample) => stats.examples.length < SKIPPED_EXAMPLES && stats.examples.push(e);
  await conn.run('SET preserve_insertion_order = false');
  let done = 0;
  for (const lines of [false, true]) {
    const kind = files.filter((f) => isLines(f) === lines);
    for (let i = 0; i < kind.length; i += FILES_PER_BATCH) {
      const batch = kind.slice(i, i + FILES_PER_BATCH);
      let found: Census;
      const unreadable = new Set<string>();
      try {
        found = await census(conn, batch, lines);
      } catch (err) {
        // Out of memory is the engine's problem, not the files': the caller builds again with more.
        if (outOfMemory(err)) throw err;
        found = new Map();
        for (const f of batch) {
          try {
            for (const [k, v] of await census(conn, [f], lines)) found.set(k, v);
          } catch (err) {
            if (outOfMemory(err)) throw err;
            unreadable.add(f);
            stats.skippedFiles++;
            example({ file: f, reason: firstLine((err as Error).message) });
          }
        }
      }
      const load: string[] = [];
      for (const f of batch) {
        if (unreadable.has(f)) continue;
        const got = found.get(f);
        if (!got || got.lists === 0) {
          stats.skippedFiles++;
          example({ file: f, reason: got ? 'not CloudTrail (no Records array)' : 'no JSON in the file' });
          continue;
        }
        if (got.unusable) {
          stats.unusableRecords += got.unusable;
          example({ file: f, reason: 'records without eventTime, eventSource or eventName', records: got.unusable });
        }
        load.push(f);
      }
      if (load.length) stats.events += (await conn.run(insertSql(load, lines))).rowsChanged;
      done += batch.length;
      onProgress?.(done, stats.events);
    }
  }
  return stats;
}

export const outOfMemory = (err: unknown): boolean => /out of memory/i.test((err as Error)?.message ?? '');

const firstLine = (s: string) => s.split('\n')[0].slice(0, 300);
