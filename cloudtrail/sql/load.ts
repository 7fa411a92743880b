import type { DuckDBConnection } from '@duckdb/node-api';
import { SKIPPED_EXAMPLES, type SkippedExample } from '../skipped.ts';
import { CLOUDTRAIL_COLUMNS, createTableSql, projection, type Field } from './schema.ts';

/**
 * Loads delivery files into the `cloudtrail` table with DuckDB's own JSON reader (gunzip and parse in C++), a
 * batch of files per statement, in one pass: each file's Records as JSON values, unnested, each record turned into
 * the Athena struct by one `json_transform` and inserted, usable or not, with the number of its file in a build-only
 * column. What was left out is counted from the table afterwards:
 *
 * - per file, its rows and those lacking eventTime, eventSource or eventName (then deleted);
 * - files with no row at all (an empty Records list, no Records array, no JSON) are read again, alone, to say which.
 *
 * Profiled in the org shape (bench/load.ts, issue #14; docs/sql.md "How the table is loaded"): a census pass per
 * batch before the insert cost a quarter of the CPU, and a `WHERE` on the transformed record made DuckDB run
 * `json_transform` twice (once in the filter, once in the projection above it). `read_json` building the nested
 * struct itself cost as much as JSON values + json_transform. Insertion order is not kept (queries say ORDER BY),
 * which lets DuckDB append in parallel. A batch that fails (corrupt gzip, invalid JSON) is read again in halves
 * down to the file that fails, so one bad file costs only itself, and is counted with the engine's reason.
 */

/** Files per statement: one statement over thousands of files costs half the CPU of batches of 500 (DuckDB parallelises across files, and binds the list once); bounded so a huge directory reports progress. */
const FILES_PER_BATCH = 10_000;

/**
 * While loading, and through the closing CHECKPOINT, DuckDB returns freed memory to the system (malloc_trim, jemalloc's
 * purge) after each release of this much at once, instead of 512 MB (its default, which a build never frees at once).
 * At a build's peak most of the memory beyond DuckDB's own ~250 MB is memory it has freed and the allocator kept
 * (docs/sql.md): at 1M events in the org shape, peak RSS 422-490 MB in four runs with it against 442-630 MB in seven
 * without. The CHECKPOINT is where the single shape peaked (it reads back and rewrites what the INSERTs left in
 * memory or spilled, ~340 MB at 1M): run after this was reset, it added up to 250 MB of RSS (388 -> 639 MB).
 */
const BUILD_FLUSH_THRESHOLD = '16MB';

/** The build-only column holding each row's file number (its index in the load's file list); dropped when done. */
const FILE_COLUMN = '__trailbook_file';

export interface LoadStats {
  events: number;
  /** Records the files store would leave out too (readers/shapes.ts invalidReason): not loaded. */
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

/** The build-only column saying a row's record fails the checks below; dropped when done. */
const INVALID_COLUMN = '__trailbook_invalid';

/**
 * The record's fields that the files store checks (readers/shapes.ts `invalidReason`), with the JSON types it
 * takes: the table holds every value as text, so a number or an object where text belongs is caught here, on the
 * JSON, or the table would hold events the files store leaves out.
 */
const CHECKED: [key: string, types: string][] = [
  ['eventTime', 'VARCHAR'],
  ['eventSource', 'VARCHAR'],
  ['eventName', 'VARCHAR'],
  ['userIdentity', 'NULL|OBJECT'],
  ...['eventID', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode', 'errorMessage', 'recipientAccountId'].map((k): [string, string] => [k, 'NULL|VARCHAR']),
  ['resources', 'NULL|ARRAY'],
];
/**
 * Whether the record `j` fails the checks, in one parse of it: json_type's list of the checked fields' types, cast
 * to text (`[VARCHAR, VARCHAR, VARCHAR, OBJECT, ..., NULL]`; an absent field reads NULL, a JSON null 'NULL'), is
 * matched once, and the pattern's one group says what resources are: an array's elements are typed then (a second
 * parse, of those records only). On the 100k set this check costs about half of what building the types' text
 * with list lambdas and matching it twice did (docs/sql.md).
 */
const CHECK_PATTERN = quote(`^\\[${CHECKED.map(([, t], i) => `(${i === CHECKED.length - 1 ? '' : '?:'}${t.replace('NULL', "NULL|'NULL'")})`).join(', ')}\\]$`);
const invalidSql = (j: string) => `CASE coalesce(regexp_extract(json_type(${j}, [${CHECKED.map(([k]) => quote(`$.${k}`)).join(', ')}])::VARCHAR, ${CHECK_PATTERN}, 1), '')
  WHEN 'ARRAY' THEN replace(replace(json_type(${j}, '$.resources[*]')::VARCHAR, 'OBJECT', ''), ', ', '') <> '[]'
  WHEN '' THEN true
  ELSE false END`;

/**
 * The table's rows whose record the files store would leave out: one it could not check as above (not an object
 * gives a row of NULLs), or an eventTime that is not a date. Date.parse reads a few forms DuckDB's cast does not;
 * the engine's own time is NULL for those, and such a row could not be ordered or filtered by time anyway.
 */
const UNUSABLE_ROW = `${INVALID_COLUMN} OR eventtime IS NULL OR eventsource IS NULL OR eventname IS NULL OR TRY_CAST(eventtime AS TIMESTAMPTZ) IS NULL`;

// Athena's partitions, from the S3 layout .../CloudTrail/<region>/YYYY/MM/DD/...; else from the record itself.
const PARTITIONS = `coalesce(nullif(regexp_extract(filename, '/CloudTrail/([a-z]{2}(-[a-z]+)+-[0-9]+)/[0-9]{4}/', 1), ''), r."awsRegion") AS region,
  coalesce(nullif(regexp_extract(filename, '/CloudTrail/[^/]+/([0-9]{4}/[0-9]{2}/[0-9]{2})/', 1), ''), replace(substr(r."eventTime", 1, 10), '-', '/')) AS "timestamp"`;

/** Per file that gave no row: how many Records lists it has (0: none); a file with no JSON value gives no census row. */
function censusSql(files: string[], lines: boolean): string {
  if (lines) return `SELECT filename, count(*) AS lists FROM read_json_objects(${list(files)}, format = 'newline_delimited', filename = true) GROUP BY filename`;
  return `SELECT filename, count("Records") AS lists FROM read_json(${list(files)}, format = 'unstructured', filename = true, columns = {"Records": 'JSON[]'}) GROUP BY filename`;
}

/** Inserts every record of `files` (numbered from `first` in the load's list), usable or not. */
function insertSql(files: string[], lines: boolean, first: number): string {
  const records = lines
    ? `SELECT filename, file_index, json AS j FROM read_json_objects(${list(files)}, format = 'newline_delimited', filename = true)`
    : `SELECT filename, file_index, unnest("Records") AS j FROM read_json(${list(files)}, format = 'unstructured', filename = true, columns = {"Records": 'JSON[]'})`;
  return `INSERT INTO cloudtrail SELECT ${projection('r')}, ${PARTITIONS}, ${first} + file_index, invalid
FROM (SELECT filename, file_index, json_transform(j, ${RECORD}) AS r, ${invalidSql('j')} AS invalid FROM (${records}))`;
}

export async function createCloudTrailTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(createTableSql());
}

/**
 * Census of files in one statement; when DuckDB cannot read one of them, the halves are read again, down to the
 * file that fails, which is counted with the engine's reason: a bad file among 10,000 costs ~28 statements over
 * about twice the batch, not 10,000 statements of one file.
 */
async function census(conn: DuckDBConnection, files: string[], lines: boolean, unreadable: (file: string, err: Error) => void, found = new Map<string, number>()): Promise<Map<string, number>> {
  try {
    for (const [f, lists] of (await conn.runAndReadAll(censusSql(files, lines))).getRows()) found.set(String(f), Number(lists));
  } catch (err) {
    // Out of memory is the engine's problem, not the files': the caller builds again with more.
    if (outOfMemory(err)) throw err;
    if (files.length === 1) {
      unreadable(files[0], err as Error);
    } else {
      const half = Math.ceil(files.length / 2);
      await census(conn, files.slice(0, half), lines, unreadable, found);
      await census(conn, files.slice(half), lines, unreadable, found);
    }
  }
  return found;
}

/**
 * `checkpoint`: write the table to the database file before returning (a file-backed build), while the build's
 * allocator setting still holds.
 */
export async function loadFiles(conn: DuckDBConnection, files: string[], onProgress?: (done: number, events: number) => void, { checkpoint = false } = {}): Promise<LoadStats> {
  // Deliveries first, then NDJSON (a different reader): a row's file number is its file's place in this order.
  const order = [...files.filter((f) => !isLines(f)), ...files.filter(isLines)];
  const place = new Map(order.map((f, i) => [f, i]));
  // Why a file was (partly) left out, reported in the caller's file order.
  const outcome = new Map<string, SkippedExample>();
  const unreadable = (f: string, err: Error) => outcome.set(f, { file: f, reason: firstLine(err.message) });
  await conn.run('SET preserve_insertion_order = false');
  await conn.run(`SET allocator_bulk_deallocation_flush_threshold = '${BUILD_FLUSH_THRESHOLD}'`);
  await conn.run(`ALTER TABLE cloudtrail ADD COLUMN ${FILE_COLUMN} UINTEGER`);
  await conn.run(`ALTER TABLE cloudtrail ADD COLUMN ${INVALID_COLUMN} BOOLEAN`);
  let rows = 0;
  // file_index numbers a statement's own list: one statement per run of consecutive places.
  const insert = async (load: string[]) => {
    for (let j = 0; j < load.length; ) {
      let k = j + 1;
      while (k < load.length && place.get(load[k]) === place.get(load[j])! + (k - j)) k++;
      rows += (await conn.run(insertSql(load.slice(j, k), isLines(load[j]), place.get(load[j])!))).rowsChanged;
      j = k;
    }
  };
  for (let i = 0; i < order.length; ) {
    const lines = isLines(order[i]);
    let end = Math.min(i + FILES_PER_BATCH, order.length);
    const kindEnds = order.findIndex((f, n) => n > i && isLines(f) !== lines);
    if (kindEnds > 0 && kindEnds < end) end = kindEnds;
    const batch = order.slice(i, end);
    try {
      await insert(batch);
    } catch (err) {
      if (outOfMemory(err)) throw err;
      // A file DuckDB cannot read failed the whole statement (nothing of it was inserted): find it, load the rest.
      await census(conn, batch, lines, unreadable);
      await insert(batch.filter((f) => !outcome.has(f)));
    }
    i = end;
    onProgress?.(i, rows);
  }
  // Per file: its rows and the unusable ones among them.
  const perFile = new Map<string, { rows: number; unusable: number }>();
  const counted = await conn.runAndReadAll(`SELECT ${FILE_COLUMN}, count(*), count(*) FILTER (WHERE ${UNUSABLE_ROW}) FROM cloudtrail GROUP BY 1`);
  for (const [n, r, u] of counted.getRows()) perFile.set(order[Number(n)], { rows: Number(r), unusable: Number(u) });
  // Files that gave no row: an empty Records list is fine, no Records array or no JSON is a skipped file.
  for (const lines of [false, true]) {
    const empty = order.filter((f) => isLines(f) === lines && !perFile.has(f) && !outcome.has(f));
    for (let i = 0; i < empty.length; i += FILES_PER_BATCH) {
      const batch = empty.slice(i, i + FILES_PER_BATCH);
      const lists = await census(conn, batch, lines, unreadable);
      for (const f of batch) {
        const got = lists.get(f);
        if (!outcome.has(f) && !got) outcome.set(f, { file: f, reason: got === 0 ? 'not CloudTrail (no Records array)' : 'no JSON in the file' });
      }
    }
  }
  const stats: LoadStats = { events: 0, unusableRecords: 0, skippedFiles: outcome.size, examples: [] };
  for (const [f, { unusable }] of perFile) {
    if (!unusable) continue;
    stats.unusableRecords += unusable;
    outcome.set(f, { file: f, reason: 'records that are not valid CloudTrail records (eventTime, eventSource or eventName missing, not text or not a date, or a field of the wrong type)', records: unusable });
  }
  if (stats.unusableRecords) await conn.run(`DELETE FROM cloudtrail WHERE ${UNUSABLE_ROW}`);
  await conn.run(`ALTER TABLE cloudtrail DROP COLUMN ${FILE_COLUMN}`);
  await conn.run(`ALTER TABLE cloudtrail DROP COLUMN ${INVALID_COLUMN}`);
  if (checkpoint) await conn.run('CHECKPOINT');
  await conn.run('RESET allocator_bulk_deallocation_flush_threshold');
  stats.events = rows - stats.unusableRecords;
  stats.examples = files.filter((f) => outcome.has(f)).slice(0, SKIPPED_EXAMPLES).map((f) => outcome.get(f)!);
  return stats;
}

export const outOfMemory = (err: unknown): boolean => /out of memory/i.test((err as Error)?.message ?? '');

const firstLine = (s: string) => s.split('\n')[0].slice(0, 300);
