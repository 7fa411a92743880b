// Where the time of one tool call made through the SDK's own Client (StreamableHTTPClientTransport on fetch)
// goes, on the client's side: timestamps per stage inside each call, the server in this process, the client in
// a process of its own (as measure.mts runs them), once as the server answers and once through a proxy that turns
// a one-message SSE answer into application/json. Then the same request with fetch and text() alone (the client's
// floor), and the answer parsed from memory both ways the SDK reads one: `response.json()` for application/json,
// TextDecoderStream + EventSourceParserStream for text/event-stream.
//
//   npx tsx test/mcp/client-stages.mts                       # 1,000,000 events, event by id, 201 calls
//   npx tsx test/mcp/client-stages.mts --events 20000 --calls 101 --tool get_cloudtrail_event_names --args '{"top":10}'
//
// Reuses the dataset measure.mts generates (os.tmpdir()/trailbook-mcp-measure-<events>).
import { spawn } from 'node:child_process';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { startMcpHttpServer } from '../../mcp/http.ts';
import { storeIndex } from '../../mcp/index/for-store.ts';
import { createToolContext } from '../../mcp/context.ts';
import { answerMessages } from './answer-body.ts';
import { openMeasureStore } from './measure-data.ts';
import { load, median, stageTable } from './stage-table.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    calls: { type: 'string', default: '201' },
    tool: { type: 'string', default: 'get_cloudtrail_event' },
    args: { type: 'string' },
    client: { type: 'string' },
  },
});
const calls = Number(values.calls);

async function probe(url: string, token: string, args: Record<string, unknown>[], shape: string): Promise<void> {
  const argsFor = (i: number) => args[i % args.length];
  let t: Record<string, number> = {};
  const rows: Record<string, number>[] = [];
  const timedFetch: typeof fetch = async (input, init) => {
    t['fetch called'] = performance.now();
    const res = await fetch(input, init);
    t.headers = performance.now();
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: timedFetch, requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'client-stages', version: '1' });
  await client.connect(transport);
  await client.listTools();
  // The transport hands each parsed message to the client here (after the body is read and parsed).
  const onmessage = transport.onmessage!;
  transport.onmessage = (m) => {
    t['message parsed'] = performance.now();
    onmessage(m);
  };
  // The output-schema validator the client compiled from tools/list; the result schema's parse runs before it.
  const validators = (client as unknown as { _cachedToolOutputValidators: Map<string, (v: unknown) => unknown> })._cachedToolOutputValidators;
  for (const [name, validate] of validators) {
    validators.set(name, (v) => {
      t['result parsed'] = performance.now();
      const r = validate(v);
      t['output validated'] = performance.now();
      return r;
    });
  }
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    t = { start: performance.now() };
    const r = await client.callTool({ name: values.tool!, arguments: argsFor(i) });
    t.returned = performance.now();
    if (r.isError) throw new Error(JSON.stringify(r.content));
    rows.push(t);
  }
  const cpu = process.cpuUsage(cpu0);
  stageTable(`SDK Client.callTool(${values.tool}), ${shape}`, ['start', 'fetch called', 'headers', 'message parsed', 'result parsed', 'output validated', 'returned'], rows, (cpu.user + cpu.system) / 1000 / calls, 52);
  await client.close();

  // The same request with fetch alone, its answer read three ways.
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
  let id = 1_000_000;
  const post = (i: number) => fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: values.tool, arguments: argsFor(i) } }) });
  const ms: number[] = [];
  let answer = { contentType: '', body: '' };
  const c0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    const res = await post(i);
    answer = { contentType: res.headers.get('content-type') ?? '', body: await res.text() };
    ms.push(performance.now() - s);
  }
  const c = process.cpuUsage(c0);
  console.log(`  fetch + text() alone (${answer.contentType}): ${median(ms.slice(5)).toFixed(3)} ms, ${((c.user + c.system) / 1000 / calls).toFixed(3)} CPU-ms a call`);

  // The last answer parsed from memory, no network, the two ways the SDK's client reads an answer to a POST.
  const json = JSON.stringify(answerMessages(answer.contentType, answer.body)[0]);
  const parsers: Record<string, () => Promise<unknown>> = {
    'application/json: response.json()': async () => JSONRPCMessageSchema.parse(await new Response(json).json()),
    'text/event-stream: TextDecoderStream + EventSourceParserStream': async () => {
      const reader = new Response(`event: message\ndata: ${json}\n\n`).body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) JSONRPCMessageSchema.parse(JSON.parse(r.value.data));
    },
  };
  const times = calls * 10;
  for (const [name, parse] of Object.entries(parsers)) {
    for (let i = 0; i < 500; i++) await parse();
    const t0 = performance.now();
    const p0 = process.cpuUsage();
    for (let i = 0; i < times; i++) await parse();
    const p = process.cpuUsage(p0);
    console.log(`  ${name.padEnd(64)} ${(((performance.now() - t0) * 1000) / times).toFixed(0).padStart(5)} µs, ${((p.user + p.system) / times).toFixed(0).padStart(5)} CPU-µs an answer of ${json.length} characters`);
  }
}

if (values.client) {
  const { urls, token, args } = JSON.parse(values.client) as { urls: Record<string, string>; token: string; args: Record<string, unknown>[] };
  for (const [shape, url] of Object.entries(urls)) await probe(url, token, args, shape);
  process.exit(0);
}

/**
 * A proxy in front of the server that turns an SSE answer carrying one message into an application/json answer,
 * so that both shapes can be priced on the client whatever the server sends (the proxy's cost is the server's).
 */
async function jsonProxy(target: string): Promise<{ url: string; close(): void }> {
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    const up = request(target, { method: req.method, headers: req.headers, agent }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const messages = answer.headers['content-type'] === 'text/event-stream' ? answerMessages('text/event-stream', text) : [];
        if (messages.length === 1) {
          res.writeHead(answer.statusCode!, { 'content-type': 'application/json' }).end(JSON.stringify(messages[0]));
        } else {
          res.writeHead(answer.statusCode!, answer.headers).end(text);
        }
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${new URL(target).pathname}`, close: () => (server.closeAllConnections(), server.close()) };
}

const { store, status, now } = await openMeasureStore(Number(values.events));
const http = await startMcpHttpServer({ store, port: 0, now });
// Arguments: given, or (for event by id) ids spread over the data, another one each call.
let args: Record<string, unknown>[] = [JSON.parse(values.args ?? '{}')];
if (values.args === undefined && values.tool === 'get_cloudtrail_event') {
  const index = await storeIndex(createToolContext({ store }));
  args = Array.from({ length: 64 }, (_, r) => ({ event_id: index.events[Math.floor(((r + 0.5) / 64) * index.size)].id, include_raw: false }));
}
console.log(`store: ${status.count} events; load average ${load()}`);
const proxy = await jsonProxy(http.url);
const urls = { 'as the server answers': http.url, 'single answers turned into application/json by a proxy': proxy.url };
const cpu0 = process.cpuUsage();
const client = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--calls', String(calls), '--tool', values.tool!, '--client', JSON.stringify({ urls, token: http.token, args })], { stdio: 'inherit' });
await new Promise((done) => client.once('exit', done));
const cpu = process.cpuUsage(cpu0);
console.log(`server process (with the proxy): ${((cpu.user + cpu.system) / 1000 / (calls * 8)).toFixed(3)} CPU-ms a request on average`);
proxy.close();
await http.close();
