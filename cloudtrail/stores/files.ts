import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import type { EventResource, Principal, TrailEvent } from '../event.ts';
import { principalMatches, type ProgressReport, type StoreStatus } from '../query.ts';
import { CloudTrailRecord } from '../record.ts';
import { COL, CompactBuilder, type CompactResult, type FileOutcome } from '../readers/compact.ts';
import { textAt } from '../readers/text-column.ts';
import { idAt } from '../readers/event-ids.ts';
import { mergeParts, type EventColumns, type StringIds } from '../readers/columns.ts';
import { MergeTarget } from '../readers/merge-target.ts';
import { FILES_PER_BATCH, startParserThreads, type ParserThreads } from '../readers/parser-threads.ts';
import { parserWorkerCode } from '../readers/worker-code.ts';
import { readCloudTrailFileSync, recordsIn } from '../readers/file.ts';
import { listAndStat, listCloudTrailFilesSync } from '../readers/walk.ts';
import { isNotable, loadIndex, saveIndex, type IndexRepair } from '../readers/index-cache.ts';
import { signatureOf as statedSignature, startSignature } from '../readers/signature.ts';
import { DEFAULT_CACHE_DIR } from '../config.ts';
import { SKIPPED_EXAMPLES, type SkippedExample, type SkippedInput } from '../skipped.ts';
import { MemoryStore } from './memory.ts';
import { existsSync, readFileSync } from 'node:fs';

/** A file that could not be read at all (not CloudTrail, corrupt gzip, unreadable). */
export interface FileLoadError {
  file: string;
  message: string;
}

/** A readable file in which some records were unusable; they are left out and counted. */
export interface FileLoadWarning {
  file: string;
  invalidRecords: number;
  message: string;
}

export interface FilesStoreOptions {
  onError?: (e: FileLoadError) => void;
  onProgress?: (p: ProgressReport) => void;
  /** Parser threads; 0 parses on the calling thread. Default: up to 2, none for small directories. */
  workers?: number;
  /**
   * Where to keep the parsed index so reopening unchanged data skips parsing; false disables it.
   * Default: $TRAILBOOK_CACHE_DIR or <project>/.cache.
   */
  cacheDir?: string | false;
  /** Told when the on-disk index was damaged or out of date and is being rebuilt. Default: a line on stderr. */
  onNotice?: (message: string) => void;
}

export interface LoadStats {
  files: number;
  /** Paths deliberately not read (digests, Insights, truth.json, other file types): `skipped.ignored`. */
  skippedFiles: number;
  events: number;
  invalidRecords: number;
  /** Worker threads that parsed the files (0: parsed on the calling thread or read from the index cache). */
  threads: number;
  /** Why parser threads could not be used, when they could not (the files were then parsed on the calling thread). */
  threadError?: string;
  /** True when the index came from the on-disk cache (files unchanged since it was written). */
  cached: boolean;
  /** Said when a cached index was there but damaged or out of date, so the files were parsed again (also passed to `onNotice`). */
  cacheNotice?: string;
  /** Sections of the cached index found damaged after the open and made again from a parse of the files (each also a `cacheNotice`). */
  cacheRepairs?: number;
  ms: number;
}

const RAW_CACHE_FILES = 32;

/** Re-reads records from their files on demand (the store keeps only compact fields in memory). */
class RawSource {
  private readonly cache = new Map<number, unknown[]>();
  constructor(readonly files: string[]) {}

  record(file: number, rec: number): CloudTrailRecord {
    let records = this.cache.get(file);
    if (records) {
      this.cache.delete(file);
    } else {
      const path = this.files[file];
      records = recordsIn(readFileSync(path), path).records;
      if (this.cache.size >= RAW_CACHE_FILES) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(file, records);
    const parsed = CloudTrailRecord.safeParse(records[rec]);
    if (!parsed.success) throw new Error(`${this.files[file]}: record ${rec} is no longer readable; the file changed after it was loaded (reopen the store)`);
    return parsed.data;
  }
}

/** What every event of one store reads its fields from. */
interface EventTable {
  columns: EventColumns;
  /** Parsed on first use, by string id. */
  principals: Principal[];
  src: RawSource;
  /**
   * Raw records and resources once read, by event, so an event answers with the same objects every time; kept
   * here rather than in fields of every event, which would make each of a million views larger.
   */
  raws: Map<number, CloudTrailRecord>;
  resources: Map<number, EventResource[]>;
}

const principalOf = (t: EventTable, id: number): Principal => (t.principals[id] ??= Object.freeze(JSON.parse(t.columns.strings[id])) as Principal);

/** Ascending positions of each string id of a column: one counting pass and one filling pass over the column. */
function positionsById(col: StringIds, strings: number): Map<number, Uint32Array> {
  const counts = new Uint32Array(strings);
  for (let k = 0; k < col.length; k++) counts[col[k]]++;
  const lists: Uint32Array[] = [];
  counts.forEach((c, id) => c && (lists[id] = new Uint32Array(c)));
  const fill = new Uint32Array(strings);
  for (let k = 0; k < col.length; k++) {
    const id = col[k];
    lists[id][fill[id]++] = k;
  }
  const out = new Map<number, Uint32Array>();
  lists.forEach((l, id) => out.set(id, l));
  return out;
}

/**
 * A TrailEvent that is a view of row `k` of the store's columns: fields are read from the typed arrays and the
 * string table when asked, so a million events cost a million two-field objects, not a million copies of every
 * field (which were most of a reopen's time and memory). `raw` is read back from the delivery file and kept.
 */
class ColumnEvent implements TrailEvent {
  readonly #t: EventTable;
  readonly #k: number;
  constructor(t: EventTable, k: number) {
    this.#t = t;
    this.#k = k;
  }

  #text(col: number): string {
    const c = this.#t.columns;
    return c.strings[c.cols[col][this.#k]];
  }

  #optional(col: number): string | undefined {
    const c = this.#t.columns;
    const id = c.cols[col][this.#k];
    return id === 0 ? undefined : c.strings[id];
  }

  get id(): string {
    return idAt(this.#t.columns.ids(), this.#k);
  }
  get time(): number {
    return this.#t.columns.times[this.#k];
  }
  get source(): string {
    return this.#text(COL.source);
  }
  get name(): string {
    return this.#text(COL.name);
  }
  get region(): string {
    return this.#text(COL.region);
  }
  get account(): string {
    return this.#text(COL.account);
  }
  get principal(): Principal {
    const t = this.#t;
    return principalOf(t, t.columns.cols[COL.principal][this.#k]);
  }
  get sourceIp(): string {
    return this.#text(COL.sourceIp);
  }
  get userAgent(): string {
    return this.#text(COL.userAgent);
  }
  get errorCode(): string | undefined {
    return this.#optional(COL.errorCode);
  }
  get errorMessage(): string | undefined {
    return this.#optional(COL.errorMessage);
  }
  get readOnly(): boolean | undefined {
    const ro = this.#t.columns.readOnly[this.#k];
    return ro === 2 ? undefined : ro === 1;
  }

  get raw(): CloudTrailRecord {
    const t = this.#t;
    let raw = t.raws.get(this.#k);
    if (!raw) {
      const c = t.columns.later();
      t.raws.set(this.#k, (raw = t.src.record(c.fileIdx[this.#k], c.recIdx[this.#k])));
    }
    return raw;
  }

  get resources(): EventResource[] {
    const t = this.#t;
    let resources = t.resources.get(this.#k);
    if (!resources) {
      const json = textAt(t.columns.later().resources, this.#k);
      t.resources.set(this.#k, (resources = json ? (JSON.parse(json) as EventResource[]) : []));
    }
    return resources;
  }

  /** Serialises like a plain TrailEvent (getters are not own properties). */
  toJSON(): TrailEvent {
    const { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly } = this;
    return { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly, resources: this.resources, raw: this.raw };
  }
}

/**
 * Every event's view, made when something first needs them all (scans and training): making a million of them was
 * most of a reopen's time (~0.1 s, and GC promoting them). Views a query made before (`eventAt`) are kept, so an
 * event is always the same object. A plain array, not a proxy making each view on first read: scans and training
 * read every event, and a proxy's keyed reads doubled their cost (bench/engine-read.ts).
 */
function viewsOf(table: EventTable, views: Views): () => TrailEvent[] {
  return () => {
    const n = table.columns.count;
    const all: TrailEvent[] = new Array(n);
    for (let k = 0; k < n; k++) all[k] = views.some.get(k) ?? new ColumnEvent(table, k);
    views.some.clear();
    return (views.all = all);
  };
}

/** Views made one by one as queries visit events, until every event's view is made at once (`viewsOf`). */
interface Views {
  some: Map<number, TrailEvent>;
  all?: TrailEvent[];
}

/** Views made one by one beyond this many: every view is made at once instead (a scan of every event). */
const SOME_VIEWS = 1 << 16;

/** The store's version in its status: what the MCP index and prediction key their caches on. */
const versionOf = (stats: LoadStats) => `${stats.files}:${stats.events}`;

export class FilesStore extends MemoryStore {
  /** Settles when the on-disk index has been written (or was not needed). */
  indexSaved: Promise<void> = Promise.resolve();
  readonly #table: EventTable;
  #byName?: Map<string, Uint32Array>;
  #byPrincipal?: Map<number, Uint32Array>;
  readonly #principalCache = new Map<string, Uint32Array>();
  readonly #views: Views;

  constructor(
    table: EventTable,
    readonly dir: string,
    readonly errors: FileLoadError[],
    readonly warnings: FileLoadWarning[],
    readonly stats: LoadStats,
    skipped: SkippedInput,
  ) {
    const views: Views = { some: new Map() };
    super(viewsOf(table, views), { kind: 'files', location: dir, sorted: true, version: versionOf(stats), skipped });
    this.#table = table;
    this.#views = views;
  }

  override get size(): number {
    return this.#table.columns.count;
  }

  /** One view, made when a query first visits the event: a first query by principal visits a few, not a million. */
  protected override eventAt(k: number): TrailEvent {
    const views = this.#views;
    if (views.all) return views.all[k];
    let view = views.some.get(k);
    if (!view) {
      if (views.some.size >= SOME_VIEWS) return this.events[k];
      views.some.set(k, (view = new ColumnEvent(this.#table, k)));
    }
    return view;
  }

  /** Same positions as the base class finds, from the eventName column instead of a million event objects. */
  protected override namePositions(name: string): Uint32Array {
    if (!this.#byName) {
      const { cols, strings } = this.#table.columns;
      this.#byName = new Map([...positionsById(cols[COL.name], strings.length)].map(([id, list]) => [strings[id], list]));
    }
    return this.#byName.get(name) ?? new Uint32Array(0);
  }

  /** Same positions as the base class finds, grouping events by their principal's string id. */
  protected override principalPositions(who: string): Uint32Array {
    const cached = this.#principalCache.get(who);
    if (cached) return cached;
    const t = this.#table;
    this.#byPrincipal ??= positionsById(t.columns.cols[COL.principal], t.columns.strings.length);
    const lists = [...this.#byPrincipal].filter(([id]) => principalMatches({ principal: principalOf(t, id) } as TrailEvent, who)).map(([, list]) => list);
    let out = lists[0] ?? new Uint32Array(0);
    if (lists.length > 1) {
      out = new Uint32Array(lists.reduce((s, l) => s + l.length, 0));
      let at = 0;
      for (const l of lists) {
        out.set(l, at);
        at += l.length;
      }
      out.sort();
    }
    if (this.#principalCache.size > 256) this.#principalCache.clear();
    this.#principalCache.set(who, out);
    return out;
  }

  /**
   * The columns and views prediction trains from (predict/from-files.ts): read in place, without a scan. `events`
   * is the store's own array of views (made on first use): not to be changed.
   */
  predictionColumns(): { columns: EventColumns; principalOf: (id: number) => Principal; events: () => readonly TrailEvent[] } {
    const t = this.#table;
    return { columns: t.columns, principalOf: (id) => principalOf(t, id), events: () => this.events };
  }

  #status?: StoreStatus;
  /**
   * The base class's answer, from the region column and the times: the base walks every event, which would make
   * a million views (status() is asked for by the MCP index and the status tool soon after a reopen).
   */
  override async status(): Promise<StoreStatus> {
    if (!this.#status) {
      const { cols, strings, times, count } = this.#table.columns;
      const region = cols[COL.region];
      const seen = new Uint8Array(strings.length);
      for (let k = 0; k < count; k++) seen[region[k]] = 1;
      const regions = strings.filter((text, id) => seen[id] && text).sort();
      this.#status = { kind: this.kind, location: this.dir, regions, start: count ? times[0] : undefined, end: count ? times[count - 1] : undefined, count, version: versionOf(this.stats), skipped: this.skipped };
    }
    return { ...this.#status, regions: [...this.#status.regions] };
  }

  /** Always known for files: what the load left out. */
  override get skipped(): SkippedInput {
    return super.skipped!;
  }
}

function parseHere(files: string[], progress: (files: number, events: number) => void): CompactResult {
  const builder = new CompactBuilder();
  files.forEach((f, i) => {
    progress(1, builder.addFile(i, f).events);
  });
  return builder.finish();
}

/**
 * Opens a directory of CloudTrail files (any layout, any supported shape) as an indexed, in-memory store.
 * Files are parsed in worker threads into compact columns; each event keeps interned fields and a shared
 * Principal, and reads its raw record back from its file only when asked.
 */
export async function openFilesStore(dir: string, opts: FilesStoreOptions = {}): Promise<FilesStore> {
  const t0 = performance.now();
  const processCacheRoot = process.env.TRAILBOOK_CACHE_DIR ?? DEFAULT_CACHE_DIR;
  const cacheRoot = opts.cacheDir ?? processCacheRoot;
  const cachePath = cacheRoot === false ? undefined : join(cacheRoot, 'files-index', `${createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 24)}.bin`);
  // The parser threads' code is kept in the process's cache directory, not this store's (often a fresh one): it is a
  // build of this checkout's sources, checked against their contents (readers/worker-code.ts).
  const codeRoot = cacheRoot === false ? undefined : processCacheRoot;
  // No index to check: the files will be parsed, so the parser threads start now (code read or bundled, Node booted)
  // while find lists the directory, instead of after it (issue #14). Ended unused if the listing is small.
  const early = cachePath && opts.workers !== 0 && !existsSync(cachePath) ? startParserThreads(opts.workers ?? Math.min(2, availableParallelism()), parserWorkerCode(codeRoot)) : undefined;
  try {
    return await openWith(dir, opts, t0, cachePath, codeRoot, early);
  } catch (err) {
    early?.close();
    throw err;
  }
}

async function openWith(dir: string, opts: FilesStoreOptions, t0: number, cachePath: string | undefined, codeRoot: string | undefined, early?: ParserThreads): Promise<FilesStore> {
  // With a cache to check, one `find` process lists and stats every file (walk.ts listAndStat), in C and on another
  // core; without one, or where find cannot run, the walk here and the stats below.
  const stated = cachePath ? await listAndStat(dir) : undefined;
  const { files, skipped } = stated ?? listCloudTrailFilesSync(dir);
  let doneFiles = 0;
  let doneEvents = 0;
  const progress = (f: number, e: number) => {
    doneFiles += f;
    doneEvents += e;
    opts.onProgress?.({ phase: 'read', done: doneFiles, total: files.length, detail: `${doneEvents} events` });
  };
  opts.onProgress?.({ phase: 'read', done: 0, total: files.length });
  // Every file is stat-ed (by find, or here while the cache is read and checked): the signature decides whether
  // the cache is used, so a changed file is never answered from it (docs/sql.md, "Change detection").
  const signing = cachePath && !stated ? startSignature(files) : undefined;
  let signature: Promise<string> | undefined;
  const signatureOf = () => (signature ??= stated ? Promise.resolve(statedSignature(files, stated.stats)) : signing!.finish());
  // A section found damaged after the open is made again from a parse here, said and counted, and the query goes on.
  let store: FilesStore | undefined;
  const notify = opts.onNotice ?? ((m: string) => process.stderr.write(`trailbook: ${m}\n`));
  const repair: IndexRepair = {
    parse: () => {
      const part = parseHere(files, () => undefined);
      return { columns: mergeParts([part]), outcomes: part.outcomes };
    },
    repaired: (notice, rewritten) => {
      if (store) {
        store.stats.cacheRepairs = (store.stats.cacheRepairs ?? 0) + 1;
        store.stats.cacheNotice = notice;
        store.indexSaved = rewritten.catch(() => undefined);
      }
      notify(notice);
    },
  };
  const found = cachePath ? await loadIndex(cachePath, signatureOf, files.length, repair) : undefined;
  const fromCache = found && 'index' in found ? found.index : undefined;
  // Taken before any file is parsed, so a file that changes during the parse makes the index written after it
  // stale: the parser threads are given files once it is taken. find's stats were taken before any parse, so their
  // digest waits for the index to be written, off the load's path (~0.1 CPU-s at 22,528 files).
  const signed = cachePath && !fromCache && !stated ? signatureOf() : undefined;
  let cacheNotice: string | undefined;
  if (found && ('corrupt' in found || 'stale' in found)) {
    cacheNotice =
      'corrupt' in found
        ? `the index cache ${cachePath} was damaged (${found.corrupt}); parsing the files again and rewriting it`
        : `the index cache ${cachePath} is out of date (${found.stale}); parsing the files again and rewriting it`;
    notify(cacheNotice);
  }
  const workers = fromCache ? 0 : Math.min(opts.workers ?? (files.length < 32 ? 0 : Math.min(2, availableParallelism())), Math.ceil(files.length / FILES_PER_BATCH));
  let columns: EventColumns;
  let outcomes: FileOutcome[];
  let threads = workers;
  let threadError: string | undefined;
  if (workers === 0) early?.close();
  // The merged columns' memory, touched as the parse reports events (readers/merge-target.ts).
  const target = new MergeTarget();
  const parsed = (f: number, e: number) => {
    progress(f, e);
    target.reserve(doneEvents, doneFiles, files.length);
  };
  if (fromCache) {
    ({ columns, outcomes } = fromCache);
    progress(files.length, columns.count);
  } else {
    let parts: CompactResult[];
    if (workers > 0) {
      try {
        parts = await (early ?? startParserThreads(workers, parserWorkerCode(codeRoot))).parse(files, workers, parsed, signed);
      } catch (err) {
        await signed;
        // Threads unavailable (e.g. a bundled deployment without the worker file): parse here instead.
        threadError = (err as Error).message;
        doneFiles = doneEvents = 0;
        threads = 0;
        parts = [parseHere(files, parsed)];
      }
    } else {
      await signed;
      parts = [parseHere(files, parsed)];
    }
    outcomes = parts.flatMap((r) => r.outcomes);
    columns = mergeParts(parts, target);
  }

  const n = columns.count;
  opts.onProgress?.({ phase: 'index', done: 0, total: n });
  const errors: FileLoadError[] = [];
  const warnings: FileLoadWarning[] = [];
  const examples: SkippedExample[] = [];
  const nameOf = (path: string) => relative(dir, path) || path;
  const ignored: SkippedExample[] = skipped.map((s) => ({ file: nameOf(s.path), reason: s.reason }));
  let invalidRecords = 0;
  // Only the outcomes with something to say are named: a path made relative for each of 22,528 clean files was
  // ~0.2 s of the load's serial tail at 1M events (issue #14).
  const notable = outcomes.filter(isNotable);
  for (const o of notable.sort((a, b) => a.file - b.file)) {
    const name = nameOf(files[o.file]);
    if (o.shape === 'digest' || o.shape === 'insight') ignored.push({ file: name, reason: `CloudTrail ${o.shape} file (no events)` });
    if (!o.error && !o.invalid) continue;
    if (o.error) {
      const reason = o.error.startsWith(files[o.file]) ? o.error.slice(files[o.file].length).replace(/^: /, '') : o.error;
      const e = { file: files[o.file], message: `${name}: ${reason}` };
      errors.push(e);
      opts.onError?.(e);
      if (examples.length < SKIPPED_EXAMPLES) examples.push({ file: name, reason });
    } else if (o.invalid) {
      invalidRecords += o.invalid;
      warnings.push({ file: files[o.file], invalidRecords: o.invalid, message: `${name}: ${o.invalid} invalid record(s) left out, first: ${o.firstInvalid}` });
      if (examples.length < SKIPPED_EXAMPLES) examples.push({ file: name, reason: `${o.invalid} unusable record(s), first: ${o.firstInvalid}`, records: o.invalid });
    }
  }

  const table: EventTable = { columns, principals: [], src: new RawSource(files), raws: new Map(), resources: new Map() };
  const stats: LoadStats = {
    files: files.length,
    skippedFiles: ignored.length,
    events: n,
    invalidRecords,
    threads,
    threadError,
    cached: !!fromCache,
    ...(cacheNotice ? { cacheNotice } : {}),
    ms: performance.now() - t0,
  };
  const skippedInput: SkippedInput = {
    files: errors.length,
    records: invalidRecords,
    loadedRecords: n,
    candidateFiles: files.length,
    examples,
    ignored: ignored.length,
    ignoredExamples: ignored.slice(0, SKIPPED_EXAMPLES),
  };
  opts.onProgress?.({ phase: 'index', done: n, total: n });
  store = new FilesStore(table, dir, errors, warnings, stats, skippedInput);
  // Written after the store is usable; a failed write only costs the next start a re-parse.
  if (cachePath && !fromCache) store.indexSaved = signatureOf().then((sig) => saveIndex(cachePath, sig, files.length, { columns, outcomes })).catch(() => undefined);
  return store;
}

/** Reads a single file (any supported shape) without indexing: for tools that inspect one file. */
export { readCloudTrailFileSync };
