import type { DuckDBConnection } from '@duckdb/node-api';
import { SKIPPED_EXAMPLES, type SkippedExample } from '../skipped.ts';
import { CLOUDTRAIL_COLUMNS, createTableSql, projection, readType, recordReadType } from './schema.ts';

/**
 * Loads delivery files into the `cloudtrail` table with DuckDB's own JSON reader (gunzip and parse in C++), a
 * batch of files per `read_json` call. Each batch is staged (file name + its Records list) so files without
 * records can be counted, then unnested into the table. Insertion order is not kept (queries say ORDER BY),
 * which lets DuckDB append in parallel. A batch that fails (corrupt gzip, invalid JSON) is retried file by
 * file so one bad file costs only itself, and is counted with the engine's reason.
 */

/** Files per read_json call: DuckDB's per-call cost grows faster than linearly with very long file lists. */
const FILES_PER_BATCH = 1000;

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

function stageSql(files: string[], lines: boolean, create: boolean): string {
  const head = create ? 'CREATE OR REPLACE TEMP TABLE stage AS' : 'INSERT INTO stage';
  if (!lines) return `${head} SELECT filename, "Records" FROM read_json(${list(files)}, format = 'unstructured', filename = true, columns = {"Records": ${quote(`${recordReadType()}[]`)}})`;
  // One row per line: rebuild the record struct so both kinds stage the same shape.
  const columns = CLOUDTRAIL_COLUMNS.map((f) => `${quote(f.key)}: ${quote(readType(f))}`).join(', ');
  const record = `{${CLOUDTRAIL_COLUMNS.map((f) => `${quote(f.key)}: "${f.key}"`).join(', ')}}`;
  return `${head} SELECT filename, [${record}] AS "Records" FROM read_json(${list(files)}, format = 'newline_delimited', filename = true, columns = {${columns}})`;
}

const USABLE = `r."eventTime" IS NOT NULL AND r."eventSource" IS NOT NULL AND r."eventName" IS NOT NULL`;

// Athena's partitions, from the S3 layout .../CloudTrail/<region>/YYYY/MM/DD/...; else from the record itself.
const PARTITIONS = `coalesce(nullif(regexp_extract(filename, '/CloudTrail/([a-z]{2}(-[a-z]+)+-[0-9]+)/[0-9]{4}/', 1), ''), r."awsRegion") AS region,
  coalesce(nullif(regexp_extract(filename, '/CloudTrail/[^/]+/([0-9]{4}/[0-9]{2}/[0-9]{2})/', 1), ''), replace(substr(r."eventTime", 1, 10), '-', '/')) AS "timestamp"`;

export async function createCloudTrailTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(createTableSql());
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
      let readable = batch;
      try {
        await conn.run(stageSql(batch, lines, true));
      } catch {
        readable = [];
        await conn.run(`CREATE OR REPLACE TEMP TABLE stage (filename VARCHAR, "Records" ${recordReadType()}[])`);
        for (const f of batch) {
          try {
            await conn.run(stageSql([f], lines, false));
            readable.push(f);
          } catch (err) {
            stats.skippedFiles++;
            example({ file: f, reason: firstLine((err as Error).message) });
          }
        }
      }
      const perFile = await conn.runAndReadAll(
        `SELECT filename, count("Records") AS lists, sum(len(list_filter("Records", r -> NOT (${USABLE})))) AS unusable FROM stage GROUP BY filename`,
      );
      const found = new Map(perFile.getRows().map(([f, n, bad]) => [String(f), { lists: Number(n), unusable: Number(bad ?? 0) }]));
      for (const f of readable) {
        const got = found.get(f);
        if (!got || got.lists === 0) {
          stats.skippedFiles++;
          example({ file: f, reason: got ? 'not CloudTrail (no Records array)' : 'no JSON in the file' });
        } else if (got.unusable) {
          stats.unusableRecords += got.unusable;
          example({ file: f, reason: 'records without eventTime, eventSource or eventName', records: got.unusable });
        }
      }
      const inserted = await conn.run(`INSERT INTO cloudtrail SELECT ${projection('r')}, ${PARTITIONS}
FROM (SELECT filename, unnest("Records") AS r FROM stage) WHERE ${USABLE}`);
      stats.events += inserted.rowsChanged;
      done += batch.length;
      onProgress?.(done, stats.events);
    }
  }
  await conn.run('DROP TABLE IF EXISTS stage');
  return stats;
}

const firstLine = (s: string) => s.split('\n')[0].slice(0, 300);
