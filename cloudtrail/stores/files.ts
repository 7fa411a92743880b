import { availableParallelism } from 'node:os';
import { createHash } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventResource, Principal, TrailEvent } from '../event.ts';
import type { ProgressReport } from '../query.ts';
import { CloudTrailRecord } from '../record.ts';
import { CompactBuilder, NCOL, PRINCIPAL_COL, type CompactResult, type FileOutcome } from '../readers/compact.ts';
import type { FromWorker, ToWorker } from '../readers/parse-worker.ts';
import { parserWorkerCode } from '../readers/worker-code.ts';
import { readCloudTrailFileSync, recordsIn } from '../readers/file.ts';
import { listCloudTrailFiles } from '../readers/walk.ts';
import { directorySignature, loadIndex, saveIndex } from '../readers/index-cache.ts';
import { PROJECT_ROOT } from '../config.ts';
import { SKIPPED_EXAMPLES, type SkippedExample, type SkippedInput } from '../skipped.ts';
import { MemoryStore } from './memory.ts';
import { readFileSync } from 'node:fs';

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
  ms: number;
}

const FILES_PER_BATCH = 64;
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

/** A TrailEvent whose `raw` record (and resources) are read lazily from the delivery file and then kept. */
class StoredEvent implements TrailEvent {
  #raw?: CloudTrailRecord;
  #resources?: EventResource[] | string;
  readonly #src: RawSource;
  readonly #file: number;
  readonly #rec: number;
  constructor(
    readonly id: string,
    readonly time: number,
    readonly source: string,
    readonly name: string,
    readonly region: string,
    readonly account: string,
    readonly principal: Principal,
    readonly sourceIp: string,
    readonly userAgent: string,
    readonly errorCode: string | undefined,
    readonly errorMessage: string | undefined,
    readonly readOnly: boolean | undefined,
    src: RawSource,
    file: number,
    rec: number,
    /** JSON of the resources, parsed on first access. */
    resources: string | undefined,
  ) {
    this.#src = src;
    this.#file = file;
    this.#rec = rec;
    this.#resources = resources;
  }

  get raw(): CloudTrailRecord {
    return (this.#raw ??= this.#src.record(this.#file, this.#rec));
  }

  get resources(): EventResource[] {
    if (this.#resources === undefined) return [];
    if (typeof this.#resources === 'string') this.#resources = JSON.parse(this.#resources) as EventResource[];
    return this.#resources;
  }

  /** Serialises like a plain TrailEvent (getters are not own properties). */
  toJSON(): TrailEvent {
    const { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly } = this;
    return { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly, resources: this.resources, raw: this.raw };
  }
}

export class FilesStore extends MemoryStore {
  /** Settles when the on-disk index has been written (or was not needed). */
  indexSaved: Promise<void> = Promise.resolve();

  constructor(
    events: TrailEvent[],
    readonly dir: string,
    readonly errors: FileLoadError[],
    readonly warnings: FileLoadWarning[],
    readonly stats: LoadStats,
    skipped: SkippedInput,
  ) {
    super(events, { kind: 'files', location: dir, sorted: true, version: `${stats.files}:${stats.events}`, skipped });
  }

  /** Always known for files: what the load left out. */
  override get skipped(): SkippedInput {
    return super.skipped!;
  }
}

/** Node options minus module loaders (`--import tsx` and the like), which would load themselves into each worker again. */
function withoutLoaders(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (/^--(import|loader|experimental-loader|require)$/.test(args[i]) || args[i] === '-r') i++;
    else if (!/^--(import|loader|experimental-loader|require|input-type)=/.test(args[i]) && !args[i].startsWith('--input-type')) out.push(args[i]);
  }
  return out;
}

async function parseInWorkers(files: string[], workers: number, progress: (files: number, events: number) => void): Promise<CompactResult[]> {
  let next = 0;
  const code = await parserWorkerCode();
  const entry = code ?? new URL('../readers/worker-entry.mjs', import.meta.url);
  return Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<CompactResult>((resolve, reject) => {
        // A larger young generation lets each file's short-lived parse tree die young instead of being promoted.
        const worker = new Worker(entry, {
          eval: code !== undefined,
          resourceLimits: { maxYoungGenerationSizeMb: 64 },
          // --input-type (from `node -e`) is refused by a worker started from a file; the bundle needs no loader.
          execArgv: code === undefined ? process.execArgv.filter((a) => !a.startsWith('--input-type')) : withoutLoaders(process.execArgv),
        });
        const send = () => {
          if (next >= files.length) {
            worker.postMessage({ type: 'done' } satisfies ToWorker);
            return;
          }
          const batch: [number, string][] = [];
          for (; next < files.length && batch.length < FILES_PER_BATCH; next++) batch.push([next, files[next]]);
          worker.postMessage({ type: 'files', files: batch } satisfies ToWorker);
        };
        worker.on('message', (msg: FromWorker) => {
          if (msg.type === 'ready') send();
          else if (msg.type === 'progress') {
            progress(msg.files, msg.events);
            send();
          } else {
            resolve(msg.result);
            void worker.terminate();
          }
        });
        worker.on('error', reject);
        worker.on('exit', (code) => code !== 0 && reject(new Error(`parser worker exited with code ${code}`)));
      }),
    ),
  );
}

function parseHere(files: string[], progress: (files: number, events: number) => void): CompactResult {
  const builder = new CompactBuilder();
  files.forEach((f, i) => {
    progress(1, builder.addFile(i, f).events);
  });
  return builder.finish();
}

/** Permutation of event numbers in (time, id) order, using a native numeric sort when the keys fit in a double. */
function sortOrder(times: Float64Array, ids: string[]): Uint32Array {
  const n = times.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (times[i] < min) min = times[i];
    if (times[i] > max) max = times[i];
  }
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const scale = 2 ** bits;
  let order: Uint32Array;
  if (n > 0 && Number.isFinite(min) && (max - min + 1) * scale < 2 ** 53 && times.every((t) => Number.isInteger(t))) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (times[i] - min) * scale + i;
    keys.sort();
    order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = keys[i] % scale;
  } else {
    order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => times[a] - times[b]);
  }
  // Equal times: order by id so keyset cursors are stable (matches `byTime`).
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && times[order[e]] === times[order[s]]) e++;
    if (e - s > 1) order.subarray(s, e).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
    s = e;
  }
  return order;
}

/**
 * Opens a directory of CloudTrail files (any layout, any supported shape) as an indexed, in-memory store.
 * Files are parsed in worker threads into compact columns; each event keeps interned fields and a shared
 * Principal, and reads its raw record back from its file only when asked.
 */
export async function openFilesStore(dir: string, opts: FilesStoreOptions = {}): Promise<FilesStore> {
  const t0 = performance.now();
  const { files, skipped } = await listCloudTrailFiles(dir);
  let doneFiles = 0;
  let doneEvents = 0;
  const progress = (f: number, e: number) => {
    doneFiles += f;
    doneEvents += e;
    opts.onProgress?.({ phase: 'read', done: doneFiles, total: files.length, detail: `${doneEvents} events` });
  };
  opts.onProgress?.({ phase: 'read', done: 0, total: files.length });
  const cacheRoot = opts.cacheDir ?? process.env.TRAILBOOK_CACHE_DIR ?? join(PROJECT_ROOT, '.cache');
  const cachePath = cacheRoot === false ? undefined : join(cacheRoot, 'files-index', `${createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 24)}.bin`);
  const signature = cachePath ? await directorySignature(files) : '';
  const fromCache = cachePath ? await loadIndex(cachePath, signature) : undefined;
  const workers = fromCache ? 0 : Math.min(opts.workers ?? (files.length < 32 ? 0 : Math.min(2, availableParallelism())), Math.ceil(files.length / FILES_PER_BATCH));
  let results: CompactResult[];
  let threads = workers;
  let threadError: string | undefined;
  if (fromCache) {
    results = fromCache.results;
    progress(files.length, results.reduce((s, r) => s + r.count, 0));
  } else if (workers > 0) {
    try {
      results = await parseInWorkers(files, workers, progress);
    } catch (err) {
      // Threads unavailable (e.g. a bundled deployment without the worker file): parse here instead.
      threadError = (err as Error).message;
      doneFiles = doneEvents = 0;
      threads = 0;
      results = [parseHere(files, progress)];
    }
  } else {
    results = [parseHere(files, progress)];
  }

  opts.onProgress?.({ phase: 'index', done: 0, total: doneEvents });
  const src = new RawSource(files);
  const errors: FileLoadError[] = [];
  const warnings: FileLoadWarning[] = [];
  const examples: SkippedExample[] = [];
  const nameOf = (path: string) => relative(dir, path) || path;
  const ignored: SkippedExample[] = skipped.map((s) => ({ file: nameOf(s.path), reason: s.reason }));
  let invalidRecords = 0;
  const outcomes: FileOutcome[] = results.flatMap((r) => r.outcomes).sort((a, b) => a.file - b.file);
  for (const o of outcomes) {
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

  // Global tables: one string per distinct value, one Principal object per distinct identity.
  const interned = new Map<string, string>();
  const principals = new Map<string, Principal>();
  const n = results.reduce((s, r) => s + r.count, 0);
  const times = new Float64Array(n);
  const ids: string[] = new Array(n);
  const part = new Uint8Array(n);
  const local = new Uint32Array(n);
  const tables: (string | Principal | undefined)[][] = [];
  const resourceMaps: Map<number, string>[] = [];
  let g = 0;
  results.forEach((r, w) => {
    tables.push(
      r.strings.map((s, i) => {
        if (i === 0) return undefined;
        let v = interned.get(s);
        if (v === undefined) interned.set(s, (v = s));
        return v;
      }),
    );
    resourceMaps.push(new Map(r.resources));
    times.set(r.times, g);
    const rIds = r.count ? r.ids.split('\n') : [];
    for (let i = 0; i < r.count; i++, g++) {
      ids[g] = rIds[i];
      part[g] = w;
      local[g] = i;
    }
  });
  const principalOf = (json: string): Principal => {
    let p = principals.get(json);
    if (!p) principals.set(json, (p = Object.freeze(JSON.parse(json)) as Principal));
    return p;
  };
  const principalTables: Principal[][] = results.map((r) => new Array(r.strings.length));

  const order = fromCache?.order ?? sortOrder(times, ids);
  const events: TrailEvent[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const gi = order[k];
    const w = part[gi];
    const i = local[gi];
    const r = results[w];
    const t = tables[w];
    const c = i * NCOL;
    const cells = r.cells;
    const ro = r.readOnly[i];
    events[k] = new StoredEvent(
      ids[gi],
      times[gi],
      (t[cells[c]] as string) ?? '',
      (t[cells[c + 1]] as string) ?? '',
      (t[cells[c + 2]] as string) ?? '',
      (t[cells[c + 3]] as string) ?? '',
      (principalTables[w][cells[c + PRINCIPAL_COL]] ??= principalOf(r.strings[cells[c + PRINCIPAL_COL]])),
      (t[cells[c + 5]] as string) ?? '',
      (t[cells[c + 6]] as string) ?? '',
      t[cells[c + 7]] as string | undefined,
      t[cells[c + 8]] as string | undefined,
      ro === 2 ? undefined : ro === 1,
      src,
      r.fileIdx[i],
      r.recIdx[i],
      resourceMaps[w].get(i),
    );
  }
  const stats: LoadStats = { files: files.length, skippedFiles: ignored.length, events: n, invalidRecords, threads, threadError, cached: !!fromCache, ms: performance.now() - t0 };
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
  const store = new FilesStore(events, dir, errors, warnings, stats, skippedInput);
  // Written after the store is usable; a failed write only costs the next start a re-parse.
  if (cachePath && !fromCache) store.indexSaved = saveIndex(cachePath, signature, { results, order }).catch(() => undefined);
  return store;
}

/** Reads a single file (any supported shape) without indexing: for tools that inspect one file. */
export { readCloudTrailFileSync };
