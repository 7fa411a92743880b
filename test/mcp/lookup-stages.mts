// Where the time of one stateless HTTP tool call goes: timestamps per stage inside each request, on the server
// (in this process) and on the client (a process of its own, plain keep-alive POSTs as measure.mts makes).
//
//   npx tsx test/mcp/lookup-stages.mts                       # 1,000,000 events, 50-event lookup, 201 calls
//   npx tsx test/mcp/lookup-stages.mts --events 20000 --calls 101
//
// The server's stages are read by wrapping the methods each stage runs through (the transport's handleRequest,
// onmessage and send, the tool's handler, the SDK's output check, the response's end): nothing in mcp/ knows
// it is watched, so the figures are of the code as it runs in production, plus a few performance.now() calls.
// Reuses the dataset measure.mts generates (os.tmpdir()/trailbook-mcp-measure-<events>).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { startMcpHttpServer } from '../../mcp/http.ts';
import { StatelessHttpTransport } from '../../mcp/http-transport.ts';
import { ServerPool } from '../../mcp/server-pool.ts';
import { answerMessages } from './answer-body.ts';
import { openMeasureStore } from './measure-data.ts';
import { load, median, stageTable } from './stage-table.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    calls: { type: 'string', default: '201' },
    tool: { type: 'string', default: 'lookup_cloudtrail_events' },
    args: { type: 'string', default: '{"max_results":50}' },
    client: { type: 'string' },
    profile: { type: 'string' },
    alloc: { type: 'string' },
  },
});
const calls = Number(values.calls);
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

if (values.client) {
  const { url, token } = JSON.parse(values.client) as { url: string; token: string };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const params = { name: values.tool, arguments: JSON.parse(values.args!) };
  const rows: Record<string, number>[] = [];
  let bytes = 0;
  const call = (id: number) =>
    new Promise<void>((resolve, reject) => {
      const t: Record<string, number> = { start: performance.now() };
      const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(Buffer.byteLength(body)) };
      const req = request(url, { method: 'POST', agent, headers }, (res) => {
        t.headers = performance.now();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          t['first body byte'] ??= performance.now();
          chunks.push(c);
        });
        res.on('end', () => {
          t['body end'] = performance.now();
          const text = Buffer.concat(chunks).toString('utf8');
          bytes = text.length;
          // As measure.mts reads it: SSE data lines, or a JSON body.
          const messages = answerMessages(res.headers['content-type'], text);
          const answer = messages.find((m) => m.id === id);
          t.parsed = performance.now();
          if (!answer?.result || answer.result.isError) reject(new Error(`no result: ${text.slice(0, 300)}`));
          rows.push(t);
          resolve();
        });
      });
      req.on('finish', () => (t['request written'] = performance.now()));
      req.on('error', reject);
      req.end(body);
    });
  const session = values.profile ? new Session() : undefined;
  session?.connect();
  await session?.post('Profiler.enable');
  await session?.post('Profiler.start');
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) await call(i + 1);
  if (session) writeFileSync(`${values.profile}.client`, JSON.stringify((await session.post('Profiler.stop')).profile));
  stageTable(`client (${bytes} characters a response)`, ['start', 'request written', 'headers', 'first body byte', 'body end', 'parsed'], rows, cpuMs(process.cpuUsage(cpu0)) / calls);
  process.exit(0);
}

// Server: wrap each stage's method to stamp the request it belongs to.
const stamps = new WeakMap<object, Record<string, number>>(); // by transport, server and response
const rows: Record<string, number>[] = [];
let current: Record<string, number> | undefined;
 // the request whose tool is running (one at a time here)

function wrap<T extends object>(target: T, name: keyof T & string, before: (self: any, args: any[]) => void, after?: (self: any, result: unknown) => void): void {
  const original = target[name] as unknown as (...a: unknown[]) => unknown;
  (target as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    before(this, args);
    const out = original.apply(this, args);
    if (after) {
      if (out instanceof Promise) void out.then((r) => after(this, r));
      else after(this, out);
    }
    return out;
  };
}

let built = 0; // servers the pool had to build (none idle)
wrap(ServerPool.prototype, 'acquire', (pool) => {
  current!.acquire = performance.now();
  if ((pool as unknown as { idle: unknown[] }).idle.length === 0) built++;
}, (_, server) => {
  const s = server as unknown as { __stageWrapped?: boolean; _registeredTools: Record<string, { handler: (...a: unknown[]) => unknown }> };
  stamps.set(s, current!);
  if (s.__stageWrapped) return;
  s.__stageWrapped = true;
  for (const tool of Object.values(s._registeredTools)) {
    const h = tool.handler;
    tool.handler = async (...a: unknown[]) => {
      const t = stamps.get(s)!;
      t['tool start'] = performance.now();
      const r = await h(...a);
      t['tool end'] = performance.now();
      return r;
    };
  }
});
wrap(McpServer.prototype, 'connect', () => undefined, (self) => (stamps.get(self)!['connected'] = performance.now()));
wrap(StatelessHttpTransport.prototype, 'handleRequest', (self: StatelessHttpTransport, [req]: IncomingMessage[]) => {
  const t = current!;
  stamps.set(self, t);
  t['handleRequest'] = performance.now();
  req.once('end', () => (t['body read'] = performance.now()));
  const onmessage = self.onmessage!;
  self.onmessage = (m, extra) => {
    t['parsed, dispatched'] ??= performance.now();
    onmessage(m, extra);
  };
});
wrap(McpServer.prototype, 'validateToolOutput' as keyof McpServer & string, (self) => (stamps.get(self)!['output check start'] = performance.now()), (self) => (stamps.get(self)!['output checked'] = performance.now()));
wrap(StatelessHttpTransport.prototype, 'send', (self) => (stamps.get(self)!['send'] ??= performance.now()));

const { store, status, now } = await openMeasureStore(Number(values.events));
const http = await startMcpHttpServer({ store, port: 0, now });
http.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
  const t: Record<string, number> = { received: performance.now() };
  current = t;
  const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
  (res as { end: unknown }).end = (...a: unknown[]) => {
    t['serialised, end()'] ??= performance.now();
    const r = end(...a);
    t['end() returned'] ??= performance.now();
    return r;
  };
  res.once('finish', () => {
    t.finish = performance.now();
    rows.push(t);
  });
});
// Warm the index (and JIT) before the timed calls, as a server that has answered a few requests is.
console.log(`store: ${status.count} events; load average ${load()}`);
// --profile FILE: a CPU profile of this process over the calls only (open it in Chrome DevTools).
const session = values.profile ? new Session() : undefined;
session?.connect();
await session?.post('Profiler.enable');
await session?.post('Profiler.start');
// --alloc FILE: a sampling heap profile of what the calls allocate (bytes by function; .heapprofile for DevTools).
const allocSession = values.alloc ? new Session() : undefined;
allocSession?.connect();
await allocSession?.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const cpu0 = process.cpuUsage();
const client = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--calls', String(calls), '--tool', values.tool!, '--args', values.args!, ...(values.profile ? ['--profile', values.profile] : []), '--client', JSON.stringify({ url: http.url, token: http.token })], { stdio: 'inherit' });
await new Promise((done) => client.once('exit', done));
const cpu = process.cpuUsage(cpu0);
if (session) writeFileSync(values.profile!, JSON.stringify((await session.post('Profiler.stop')).profile));
if (allocSession) writeFileSync(values.alloc!, JSON.stringify((await allocSession.post('HeapProfiler.stopSampling')).profile));
stageTable(
  'server',
  ['received', 'acquire', 'connected', 'handleRequest', 'body read', 'parsed, dispatched', 'tool start', 'tool end', 'output check start', 'output checked', 'send', 'serialised, end()', 'end() returned', 'finish'],
  rows,
  cpuMs(cpu) / calls,
);
console.log(`  servers built by the pool: ${built} for ${calls} calls`);
await http.close();
