/**
 * %%sql cells: how long an interrupt takes to end a running DuckDB query (interrupt → the cell's reply), and the
 * next cell's round trip, over the fixture records. Run: npx tsx bench/sql-interrupt.ts [--runs N] [--after-ms MS]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createKernelHost } from '../kernel/host.ts';
import { fixtureRecords, writeFixtureDir } from '../test/mcp/fixture.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, 'after-ms': { type: 'string', default: '1000' } } });
const runs = Number(values.runs);
const afterMs = Number(values['after-ms']);
const SLOW = '%%sql slow\nSELECT count(*) AS n FROM range(100000000000) a WHERE a.range % 7 = 3';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

const dir = await writeFixtureDir(fixtureRecords());
const cache = mkdtempSync(join(tmpdir(), 'trailbook-bench-sql-'));
const host = createKernelHost({ typecheck: 'off' });
const kernel = await host.start({ env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dir, TRAILBOOK_CACHE_DIR: cache } });
try {
  if ((await kernel.execute({ code: '%%sql\nSELECT count(*) AS n FROM cloudtrail' })).status !== 'ok') throw new Error('the table did not open');
  const stops: number[] = [];
  const next: number[] = [];
  for (let i = 0; i < runs; i++) {
    const running = kernel.execute({ code: SLOW });
    await new Promise((r) => setTimeout(r, afterMs));
    const t0 = performance.now();
    const { stateLost } = await kernel.interrupt();
    const reply = await running;
    stops.push(performance.now() - t0);
    if (stateLost || reply.status !== 'aborted') throw new Error(`run ${i}: ${reply.status}, state lost: ${stateLost}`);
    const t1 = performance.now();
    if ((await kernel.execute({ code: '%%sql\nSELECT 1 AS one' })).status !== 'ok') throw new Error('the next cell failed');
    next.push(performance.now() - t1);
  }
  // When the query itself ends in DuckDB (not just the cell's wait for it): the abandoned query's own promise.
  const engineStops: number[] = [];
  for (let i = 0; i < runs; i++) {
    const running = kernel.execute({ code: `globalThis.pending = sql.query(${JSON.stringify(SLOW.split('\n')[1])}).then(() => ['finished', Date.now()], (e) => [e.kind, Date.now()]); await pending` });
    await new Promise((r) => setTimeout(r, afterMs));
    const t0 = Date.now();
    await kernel.interrupt();
    await running;
    const r = await kernel.execute({ code: 'await pending' });
    const [kind, at] = (r.outputs.find((o) => o.output_type === 'execute_result') as { data: Record<string, unknown> } | undefined)?.data['application/json'] as [string, number];
    if (kind !== 'cancelled') throw new Error(`run ${i}: the query ended as ${kind}`);
    engineStops.push(at - t0);
  }
  console.log(`interrupt → the DuckDB query rejected as cancelled: median ${ms(quantile(engineStops, 0.5))}, max ${ms(Math.max(...engineStops))}`);
  console.log(`interrupt → reply of a running %%sql cell (${runs} runs, interrupted ${afterMs} ms in): median ${ms(quantile(stops, 0.5))}, max ${ms(Math.max(...stops))}`);
  console.log(`next %%sql cell (SELECT 1) right after: median ${ms(quantile(next, 0.5))}, max ${ms(Math.max(...next))}`);
} finally {
  await host.shutdownAll();
  rmSync(cache, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
