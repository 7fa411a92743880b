/**
 * EngineStore.get(id) at 1M (issue #14): the whole-row filter on the id that get() sent before (every column of
 * the table read to find one row), get() before the engine's columns are read (a query on the id's columns for the
 * rowid, then that row), and get() once they are (an id index over the columns' UUIDs, then the row by rowid).
 * Prints the median, min and max wall ms over a sample of ids, CPU ms per get, and the load average.
 *
 *   npx tsx bench/engine-get.ts                     # the 1M set of bench/load.ts
 *   npx tsx bench/engine-get.ts --dir DIR --ids 7
 * The DuckDB database is the one bench/load.ts or bench/engine-read.ts left in $TRAILBOOK_CACHE_DIR/sql.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../cloudtrail/config.ts';
import { eventColumns, literal } from '../cloudtrail/stores/athena-sql.ts';
import { engineTable } from '../cloudtrail/stores/engine-columns.ts';
import { DUCKDB, openEngineStore } from '../cloudtrail/stores/engine.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, ids: { type: 'string', default: '7' } } });
const dir = resolve(values.dir ?? join(process.env.TRAILBOOK_CACHE_DIR ?? join(PROJECT_ROOT, '.cache'), 'bench', 'load-1000000'));
const store = await openEngineStore(dir);
const ids = await store.engine.withConnection(async (conn) =>
  ((await conn.runAndReadAll(`SELECT eventid FROM cloudtrail USING SAMPLE ${Number(values.ids)} ROWS`)).getRowsJS() as [string][]).map(([id]) => id),
);

async function time(label: string, get: (id: string) => Promise<unknown>): Promise<void> {
  const walls: number[] = [];
  const c0 = process.cpuUsage();
  for (const id of ids) {
    const t0 = performance.now();
    if (!(await get(id))) throw new Error(`${label}: ${id} not found`);
    walls.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  walls.sort((a, b) => a - b);
  const ms = (x: number) => x.toFixed(1);
  console.log(`${label}: median ${ms(walls[walls.length >> 1])} ms (${ms(walls[0])}-${ms(walls[walls.length - 1])}), ${ms((c.user + c.system) / 1000 / ids.length)} CPU-ms per get, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

console.log(`${dir}: ${ids.length} ids`);
await time('whole-row filter on the id (get() before)', async (id) =>
  store.engine.withConnection(async (conn) => (await conn.runAndReadAll(`SELECT ${eventColumns(DUCKDB).join(', ')} FROM cloudtrail WHERE ${DUCKDB.id} = ${literal(id)} LIMIT 1`)).getRowsJS().length > 0),
);
await time('get(), columns not read', (id) => store.get(id));
const t0 = performance.now();
await engineTable(store.engine, DUCKDB);
await store.get(ids[0]);
console.log(`columns read (${(await engineTable(store.engine, DUCKDB)).columns.from}) and id index built: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
await time('get(), from the columns', (id) => store.get(id));
await store.close();
