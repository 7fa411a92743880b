import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { DEFAULT_CACHE_DIR } from '../config.ts';
import { listingSignature, signatureOf, startSignature } from '../readers/signature.ts';
import { findListing, listCloudTrailFilesSync, statedListingOf } from '../readers/walk.ts';
import { SKIPPED_EXAMPLES, type SkippedInput } from '../skipped.ts';
import { requireSelect } from './guard.ts';
import { createCloudTrailTable, loadFiles, outOfMemory, type LoadStats } from './load.ts';
import { DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS, duckdbPosition, plainValue, SqlError, truncationNotice, type SqlParam, type SqlQueryOptions, type SqlResult, type SqlRow, type SqlSource } from './result.ts';

/**
 * The local SQL engine: an embedded DuckDB database holding the `cloudtrail` table, built from the delivery files
 * under a data directory and kept in the cache directory, named after the file list (paths, sizes, mtimes), so an
 * unchanged directory reopens in milliseconds. The served database is opened read-only, with external access
 * disabled and the configuration locked: a SELECT cannot read files (`read_text('/etc/passwd')`), reach the
 * network, attach databases or turn those settings back on.
 */

/**
 * DuckDB, loaded on first use: a native module that bundles (the Lambda function) leave out, so importing this
 * file never fails; only opening the local table does, with a message that says what to use instead.
 */
async function duckdb(): Promise<typeof import('@duckdb/node-api')> {
  try {
    // require, not import(): the package is CommonJS re-exporting ~120 files, and import() runs Node's export
    // lexer over each of them: measured 0.5-0.6 CPU-s against 0.18-0.25 with require, most of a warm reopen.
    return createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');
  } catch (err) {
    throw new Error('the local SQL table needs @duckdb/node-api, which this build does not include (use TRAILBOOK_SOURCE=athena here)', { cause: err });
  }
}

/** Bumped when the table or the load changes, so older cached databases are rebuilt. */
const FORMAT = 'trailbook-sql-5';

/** Memory limits a build that ran out of memory is retried with, in order. */
const BUILD_MEMORY_RETRIES = ['1GB', '2GB'];

export interface OpenSqlOptions {
  dataDir: string;
  /** Cache root (the database goes to `<root>/sql/`); false builds in memory. Default $TRAILBOOK_CACHE_DIR or `.cache`. */
  cacheDir?: string | false;
  onProgress?: (p: { phase: 'list' | 'load' | 'open'; done: number; total?: number; detail?: string }) => void;
  /**
   * DuckDB's memory limit while building the on-disk database (default 256MB): beyond it the build spills to a
   * temp folder beside the database, so a trail larger than memory still loads. Measured at 1M events: peak RSS
   * 1,083 MB with 2GB, 687 MB with 400MB, 587 MB with 256MB, for no more CPU (the load streams).
   */
  memoryLimit?: string;
  /** false: list and stat the files on this thread rather than with `find` (walk.ts listAndStat), as where there is none. */
  find?: boolean;
}

export interface OpenedFrom {
  /** The database file, or ':memory:'. */
  path: string;
  /** Whether the table was read from an existing database (no file was parsed). */
  cached: boolean;
  /**
   * How an existing database was found to match the files: `listing`, find's output as it was when the database's
   * file list was last verified (nothing sorted or digested); `signature`, the sorted file list's paths, sizes and
   * mtimes. Absent when the table was built.
   */
  matchedBy?: 'listing' | 'signature';
  events: number;
  files: number;
  ms: number;
}

export class CloudTrailSql implements SqlSource {
  readonly kind = 'duckdb' as const;
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly select: number,
    readonly skipped: SkippedInput,
    readonly opened: OpenedFrom,
  ) {}

  async query(sql: string, params: readonly SqlParam[] = [], opts: SqlQueryOptions = {}): Promise<SqlResult> {
    if (this.closed) throw new SqlError('the SQL engine is closed', 'engine');
    const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
    const conn = await this.instance.connect();
    let timedOut = false;
    const interrupt = () => conn.interrupt();
    const timer = setTimeout(() => ((timedOut = true), interrupt()), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    opts.signal?.addEventListener('abort', interrupt, { once: true });
    try {
      if (opts.signal?.aborted) throw new SqlError('the query was cancelled', 'cancelled');
      const prepared = await prepareSelect(conn, sql, this.select);
      if (prepared.parameterCount !== params.length) throw new SqlError(`the query has ${prepared.parameterCount} parameter(s) ($1…) but ${params.length} value(s) were given`, 'invalid');
      if (params.length) prepared.bind(params.map(toDuckValue));
      const result = await prepared.stream();
      const names = result.deduplicatedColumnNames();
      const columns = names.map((name, i) => ({ name, type: result.columnType(i).toString() }));
      const rows: SqlRow[] = [];
      let truncated = false;
      for await (const chunk of result.yieldRowsJs()) {
        for (const r of chunk) {
          if (rows.length === maxRows) {
            truncated = true;
            break;
          }
          const row: SqlRow = {};
          names.forEach((n, i) => (row[n] = plainValue(r[i])));
          rows.push(row);
        }
        if (truncated) break;
      }
      return { columns, rows, truncated, ...(truncated ? { notice: truncationNotice(maxRows) } : {}) };
    } catch (err) {
      if (err instanceof SqlError) throw err;
      const message = (err as Error).message ?? String(err);
      if (/INTERRUPT/i.test(message) || (timedOut && /interrupt/i.test(message))) {
        if (timedOut) throw new SqlError(`the query took longer than ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms and was interrupted (timeoutMs option)`, 'timeout');
        throw new SqlError('the query was cancelled', 'cancelled');
      }
      const pos = duckdbPosition(message, sql);
      const head = message.split('\n')[0];
      throw new SqlError(pos ? `${head} (line ${pos.line}, column ${pos.column})\n${message.split('\n').slice(1).join('\n')}`.trimEnd() : message, 'invalid', pos?.line, pos?.column, { cause: err });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', interrupt);
      conn.closeSync();
    }
  }

  /**
   * Runs `read` on a connection of its own, closed after: for Trailbook's own readers of the table (the
   * engine-backed `files` store, prediction's columnar read), which need DuckDB's chunks rather than row objects.
   * The database is still the sealed, read-only one.
   */
  async withConnection<T>(read: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw new SqlError('the SQL engine is closed', 'engine');
    const conn = await this.instance.connect();
    try {
      return await read(conn);
    } finally {
      conn.closeSync();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.instance.closeSync();
  }
}

/** Parses with the engine's own parser: exactly one statement, and a SELECT (WITH … SELECT included). */
async function prepareSelect(conn: DuckDBConnection, sql: string, select: number) {
  requireSelect(sql);
  const extracted = await conn.extractStatements(sql);
  if (extracted.count !== 1) throw new SqlError(`only a single SELECT (or WITH … SELECT) statement is allowed; got ${extracted.count} statements`, 'refused');
  const prepared = await extracted.prepare(0);
  if (prepared.statementType !== select) {
    prepared.destroySync();
    throw new SqlError('only SELECT (or WITH … SELECT) queries are allowed: the table is read-only', 'refused');
  }
  return prepared;
}

function toDuckValue(v: SqlParam): DuckDBValue {
  if (v instanceof Date) return v.toISOString();
  // Whole numbers bind as BIGINT (LIMIT $1, comparisons with counts); others as DOUBLE.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return v;
}

/** The settings that make the served database read-only and sealed (run after the table is loaded). */
async function seal(instance: DuckDBInstance): Promise<void> {
  const conn = await instance.connect();
  try {
    // One call for the four (DuckDB runs every statement of the text): each call is a trip to DuckDB's threads and
    // back, on the reopen's path.
    await conn.run('SET enable_external_access = false; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET lock_configuration = true');
  } finally {
    conn.closeSync();
  }
}

interface Meta {
  format: string;
  signature: string;
  /** signature.ts listingSignature of the find output the signature was last verified against, when there was one. */
  listing?: string;
  stats: LoadStats;
  candidateFiles: number;
  ignored: SkippedInput['ignoredExamples'];
  ignoredCount: number;
}

function skippedOf(meta: Meta): SkippedInput {
  return {
    files: meta.stats.skippedFiles,
    records: meta.stats.unusableRecords,
    loadedRecords: meta.stats.events,
    candidateFiles: meta.candidateFiles,
    examples: meta.stats.examples,
    ignored: meta.ignoredCount,
    ignoredExamples: meta.ignored,
  };
}

export function sqlCacheRoot(cacheDir: string | false | undefined): string | false {
  if (cacheDir === false) return false;
  return resolve(cacheDir ?? process.env.TRAILBOOK_CACHE_DIR ?? DEFAULT_CACHE_DIR, 'sql');
}

/** Opens (building it first when the files changed) the `cloudtrail` table of `dataDir`. */
export async function openCloudTrailSql(o: OpenSqlOptions): Promise<CloudTrailSql> {
  const t0 = performance.now();
  o.onProgress?.({ phase: 'list', done: 0 });
  // A `find` process lists and stats the files (walk.ts findListing) on another core, the last database starts
  // opening in DuckDB's own threads, and this thread loads DuckDB's API (~0.15-0.3 CPU-s of synchronous require)
  // meanwhile: on an unchanged directory, listing, stats and open are done by the time find's listing is compared.
  // Without `find`, the files are listed and stat-ed here while the database opens (~0.4 CPU-s at 22,528 files).
  const finding = o.find === false ? Promise.resolve(undefined) : findListing(o.dataDir);
  const root = sqlCacheRoot(o.cacheDir);
  const stem = createHash('sha256').update(resolve(o.dataDir)).digest('hex').slice(0, 16);
  // The database of the last file list, opened (in DuckDB's own thread) while the API loads and the files are
  // stat-ed: when they have not changed, that open is what a reopen waits for, and it is already done.
  const opening = root === false ? undefined : openNewest(root, stem);
  const engine = duckdb();
  engine.catch(() => undefined);
  const early = (async (): Promise<Opened | undefined> => {
    const newest = await opening;
    if (!newest) return undefined;
    const { DuckDBInstance } = await engine;
    return { path: newest.path, meta: newest.meta, instance: new DuckDBInstance(await newest.db) };
  })();
  early.catch(() => undefined);
  const raw = await finding;
  const listing = raw && listingSignature(o.dataDir, raw);
  const reopen = async (guess: Opened, matchedBy: 'listing' | 'signature') => {
    const { StatementType } = await engine;
    o.onProgress?.({ phase: 'open', done: 1, total: 1 });
    await seal(guess.instance);
    return new CloudTrailSql(guess.instance, StatementType.SELECT, skippedOf(guess.meta), { path: guess.path, cached: true, matchedBy, events: guess.meta.stats.events, files: guess.meta.candidateFiles, ms: performance.now() - t0 });
  };
  // find printed what it printed when the database's files were last verified: nothing has changed (listing
  // signature: no link, same directory), so the listing is neither sorted nor digested file by file (~0.25 CPU-s of
  // this thread at 22,528 files, most of what a reopen did here).
  if (listing) {
    const guess = await early.catch(() => undefined);
    if (guess && guess.meta.format === FORMAT && guess.meta.listing === listing) return reopen(guess, 'listing');
  }
  const found = raw && statedListingOf(o.dataDir, raw);
  const { files, skipped: ignored } = found ?? listCloudTrailFilesSync(o.dataDir);
  const { DuckDBInstance, StatementType } = await engine;
  const fileSignature = found ? signatureOf(files, found.stats) : await startSignature(files).finish();
  const signature = createHash('sha256').update(`${FORMAT}\0${fileSignature}`).digest('hex');
  const guess = await early.catch(() => undefined);
  if (guess && guess.meta.format === FORMAT && guess.meta.signature === signature) {
    // The same files, listed otherwise (an ignored or hidden entry, a directory's mtime, readdir's order): the next
    // reopen can tell them by this listing.
    if (listing && listing !== guess.meta.listing) await writeMeta(`${guess.path}.json`, { ...guess.meta, listing }).catch(() => undefined);
    return reopen(guess, 'signature');
  }
  guess?.instance.closeSync();
  // Said, not silent: the table is rebuilt because the files are not the ones it was built from.
  if (guess && guess.meta.format === FORMAT) o.onProgress?.({ phase: 'list', done: files.length, total: files.length, detail: `the files changed since the table was built (${files.length} files now, ${guess.meta.candidateFiles} then): building it again` });
  const SELECT = StatementType.SELECT;
  const metaBase = { format: FORMAT, signature, ...(listing && found ? { listing } : {}), candidateFiles: files.length, ignored: ignored.slice(0, SKIPPED_EXAMPLES).map((i) => ({ file: i.path, reason: i.reason })), ignoredCount: ignored.length };
  const build = async (path: string, memoryLimit: string): Promise<Meta> => {
    const instance = await DuckDBInstance.create(path, { memory_limit: memoryLimit, temp_directory: `${path}.spill` });
    const conn = await instance.connect();
    try {
      await createCloudTrailTable(conn);
      const stats = await loadFiles(conn, files, (done, events) => o.onProgress?.({ phase: 'load', done, total: files.length, detail: `${events} events` }), { checkpoint: path !== ':memory:' });
      return { ...metaBase, stats };
    } finally {
      conn.closeSync();
      if (path !== ':memory:') instance.closeSync();
    }
  };

  if (root === false) {
    // In memory: build and serve the same instance.
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    let meta: Meta;
    try {
      await createCloudTrailTable(conn);
      const stats = await loadFiles(conn, files, (done, events) => o.onProgress?.({ phase: 'load', done, total: files.length, detail: `${events} events` }));
      meta = { ...metaBase, stats };
    } finally {
      conn.closeSync();
    }
    await seal(instance);
    return new CloudTrailSql(instance, SELECT, skippedOf(meta), { path: ':memory:', cached: false, events: meta.stats.events, files: files.length, ms: performance.now() - t0 });
  }

  await mkdir(root, { recursive: true });
  const path = join(root, `${stem}-${signature.slice(0, 16)}.duckdb`);
  const metaPath = `${path}.json`;
  let meta = await readMeta(metaPath, signature);
  const cached = !!meta;
  if (!meta) {
    // Build beside the final name and rename, so a reader never opens a half-written database.
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    const clean = async () => {
      await rm(tmp, { force: true });
      await rm(`${tmp}.wal`, { force: true });
      await rm(`${tmp}.spill`, { recursive: true, force: true });
    };
    try {
      // Not everything a build holds can spill (the JSON reader's buffers, the row groups being appended): a trail
      // of large delivery files can need more than the limit, so the build starts again with a larger one.
      const limits = [...new Set([o.memoryLimit ?? '256MB', ...BUILD_MEMORY_RETRIES])];
      for (let i = 0; !meta; i++) {
        try {
          meta = await build(tmp, limits[i]);
        } catch (err) {
          if (i + 1 >= limits.length || !outOfMemory(err)) throw err;
          await clean();
          o.onProgress?.({ phase: 'load', done: 0, total: files.length, detail: `DuckDB ran out of its ${limits[i]} memory limit; building again with ${limits[i + 1]}` });
        }
      }
      await rename(tmp, path);
      await writeMeta(metaPath, meta);
    } finally {
      await clean();
    }
    await removeStale(root, stem, path);
  }
  o.onProgress?.({ phase: 'open', done: 1, total: 1 });
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  await seal(instance);
  return new CloudTrailSql(instance, SELECT, skippedOf(meta), { path, cached, events: meta.stats.events, files: files.length, ms: performance.now() - t0 });
}

interface Opened {
  path: string;
  meta: Meta;
  instance: DuckDBInstance;
}

/** What of `@duckdb/node-bindings` (the native module under `@duckdb/node-api`) opens a database. */
interface NativeBindings {
  create_config(): unknown;
  set_config(config: unknown, name: string, value: string): void;
  open(path: string, config: unknown): Promise<ConstructorParameters<typeof DuckDBInstance>[0]>;
}

/**
 * The native module alone (~0.05 CPU-s: the `.node` file and two small ones), resolved from `@duckdb/node-api` as
 * that package resolves it, so it is the very module the API then uses (its require of it is a cache hit).
 */
function nativeBindings(): NativeBindings {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve('@duckdb/node-api'))('@duckdb/node-bindings') as NativeBindings;
}

/**
 * The most recently written finished database of `stem` with its meta, opening read-only; undefined when there is none.
 * Synchronous up to DuckDB's open (a few small files and the native module, not the API), so that the open is under
 * way in DuckDB's threads before the caller's next synchronous work starts: the API's require (~0.15-0.3 CPU-s of
 * JavaScript on this thread) then runs while DuckDB opens, where it used to come first (the open waited for it).
 * The open is what `DuckDBInstance.create` does (its config names the API, as the API's does).
 */
async function openNewest(root: string, stem: string): Promise<{ path: string; meta: Meta; db: ReturnType<NativeBindings['open']> } | undefined> {
  let newest: { metaPath: string; mtime: number } | undefined;
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    // No cache yet.
  }
  for (const name of names) {
    if (!name.startsWith(`${stem}-`) || !name.endsWith('.duckdb.json')) continue;
    const metaPath = join(root, name);
    const mtime = statSync(metaPath).mtimeMs;
    if (!newest || mtime > newest.mtime) newest = { metaPath, mtime };
  }
  if (!newest) return undefined;
  const meta = JSON.parse(readFileSync(newest.metaPath, 'utf8')) as Meta;
  if (meta.format !== FORMAT) return undefined;
  const path = newest.metaPath.replace(/\.json$/, '');
  const native = nativeBindings();
  const config = native.create_config();
  native.set_config(config, 'duckdb_api', 'node-neo-api');
  native.set_config(config, 'access_mode', 'READ_ONLY');
  const db = native.open(path, config);
  db.catch(() => undefined);
  return { path, meta, db };
}

/** Replaces a meta file whole (written beside it, then renamed), so a reader never sees half of one. */
async function writeMeta(path: string, meta: Meta): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(meta));
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function readMeta(path: string, signature: string): Promise<Meta | undefined> {
  try {
    const meta = JSON.parse(await readFile(path, 'utf8')) as Meta;
    if (meta.format !== FORMAT || meta.signature !== signature) return undefined;
    await stat(path.replace(/\.json$/, ''));
    return meta;
  } catch {
    return undefined;
  }
}

/** Databases of earlier file lists of the same directory (a reader that still has one open keeps its inode). */
async function removeStale(root: string, stem: string, keep: string): Promise<void> {
  for (const name of await readdir(root)) {
    const p = join(root, name);
    // Another process may be building a .tmp one right now: only finished databases are removed, and the
    // leftovers of a build whose process is gone (killed mid-build: hundreds of MB of database, WAL and spill).
    if (name.startsWith(`${stem}-`) && /\.duckdb(\.json|\.wal)?$/.test(name) && p !== keep && p !== `${keep}.json`) await rm(p, { force: true });
    const tmp = /^.+\.duckdb(?:\.json)?\.(\d+)\.\d+\.tmp(\.wal|\.spill)?$/.exec(name);
    if (name.startsWith(`${stem}-`) && tmp && !processAlive(Number(tmp[1]))) await rm(p, { recursive: true, force: true });
  }
}

/** Whether a process of this id runs (EPERM: it does, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
