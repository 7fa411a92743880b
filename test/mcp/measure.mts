// Prints MCP server figures at a given size: per-call latency in-process and over stateless Streamable HTTP,
// against the goals of issue #14, on the generated sample dataset opened by the files source.
//
//   npx tsx test/mcp/measure.mts                   # 1,000,000 events
//   npx tsx test/mcp/measure.mts --events 200000 --reps 9
//
// The dataset is generated once per size into os.tmpdir()/trailbook-mcp-measure-<events> and reused
// (generating 1M events takes minutes); delete that folder to regenerate.
import { spawn } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { generate, hasDeliveryFiles } from '../../cloudtrail/generator/index.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { createToolContext } from '../../mcp/context.ts';
import { startMcpHttpServer } from '../../mcp/http.ts';
import { storeIndex } from '../../mcp/index/for-store.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '7' }, client: { type: 'string' } } });
const n = Number(values.events);
const reps = Number(values.reps);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** One JSON-RPC request, raw: the figures are the server's (and the transport's), not an SDK client's result validation. */
type Rpc = (method: string, params?: Record<string, unknown>) => Promise<{ result?: { isError?: boolean; content?: unknown }; error?: unknown }>;

let nextId = 1;
function httpRpc(url: string, token: string): Rpc {
  return async (method, params) => {
    const id = nextId++;
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    });
    const text = await res.text();
    // An SSE body: the answer is the data line with our id (log notifications may come before it).
    const messages = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    return messages.find((m) => m.id === id) ?? { error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
  };
}

interface Call { label: string; goalMs?: number; method: string; params?: (rep: number) => Record<string, unknown> }
const tool = (label: string, goalMs: number | undefined, name: string, args: Record<string, unknown> | ((rep: number) => Record<string, unknown>)): Call => ({
  label,
  goalMs,
  method: 'tools/call',
  params: (rep) => ({ name, arguments: typeof args === 'function' ? args(rep) : args }),
});
/** What the calls ask for, drawn from the data by the parent process; a client process gets it as JSON. */
interface Plan { principal: string; failing: string; ids: string[] }

const callsFor = ({ principal, failing, ids }: Plan): Call[] => [
  { label: 'tools/list', goalMs: 5, method: 'tools/list' },
  tool('lookup_cloudtrail_events {max_results: 50}', 5, 'lookup_cloudtrail_events', { max_results: 50 }),
  tool(`lookup_cloudtrail_events {username: ${principal}, max_results: 50}`, undefined, 'lookup_cloudtrail_events', { username: principal, max_results: 50 }),
  tool(`lookup_cloudtrail_events {event_name: ${failing}, errors_only, -7d}`, undefined, 'lookup_cloudtrail_events', { event_name: failing, errors_only: true, start_time: '-7d', max_results: 50 }),
  tool('get_cloudtrail_event, another id each time, include_raw: false', 2, 'get_cloudtrail_event', (rep) => ({ event_id: ids[rep % ids.length], include_raw: false })),
  tool('get_cloudtrail_event, another id each time (raw record read back)', undefined, 'get_cloudtrail_event', (rep) => ({ event_id: ids[(rep + 1) % ids.length] })),
  tool('get_cloudtrail_event_names {top: 10}', 50, 'get_cloudtrail_event_names', { top: 10 }),
  tool(`get_cloudtrail_event_names {username: ${principal}}`, 50, 'get_cloudtrail_event_names', { username: principal }),
  tool('get_cloudtrail_activity_timeline {bucket: hour}', 50, 'get_cloudtrail_activity_timeline', { bucket: 'hour' }),
  tool('get_cloudtrail_activity_timeline {errors_only, day}', 50, 'get_cloudtrail_activity_timeline', { errors_only: true, bucket: 'day' }),
  tool('list_cloudtrail_principals {}', 100, 'list_cloudtrail_principals', {}),
  tool('list_cloudtrail_principals {start_time: -7d}', 100, 'list_cloudtrail_principals', { start_time: '-7d' }),
];

async function measure(rpc: Rpc, calls: Call[], title: string): Promise<void> {
  console.log(`${title}: first call, then median and slowest of ${reps} more (answers are kept per filter, so repeats are cheaper); load average ${load()}`);
  for (const call of calls) {
    const run = async (rep: number) => {
      const r = await rpc(call.method, call.params?.(rep));
      if (r.error || r.result?.isError) throw new Error(`${call.label}: ${JSON.stringify(r.error ?? r.result?.content)}`);
    };
    const s0 = performance.now();
    await run(reps); // the first: JIT, and no kept answer yet
    const first = performance.now() - s0;
    const ms: number[] = [];
    for (let r = 0; r < reps; r++) {
      const s = performance.now();
      await run(r);
      ms.push(performance.now() - s);
    }
    ms.sort((a, b) => a - b);
    const median = ms[Math.floor(reps / 2)];
    const goal = call.goalMs === undefined ? '' : `goal < ${call.goalMs} ms: ${median < call.goalMs ? 'met' : 'MISSED'}`;
    const f = (x: number) => `${x.toFixed(2).padStart(8)} ms`;
    console.log(`  ${call.label.padEnd(66)} ${f(first)} ${f(median)} ${f(ms[reps - 1])}   ${goal}`);
  }
}

if (values.client) {
  // The HTTP client runs in a process of its own, as a real one does: the server's process only serves.
  const { url, token, plan } = JSON.parse(values.client) as { url: string; token: string; plan: Plan };
  await measure(httpRpc(url, token), callsFor(plan), `stateless Streamable HTTP from another process, a new server per request (${url})`);
  process.exit(0);
}

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
// Relative times (-7d) count back from just after the last event, so they select data whatever today is.
const now = () => (status.end ?? Date.now()) + 60_000;
t = performance.now();
const index = await storeIndex(context);
// Typed arrays the index holds (the events themselves belong to the store).
const columnBytes = Object.values(index).concat(Object.values(index.keyAction), Object.values(index.keyIp), Object.values(index.keyRegion)).reduce((b: number, v) => b + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0);
console.log(`MCP index built in ${(performance.now() - t).toFixed(0)} ms, ${(columnBytes / 2 ** 20).toFixed(0)} MB of columns + ${(index.size * 8 / 2 ** 20).toFixed(0)} MB of event references; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB; load average ${load()}`);

// Arguments drawn from the data: its busiest principal, an action with failures, events spread over the range.
const counts = new Map<string, number>();
for (let i = 0; i < index.size; i += 97) counts.set(index.keys.names[index.key[i]], (counts.get(index.keys.names[index.key[i]]) ?? 0) + 1);
const principal = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? index.keys.names[0];
let failing = index.events[index.size - 1].name;
for (let i = index.size - 1; i >= 0; i--) if (index.events[i].errorCode) { failing = index.events[i].name; break; }
const ids = Array.from({ length: reps + 1 }, (_, r) => index.events[Math.floor(((r + 0.5) / (reps + 1)) * index.size)].id);

const plan: Plan = { principal, failing, ids };

async function inProcessRpc(): Promise<Rpc> {
  const server = createCloudTrailMcpServer({ store, context: { ...context, now } });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const pending = new Map<number, (m: any) => void>();
  clientSide.onmessage = (m: any) => pending.get(m.id)?.(m);
  await clientSide.start();
  return (method, params) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void clientSide.send({ jsonrpc: '2.0', id, method, params });
    });
}

await measure(await inProcessRpc(), callsFor(plan), 'in-process (InMemoryTransport)');

const http = await startMcpHttpServer({ store, port: 0, now });
// The server's own share of each request (headers in to response finished), apart from the client and the wire.
const serverMs: number[] = [];
http.server.on('request', (_req, res) => {
  const s0 = performance.now();
  res.once('finish', () => serverMs.push(performance.now() - s0));
});
const client = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--reps', String(reps), '--client', JSON.stringify({ url: http.url, token: http.token, plan })], { stdio: 'inherit' });
await new Promise((done) => client.once('exit', done));
console.log(`  server side of the same requests (request received to response finished), median of the ${reps} after the first:`);
callsFor(plan).forEach((call, k) => {
  const ms = serverMs.slice(k * (reps + 1) + 1, (k + 1) * (reps + 1)).sort((a, b) => a - b);
  console.log(`  ${call.label.padEnd(66)} ${ms[Math.floor(ms.length / 2)]?.toFixed(2).padStart(8)} ms`);
});
await http.close();
