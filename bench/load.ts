/**
 * Load benchmark for the `files` source and the DuckDB `cloudtrail` SQL table (cloudtrail/sql), side by side: generates (or reuses) sample datasets of 100k and 1M events as gzipped
 * S3 delivery files, then loads each one in a fresh child process and prints throughput, wall time and peak RSS.
 *
 *   npx tsx bench/load.ts                      # 100k and 1M events, both shapes
 *   npx tsx bench/load.ts --sizes 100000       # just one size
 *   npx tsx bench/load.ts --workers 0          # parse on the main thread
 *   npx tsx bench/load.ts --engines duckdb     # only the SQL table (default: files,duckdb)
 *   npx tsx bench/load.ts --shapes org         # only the shape (default: single,org)
 *   npx tsx bench/load.ts --floor false        # skip the single-thread read+gunzip / JSON.parse floor
 *   npx tsx bench/load.ts --memory-limit 1GB   # DuckDB's memory limit while building (default: the engine's)
 *   npx tsx bench/load.ts --from-disk true     # drop the page cache before each cold load (root on Linux): a first
 *                                              # load after a reboot, the files read from disk
 * Two shapes of the same events: `single`, one account (one file per region and 5 minutes, ~65 events per file at
 * 1M), and `org`, the shape of issue #14 (two member accounts: one file per account, region and 5 minutes, ~44 events
 * per file, 22,528 files at 1M). The floor is what any loader of these files pays on one thread before it keeps
 * anything: reading and gunzipping every file, then `JSON.parse` of the text; its second line is what the `files`
 * loader pays for the same (gunzip into a buffer sized from the trailer, then the delivery scan, which reads only
 * the fields it keeps).
 * Datasets are cached under $TRAILBOOK_CACHE_DIR/bench (default .cache/bench) and reused.
 * `start ms` (files engine) is from the call to the first batch of files parsed: the serial start (listing, index
 * check, parser threads' code and boot); `close ms` from the last file read to the usable store: the threads' closing
 * sort and the merge. A warm load reads no file: its one progress step is the index read.
 * Each size is loaded twice per engine: cold (parsing every file) and warm (from the on-disk index, or the DuckDB
 * database, the cold load wrote). The machine's 1-minute load average is printed beside each run: on a shared
 * machine wall time follows it, CPU seconds much less.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../cloudtrail/config.ts';
import { generate, hasDeliveryFiles } from '../cloudtrail/generator/index.ts';
import { listCloudTrailFiles } from '../cloudtrail/readers/walk.ts';
import { inflate } from '../cloudtrail/readers/file.ts';
import { IdentityTable, ScannedFile, scanDeliveryFields } from '../cloudtrail/readers/delivery-scan.ts';

interface ChildResult {
  cached: boolean;
  events: number;
  files: number;
  threads: number;
  ms: number;
  /** CPU seconds of the whole process (all threads) while loading: wall time is at the mercy of other load. */
  cpuS: number;
  /** Of which the kernel's: from disk, reading the files costs this VM ~1.4 CPU-s more at 1M events. */
  sysS: number;
  peakRssMb: number;
  errors: number;
  /** `files` engine: from the call to the first batch of files parsed (progress past 0), and from the last file read to the store's return. */
  startMs?: number;
  closeMs?: number;
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    workers: { type: 'string' },
    child: { type: 'string' },
    'index-dir': { type: 'string' },
    engines: { type: 'string', default: 'files,duckdb' },
    engine: { type: 'string', default: 'files' },
    shapes: { type: 'string', default: 'single,org' },
    floor: { type: 'string', default: 'true' },
    'memory-limit': { type: 'string' },
    'from-disk': { type: 'string', default: 'false' },
  },
});

/** The DuckDB table: cold builds the database in the index dir, warm reopens it; a query proves it is usable. */
async function duckdbChild(dir: string): Promise<void> {
  const { openCloudTrailSql } = await import('../cloudtrail/sql/engine.ts');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // A build that ran out of DuckDB's memory limit starts again with a larger one: say so, it doubles the cost.
  const onProgress = ({ detail }: { detail?: string }) => detail?.includes('ran out of') && process.stderr.write(`${dir}: ${detail}\n`);
  const sql = await openCloudTrailSql({ dataDir: dir, cacheDir: values['index-dir'], onProgress, ...(values['memory-limit'] ? { memoryLimit: values['memory-limit'] } : {}) });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await sql.query("SELECT eventname, count(*) FROM cloudtrail WHERE useridentity.username = 'alice.nguyen' GROUP BY 1");
  const threads = Number((await sql.query("SELECT current_setting('threads') AS t")).rows[0].t);
  const result: ChildResult = {
    cached: sql.opened.cached,
    events: sql.opened.events,
    files: sql.opened.files,
    threads,
    ms,
    cpuS: (cpu.user + cpu.system) / 1e6,
    sysS: cpu.system / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    errors: sql.skipped.files,
  };
  await sql.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function child(dir: string): Promise<void> {
  if (values.engine === 'duckdb') return duckdbChild(dir);
  const { openFilesStore } = await import('../cloudtrail/stores/files.ts');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let firstBatch: number | undefined;
  let allRead: number | undefined;
  const store = await openFilesStore(dir, {
    cacheDir: values['index-dir'],
    ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
    onProgress: ({ phase, done, total }) => {
      if (phase !== 'read' || done === 0) return;
      firstBatch ??= performance.now();
      if (done === total) allRead = performance.now();
    },
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // A query touching the indexes, so the figure includes a usable store, not just parsed files.
  await store.query({ principal: 'alice.nguyen', limit: 10 });
  const result: ChildResult = {
    cached: store.stats.cached,
    events: store.stats.events,
    files: store.stats.files,
    threads: store.stats.threads,
    ms,
    cpuS: (cpu.user + cpu.system) / 1e6,
    sysS: cpu.system / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    errors: store.errors.length,
    startMs: firstBatch === undefined ? undefined : firstBatch - t0,
    closeMs: allRead === undefined ? undefined : t0 + ms - allRead,
  };
  // Peak RSS is taken before the index is written, which happens after the store is in use.
  await store.indexSaved;
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** Empties Linux's page cache, so the next load reads its files from disk: needs root (writes /proc/sys/vm/drop_caches). */
function dropPageCache(): void {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
  } catch (err) {
    throw new Error(`--from-disk: cannot drop the page cache (${(err as Error).message}); it needs root on Linux`);
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

/** Member accounts per shape: `org` is the one file per account, region and 5 minutes. */
const SHAPES: Record<string, number> = { single: 1, org: 2 };

const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
};

/**
 * Single-thread CPU seconds to read + gunzip every file, and to turn the JSON into text and `JSON.parse` it; then,
 * in a second pass (so that JSON.parse's garbage is not collected on its time), what the `files` loader pays
 * instead: read + gunzip into one buffer sized from the gzip trailer (`inflate`), and the delivery scan that reads
 * only the fields the store keeps (readers/delivery-scan.ts; a file it does not handle is JSON.parse'd there too).
 */
async function floor(dir: string): Promise<{ files: number; jsonMb: number; gunzipS: number; parseS: number; inflateS: number; scanS: number }> {
  const { files } = await listCloudTrailFiles(dir);
  let gunzipS = 0;
  let parseS = 0;
  let bytes = 0;
  for (const f of files) {
    let c = process.cpuUsage();
    const json = gunzipSync(readFileSync(f));
    gunzipS += cpuSeconds(c);
    bytes += json.length;
    c = process.cpuUsage();
    JSON.parse(json.toString('latin1'));
    parseS += cpuSeconds(c);
  }
  let inflateS = 0;
  let scanS = 0;
  const identities = new IdentityTable();
  const scanned = new ScannedFile();
  for (const f of files) {
    let c = process.cpuUsage();
    const json = inflate(readFileSync(f), f);
    inflateS += cpuSeconds(c);
    c = process.cpuUsage();
    if (!scanDeliveryFields(json, identities, scanned)) JSON.parse(json.toString('utf8'));
    scanS += cpuSeconds(c);
  }
  return { files: files.length, jsonMb: bytes / 1e6, gunzipS, parseS, inflateS, scanS };
}

async function parent(): Promise<void> {
  const cache = resolve(process.env.TRAILBOOK_CACHE_DIR ?? join(PROJECT_ROOT, '.cache'), 'bench');
  const sizes = values.sizes!.split(',').map(Number);
  const rows: string[][] = [];
  const floors: string[] = [];
  const runs = sizes.flatMap((size) => values.shapes!.split(',').map((shape) => [size, shape] as const));
  for (const [size, shape] of runs) {
    const accounts = SHAPES[shape];
    if (!accounts) throw new Error(`unknown shape "${shape}": use ${Object.keys(SHAPES).join(', ')}`);
    const dir = join(cache, accounts === 1 ? `load-${size}` : `load-${size}-accounts${accounts}`);
    if (!hasDeliveryFiles(dir)) {
      const t0 = performance.now();
      process.stderr.write(`generating ${size} events (${shape}) into ${dir} ... `);
      generate({ outDir: dir, events: size, days: 30, seed: 42, accounts });
      process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    if (values.floor === 'true') {
      const load = loadavg()[0];
      const f = await floor(dir);
      floors.push(
        `${size} ${shape}: ${f.files} files, ${f.jsonMb.toFixed(0)} MB of JSON: read+gunzip ${f.gunzipS.toFixed(2)} CPU-s, ` +
          `JSON.parse ${f.parseS.toFixed(2)} CPU-s, together ${(f.gunzipS + f.parseS).toFixed(2)} CPU-s on one thread ` +
          `(${((f.gunzipS + f.parseS) / 2).toFixed(2)} s on 2 cores at best; load avg ${load.toFixed(1)})\n` +
          `  with the loader's reads: read+inflate ${f.inflateS.toFixed(2)} CPU-s, delivery scan ${f.scanS.toFixed(2)} CPU-s, together ` +
          `${(f.inflateS + f.scanS).toFixed(2)} CPU-s (${((f.inflateS + f.scanS) / 2).toFixed(2)} s on 2 cores at best)`,
      );
    }
    for (const engine of values.engines!.split(',')) {
      // Cold: parse every file (the index goes to a fresh directory). Warm: reopen with that index.
      const indexDir = mkdtempSync(join(tmpdir(), 'trailbook-bench-index-'));
      for (const mode of ['cold', 'warm']) {
        const args = ['--import', 'tsx', import.meta.filename, '--child', dir, '--index-dir', indexDir, '--engine', engine, ...(values.workers === undefined ? [] : ['--workers', values.workers]), ...(values['memory-limit'] ? ['--memory-limit', values['memory-limit']] : [])];
        if (mode === 'cold' && values['from-disk'] === 'true') dropPageCache();
        const load = loadavg()[0];
        const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: '' } });
        const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
        if (r.cached !== (mode === 'warm')) throw new Error(`expected a ${mode} load of ${dir}`);
        rows.push([
          String(size),
          shape,
          engine,
          mode,
          String(r.events),
          String(r.files),
          (dirBytes(dir) / 1e6).toFixed(0),
          String(r.threads),
          (r.ms / 1000).toFixed(2),
          r.cpuS.toFixed(2),
          r.sysS.toFixed(2),
          Math.round(r.events / (r.ms / 1000)).toLocaleString('en-US'),
          r.peakRssMb.toFixed(0),
          String(r.errors),
          r.startMs === undefined ? '-' : r.startMs.toFixed(0),
          r.closeMs === undefined ? '-' : r.closeMs.toFixed(0),
          `${load.toFixed(1)}-${loadavg()[0].toFixed(1)}`,
        ]);
      }
      rmSync(indexDir, { recursive: true, force: true });
    }
  }
  const head = ['target', 'shape', 'engine', 'load', 'events', 'files', 'gz MB', 'threads', 'load s', 'cpu s', 'sys s', 'events/s', 'peak RSS MB', 'errors', 'start ms', 'close ms', 'load avg'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (floors.length) console.log(`\nfloor (single thread, before keeping anything):\n${floors.join('\n')}`);
}

await (values.child ? child(values.child) : parent());
