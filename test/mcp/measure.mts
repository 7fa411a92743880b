// Prints MCP server figures at a given size: per-call latency in-process and over stateless Streamable HTTP,
// against the goals of issue #14, on the generated sample dataset opened by the files source.
//
//   npx tsx test/mcp/measure.mts                   # 1,000,000 events
//   npx tsx test/mcp/measure.mts --events 200000 --reps 9
//
// The dataset is generated once per size into os.tmpdir()/trailbook-mcp-measure-<events> and reused
// (generating 1M events takes minutes); delete that folder to regenerate.
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { generate, hasDeliveryFiles } from '../../cloudtrail/generator/index.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { createToolContext } from '../../mcp/context.ts';
import { startMcpHttpServer } from '../../mcp/http.ts';
import { storeIndex } from '../../mcp/index/for-store.ts';
import { LazyOutputValidators } from '../../mcp/output-validators.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { answerMessages } from './answer-body.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '7' }, client: { type: 'string' } } });
const n = Number(values.events);
const reps = Number(values.reps);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** One JSON-RPC request, raw: the figures are the server's (and the transport's), not an SDK client's result validation. */
type Rpc = (method: string, params?: Record<string, unknown>) => Promise<{ result?: { isError?: boolean; content?: unknown }; error?: unknown }>;

let nextId = 1;
/** Tells the server's timing listener which call a request belongs to (the label of the table row). */
const MEASURE_HEADER = 'x-trailbook-measure';

/**
 * Plain JSON-RPC POSTs over node:http with a keep-alive agent (one connection, as a client that keeps its
 * connection open has): the least a client can add to the server's time.
 */
function httpRpc(url: string, token: string): Rpc & { label?: string } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const rpc: Rpc & { label?: string } = (method, params) => {
    const id = nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'content-length': String(Buffer.byteLength(body)),
      [MEASURE_HEADER]: rpc.label ?? '',
    };
    return new Promise((resolve, reject) => {
      const req = request(target, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // A JSON body, or an SSE one whose data line with our id is the answer (log notifications may come before it).
          const messages = res.statusCode === 200 ? answerMessages(res.headers['content-type'], text) : [];
          resolve(messages.find((m) => m.id === id) ?? { error: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  };
  return rpc;
}

/**
 * The SDK's own client (StreamableHTTPClientTransport on fetch): what an MCP client application sees,
 * including its response parsing and its check of each tool result against the tool's output schema.
 */
async function sdkRpc(url: string, token: string, options?: ClientOptions): Promise<Rpc & { label?: string; close(): Promise<void> }> {
  let label = '';
  const fetchLabelled: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set(MEASURE_HEADER, label);
    return fetch(input, { ...init, headers });
  };
  const client = new Client({ name: 'measure', version: '1' }, options);
  label = 'initialize';
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchLabelled, requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  label = 'tools/list (validators)';
  await client.listTools(); // the client checks tool results against output schemas it learns from the list
  const rpc = (async (method, params) => {
    label = rpc.label ?? '';
    try {
      if (method === 'tools/list') return { result: await client.listTools() };
      if (method === 'tools/call') return { result: await client.callTool(params as { name: string; arguments: Record<string, unknown> }) };
      throw new Error(`measure.mts: the SDK client here makes tools/list and tools/call only, not ${method}`);
    } catch (error) {
      return { error: String(error) };
    }
  }) as Rpc & { label?: string; close(): Promise<void> };
  rpc.close = () => client.close();
  return rpc;
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

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const f = (x: number | undefined) => `${x === undefined ? '-' : x.toFixed(2)}`.padStart(8) + ' ms';

async function measure(rpc: Rpc & { label?: string }, calls: Call[], title: string, client: string): Promise<void> {
  console.log(`${title}: first call, then median, p90 and slowest of ${reps} more (answers are kept per filter, so repeats are cheaper); load average ${load()}`);
  const cpu0 = process.cpuUsage();
  for (const call of calls) {
    rpc.label = `${client} | ${call.label}`;
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
    console.log(`  ${call.label.padEnd(66)} ${f(first)} ${f(median)} ${f(percentile(ms, 0.9))} ${f(ms[reps - 1])}   ${goal}`);
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(`  (this process: ${((cpu.user + cpu.system) / 1e6).toFixed(2)} CPU-s for the ${calls.length * (reps + 1)} calls)`);
}

if (values.client) {
  // The HTTP clients run in a process of their own, as a real one does: the server's process only serves.
  const { url, token, plan } = JSON.parse(values.client) as { url: string; token: string; plan: Plan };
  const title = (how: string) => `stateless Streamable HTTP from another process, ${how} (${url})`;
  await measure(httpRpc(url, token), callsFor(plan), title('plain JSON-RPC POSTs on one keep-alive connection'), 'plain');
  const sdk = await sdkRpc(url, token);
  await measure(sdk, callsFor(plan), title("the SDK's Client and StreamableHTTPClientTransport (fetch)"), 'sdk');
  await sdk.close();
  const lazy = await sdkRpc(url, token, { jsonSchemaValidator: new LazyOutputValidators() });
  await measure(lazy, callsFor(plan), title("the same Client with the kernel's output checks (mcp/output-validators.ts: compiled when first used)"), 'kernel');
  await lazy.close();
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
  // Each answer is let go once delivered: a kept resolver holds its answer, and 504 kept answers (~70 KB each for
  // a lookup page) were promoted by every scavenge, tripling the in-process figures' CPU and weighing on the
  // HTTP figures taken after them in this process.
  clientSide.onmessage = (m: any) => {
    const resolve = pending.get(m.id);
    pending.delete(m.id);
    resolve?.(m);
  };
  await clientSide.start();
  return (method, params) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void clientSide.send({ jsonrpc: '2.0', id, method, params });
    });
}

await measure(await inProcessRpc(), callsFor(plan), 'in-process (InMemoryTransport)', 'in-process');

const http = await startMcpHttpServer({ store, port: 0, now });
// The server's own share of each request (headers in to response finished), apart from the client and the wire,
// by the call the client says it is making; and the server process's CPU time over all of them.
const serverMs = new Map<string, number[]>();
http.server.on('request', (req, res) => {
  const s0 = performance.now();
  const label = String(req.headers[MEASURE_HEADER] ?? '');
  res.once('finish', () => serverMs.set(label, [...(serverMs.get(label) ?? []), performance.now() - s0]));
});
const serverCpu0 = process.cpuUsage();
const client = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--reps', String(reps), '--client', JSON.stringify({ url: http.url, token: http.token, plan })], { stdio: 'inherit' });
await new Promise((done) => client.once('exit', done));
const serverCpu = process.cpuUsage(serverCpu0);
for (const [client, title] of [['plain', 'plain POSTs'], ['sdk', 'SDK client'], ['kernel', "SDK client with the kernel's output checks"]]) {
  console.log(`  server side of the ${title} (request received to response finished), median and p90 of the ${reps} after the first:`);
  for (const call of callsFor(plan)) {
    const ms = (serverMs.get(`${client} | ${call.label}`) ?? []).slice(1).sort((a, b) => a - b);
    console.log(`  ${call.label.padEnd(66)} ${f(ms[Math.floor(ms.length / 2)])} ${f(percentile(ms, 0.9))}`);
  }
}
const requests = [...serverMs.values()].reduce((n, l) => n + l.length, 0);
console.log(`  server process: ${((serverCpu.user + serverCpu.system) / 1e6).toFixed(2)} CPU-s for ${requests} HTTP requests (${((serverCpu.user + serverCpu.system) / 1e3 / requests).toFixed(2)} ms each on average, every tool included); load average ${load()}`);
await http.close();
