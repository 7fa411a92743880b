// Prints MCP server figures at a given size: per-call latency in-process and over stateless Streamable HTTP,
// against the goals of issue #14, on the generated sample dataset opened by the files source.
//
//   npx tsx test/mcp/measure.mts                   # 1,000,000 events
//   npx tsx test/mcp/measure.mts --events 200000 --reps 9
//
// The dataset is generated once per size into os.tmpdir()/trailbook-mcp-measure-<events> and reused
// (generating 1M events takes minutes); delete that folder to regenerate.
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { generate, hasDeliveryFiles } from '../../cloudtrail/generator/index.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { createToolContext } from '../../mcp/context.ts';
import { startMcpHttpServer } from '../../mcp/http.ts';
import { storeIndex } from '../../mcp/index/for-store.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '7' } } });
const n = Number(values.events);
const reps = Number(values.reps);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

const dir = join(tmpdir(), `trailbook-mcp-measure-${n}`);
if (!hasDeliveryFiles(dir)) {
  const t = performance.now();
  console.log(`generating ${n} events into ${dir} (once) ...`);
  generate({ outDir: dir, events: n, days: 30, seed: 42 });
  console.log(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
let t = performance.now();
const store = await openFilesStore(dir);
const status = await store.status();
console.log(`store: ${status.count} events from ${dir}, opened in ${(performance.now() - t).toFixed(0)} ms (index cache: ${store.stats.cached})`);
const context = createToolContext({ store });
t = performance.now();
const index = await storeIndex(context);
console.log(`MCP index built in ${(performance.now() - t).toFixed(0)} ms; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB; load average ${load()}`);

// Arguments drawn from the data: its busiest principal, an action with failures, events spread over the range.
const counts = new Map<string, number>();
for (let i = 0; i < index.size; i += 97) counts.set(index.keys.values[index.key[i]], (counts.get(index.keys.values[index.key[i]]) ?? 0) + 1);
const principal = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? index.keys.values[0];
let failing = index.events[index.size - 1].name;
for (let i = index.size - 1; i >= 0; i--) if (index.events[i].errorCode) { failing = index.events[i].name; break; }
const ids = Array.from({ length: reps }, (_, r) => index.events[Math.floor(((r + 0.5) / reps) * index.size)].id);

interface Call { label: string; goalMs?: number; run: (c: Client, rep: number) => Promise<unknown> }
const tool = (name: string, args: Record<string, unknown> | ((rep: number) => Record<string, unknown>)) => async (c: Client, rep: number) => {
  const r = await c.callTool({ name, arguments: typeof args === 'function' ? args(rep) : args });
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
};
const calls: Call[] = [
  { label: 'tools/list', goalMs: 5, run: (c) => c.listTools() },
  { label: 'lookup_cloudtrail_events {max_results: 50}', goalMs: 5, run: tool('lookup_cloudtrail_events', { max_results: 50 }) },
  { label: `lookup_cloudtrail_events {username: ${principal}, max_results: 50}`, run: tool('lookup_cloudtrail_events', { username: principal, max_results: 50 }) },
  { label: `lookup_cloudtrail_events {event_name: ${failing}, errors_only, -7d}`, run: tool('lookup_cloudtrail_events', { event_name: failing, errors_only: true, start_time: '-7d', max_results: 50 }) },
  { label: 'get_cloudtrail_event (a different id each time)', goalMs: 2, run: tool('get_cloudtrail_event', (rep) => ({ event_id: ids[rep % ids.length] })) },
  { label: 'get_cloudtrail_event_names {top: 10}', goalMs: 50, run: tool('get_cloudtrail_event_names', { top: 10 }) },
  { label: `get_cloudtrail_event_names {username: ${principal}}`, goalMs: 50, run: tool('get_cloudtrail_event_names', { username: principal }) },
  { label: 'get_cloudtrail_activity_timeline {bucket: hour}', goalMs: 50, run: tool('get_cloudtrail_activity_timeline', { bucket: 'hour' }) },
  { label: 'get_cloudtrail_activity_timeline {errors_only, day}', goalMs: 50, run: tool('get_cloudtrail_activity_timeline', { errors_only: true, bucket: 'day' }) },
  { label: 'list_cloudtrail_principals {}', goalMs: 100, run: tool('list_cloudtrail_principals', {}) },
  { label: 'list_cloudtrail_principals {start_time: -7d}', goalMs: 100, run: tool('list_cloudtrail_principals', { start_time: '-7d' }) },
];

async function measure(client: Client, title: string): Promise<void> {
  console.log(`${title} (median / slowest of ${reps}; load average ${load()})`);
  for (const call of calls) {
    await call.run(client, 0); // warm-up: JIT, caches
    const ms: number[] = [];
    for (let r = 0; r < reps; r++) {
      const s = performance.now();
      await call.run(client, r);
      ms.push(performance.now() - s);
    }
    ms.sort((a, b) => a - b);
    const median = ms[Math.floor(reps / 2)];
    const goal = call.goalMs === undefined ? '' : `goal < ${call.goalMs} ms: ${median < call.goalMs ? 'met' : 'MISSED'}`;
    console.log(`  ${call.label.padEnd(66)} ${median.toFixed(2).padStart(8)} ms ${ms[reps - 1].toFixed(2).padStart(8)} ms   ${goal}`);
  }
}

const now = () => (status.end ?? Date.now()) + 60_000;
const server = createCloudTrailMcpServer({ store, context: { ...context, now } });
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(a);
const inProcess = new Client({ name: 'measure', version: '1' });
await inProcess.connect(b);
await measure(inProcess, 'in-process (InMemoryTransport)');
await inProcess.close();

const http = await startMcpHttpServer({ store, port: 0, now });
const remote = new Client({ name: 'measure', version: '1' });
await remote.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${http.token}` } } }));
await measure(remote, `stateless Streamable HTTP, a new server per request (${http.url})`);
await remote.close();
await http.close();
