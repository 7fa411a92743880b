/**
 * Load benchmark for the `files` source and the DuckDB `cloudtrail` SQL table (cloudtrail/sql), side by side: generates (or reuses) sample datasets of 100k and 1M events as gzipped
 * S3 delivery files, then loads each one in a fresh child process and prints throughput, wall time and peak RSS.
 *
 *   npx tsx bench/load.ts                      # 100k and 1M events
 *   npx tsx bench/load.ts --sizes 100000       # just one size
 *   npx tsx bench/load.ts --workers 0          # parse on the main thread
 *   npx tsx bench/load.ts --engines duckdb     # only the SQL table (default: files,duckdb)
 * Datasets are cached under $TRAILBOOK_CACHE_DIR/bench (default .cache/bench) and reused.
 * Each size is loaded twice per engine: cold (parsing every file) and warm (from the on-disk index, or the DuckDB
 * database, the cold load wrote). The machine's 1-minute load average is printed beside each run: on a shared
 * machine wall time follows it, CPU seconds much less.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../cloudtrail/config.ts';
import { generate, hasDeliveryFiles } from '../cloudtrail/generator/index.ts';

interface ChildResult {
  cached: boolean;
  events: number;
  files: number;
  threads: number;
  ms: number;
  /** CPU seconds of the whole process (all threads) while loading: wall time is at the mercy of other load. */
  cpuS: number;
  peakRssMb: number;
  errors: number;
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    workers: { type: 'string' },
    child: { type: 'string' },
    'index-dir': { type: 'string' },
    engines: { type: 'string', default: 'files,duckdb' },
    engine: { type: 'string', default: 'files' },
  },
});

/** The DuckDB table: cold builds the database in the index dir, warm reopens it; a query proves it is usable. */
async function duckdbChild(dir: string): Promise<void> {
  const { openCloudTrailSql } = await import('../cloudtrail/sql/engine.ts');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sql = await openCloudTrailSql({ dataDir: dir, cacheDir: values['index-dir'] });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await sql.query("SELECT eventname, count(*) FROM cloudtrail WHERE useridentity.username = 'alice.nguyen' GROUP BY 1");
  const result: ChildResult = {
    cached: sql.opened.cached,
    events: sql.opened.events,
    files: sql.opened.files,
    threads: 2,
    ms,
    cpuS: (cpu.user + cpu.system) / 1e6,
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
  const store = await openFilesStore(dir, {
    cacheDir: values['index-dir'],
    ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
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
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    errors: store.errors.length,
  };
  // Peak RSS is taken before the index is written, which happens after the store is in use.
  await store.indexSaved;
  process.stdout.write(JSON.stringify(result) + '\n');
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

async function parent(): Promise<void> {
  const cache = resolve(process.env.TRAILBOOK_CACHE_DIR ?? join(PROJECT_ROOT, '.cache'), 'bench');
  const sizes = values.sizes!.split(',').map(Number);
  const rows: string[][] = [];
  for (const size of sizes) {
    const dir = join(cache, `load-${size}`);
    if (!hasDeliveryFiles(dir)) {
      const t0 = performance.now();
      process.stderr.write(`generating ${size} events into ${dir} ... `);
      generate({ outDir: dir, events: size, days: 30, seed: 42 });
      process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    for (const engine of values.engines!.split(',')) {
      // Cold: parse every file (the index goes to a fresh directory). Warm: reopen with that index.
      const indexDir = mkdtempSync(join(tmpdir(), 'trailbook-bench-index-'));
      for (const mode of ['cold', 'warm']) {
        const args = ['--import', 'tsx', import.meta.filename, '--child', dir, '--index-dir', indexDir, '--engine', engine, ...(values.workers === undefined ? [] : ['--workers', values.workers])];
        const load = loadavg()[0];
        const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: '' } });
        const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
        if (r.cached !== (mode === 'warm')) throw new Error(`expected a ${mode} load of ${dir}`);
        rows.push([
          String(size),
          engine,
          mode,
          String(r.events),
          String(r.files),
          (dirBytes(dir) / 1e6).toFixed(0),
          String(r.threads),
          (r.ms / 1000).toFixed(2),
          r.cpuS.toFixed(2),
          Math.round(r.events / (r.ms / 1000)).toLocaleString('en-US'),
          r.peakRssMb.toFixed(0),
          String(r.errors),
          `${load.toFixed(1)}-${loadavg()[0].toFixed(1)}`,
        ]);
      }
      rmSync(indexDir, { recursive: true, force: true });
    }
  }
  const head = ['target', 'engine', 'load', 'events', 'files', 'gz MB', 'threads', 'load s', 'cpu s', 'events/s', 'peak RSS MB', 'errors', 'load avg'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

await (values.child ? child(values.child) : parent());
