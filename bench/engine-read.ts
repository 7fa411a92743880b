/**
 * Prediction's and the MCP index's read from the local engine against the files store (issue #14 item 6): for each
 * source, in a fresh child process, open the `files` source warm (the DuckDB database or the files index the
 * previous runs left), read for training, train, then build the MCP tools' index the way the tools do (storeIndex: the engine store
 * hands out views over the same columns, resources added; the files store is paged) and answer one 50-event lookup
 * with raw records. Prints wall and CPU seconds of each step (CPU says more on a shared machine) and the load average.
 *
 *   npx tsx bench/engine-read.ts                       # the 1M set of bench/load.ts
 *   npx tsx bench/engine-read.ts --dir DIR --runs 3
 *   npx tsx bench/engine-read.ts --paths columns        # one read path only; `views` trains from a copy of
 *                                                      # readEvents' array, event by event (the path before columns)
 *   npx tsx bench/engine-read.ts --paths columns,plain  # `plain`: the same events as plain objects, what the models
 *                                                      # alone cost on this data
 *   npx tsx bench/engine-read.ts --sources files        # one source only (`duckdb`, `files`): an A/B against a
 *                                                      # worktree of another commit needs no DuckDB build there
 * Two read paths, each in its own process: `columns` (readTrainingColumns, what trainEngineFromStore and the MCP
 * prediction tools read: the store's columns, no event made) and `events` (readEvents, what the kernel's `predict`
 * reads: one view per event, an array that trains from the columns behind it).
 * The engine's columns are read from the table the first time and kept beside its database (`columns`: engine, then
 * kept); delete `<cache>/sql/*.columns` to measure the read from the table again.
 * The dataset is bench/load.ts's (`npx tsx bench/load.ts --sizes 1000000 --engines duckdb` makes it); the first run
 * of each source builds its cache (DuckDB database under $TRAILBOOK_CACHE_DIR/sql, files index under files-index)
 * and is reported as cold.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../cloudtrail/config.ts';
import type { TrailEvent } from '../cloudtrail/event.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    runs: { type: 'string', default: '2' },
    child: { type: 'string' },
    path: { type: 'string' },
    paths: { type: 'string', default: 'columns,events' },
    sources: { type: 'string', default: 'duckdb,files' },
  },
});

interface Step {
  wall: number;
  cpu: number;
}
interface ChildResult {
  cached: boolean;
  events: number;
  open: Step;
  read: Step;
  train: Step;
  index: Step;
  lookup: Step;
  /** Where the engine's columns came from: a scan of the table, or the copy kept beside the database. */
  columns?: string;
  peakRssMb: number;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, Step]> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = await fn();
  const c = process.cpuUsage(c0);
  return [out, { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }];
}

/** An event's fields as a plain object, as events built in memory are (no getters, no store behind it). */
function plainEvent(e: TrailEvent): TrailEvent {
  const { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly } = e;
  return { id, time, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly } as TrailEvent;
}

async function child(source: string, dir: string, path: string): Promise<void> {
  const { readEvents, readTrainingColumns, trainEngine } = await import('../predict/engine.ts');
  const [store, open] = await timed(async () => {
    if (source === 'duckdb') return (await import('../cloudtrail/stores/engine.ts')).openEngineStore(dir);
    return (await import('../cloudtrail/stores/files.ts')).openFilesStore(dir);
  });
  // columns: what trainEngineFromStore (the MCP tools) reads, no event made; events: readEvents (the kernel's
  // predict), whose array trains from the columns behind it.
  // views (for comparison): readEvents' events copied into a new array, which training reads event by event.
  // plain (for comparison): the fields prediction reads copied into plain objects, as events held in memory are; what
  // the models cost on this data whatever the store.
  const [events, read] = await timed(async () =>
    path === 'columns' ? readTrainingColumns(store) : path === 'views' ? [...(await readEvents(store))] : path === 'plain' ? (await readEvents(store)).map(plainEvent) : readEvents(store),
  );
  const [engine, train] = await timed(() => trainEngine(events));
  const { createToolContext } = await import('../mcp/context.ts');
  const { storeIndex, withRecords } = await import('../mcp/index/for-store.ts');
  const { indexPage } = await import('../mcp/index/lookup.ts');
  const { compactEvent } = await import('../mcp/events.ts');
  const ctx = createToolContext({ store });
  const [index, indexStep] = await timed(() => storeIndex(ctx));
  const [, lookup] = await timed(async () => {
    const page = indexPage(index, index.compile({}), { limit: 50, order: 'desc' });
    return (await withRecords(ctx, page.events)).map((e) => compactEvent(e, true));
  });
  const cached = 'engine' in store ? store.engine.opened.cached : (store as { stats: { cached: boolean } }).stats.cached;
  const { keptTable } = await import('../cloudtrail/stores/engine-columns.ts');
  const table = 'engine' in store ? await keptTable(store.engine) : undefined;
  await table?.kept;
  const result: ChildResult = { cached, events: engine.eventCount, open, read, train, index: indexStep, lookup, columns: table?.columns.from, peakRssMb: process.resourceUsage().maxRSS / 1024 };
  await (store as { indexSaved?: Promise<void> }).indexSaved;
  process.stdout.write(JSON.stringify(result) + '\n');
}

function parent(): void {
  const dir = resolve(values.dir ?? join(process.env.TRAILBOOK_CACHE_DIR ?? join(PROJECT_ROOT, '.cache'), 'bench', 'load-1000000'));
  const rows: string[][] = [];
  const s = (x: Step) => `${x.wall.toFixed(2)} / ${x.cpu.toFixed(2)}`;
  for (let run = 0; run < Number(values.runs); run++)
    for (const source of values.sources.split(','))
      for (const path of values.paths.split(',')) {
        const load = loadavg()[0];
        const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', source, '--path', path, '--dir', dir], { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: '' } });
        const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
        const total = { wall: r.open.wall + r.read.wall + r.train.wall, cpu: r.open.cpu + r.read.cpu + r.train.cpu };
        rows.push([source === 'duckdb' ? 'engine (DuckDB)' : 'files store', path === 'columns' ? 'readTrainingColumns' : path === 'views' ? 'views (copy)' : path === 'plain' ? 'plain objects' : 'readEvents', r.cached ? 'warm' : 'cold', r.columns ?? '-', String(r.events), s(r.open), s(r.read), s(r.train), s(total), s(r.index), s(r.lookup), r.peakRssMb.toFixed(0), `${load.toFixed(1)}-${loadavg()[0].toFixed(1)}`]);
      }
  const head = ['source', 'read by', 'open', 'columns', 'events', 'open s / CPU-s', 'read s / CPU-s', 'train s / CPU-s', 'open+read+train', 'MCP index', '50 with raw', 'peak RSS MB', 'load avg'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(`${dir}`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

if (values.child) await child(values.child, values.dir!, values.path ?? 'columns');
else parent();
