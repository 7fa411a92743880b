// Prints MCP server figures: per-tool latency in-process and over stateless HTTP, on a synthetic store.
// Run: npx tsx test/mcp/measure.mts [events=200000]
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { normalise } from '../../cloudtrail/event.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { startMcpHttpServer } from '../../mcp/http.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { FIXTURE_END, fixtureRecords } from './fixture.ts';

const n = Number(process.argv[2] ?? 200_000);
const t0 = performance.now();
const events = fixtureRecords(n).map((r) => normalise(CloudTrailRecord.parse(r)));
const store = new MemoryStore(events);
console.log(`store: ${n} events built in ${(performance.now() - t0).toFixed(0)} ms`);

const calls: [string, Record<string, unknown>][] = [
  ['lookup_cloudtrail_events', { max_results: 50 }],
  ['lookup_cloudtrail_events', { max_results: 1000, username: 'alice' }],
  ['lookup_cloudtrail_events', { max_results: 50, event_name: 'RunInstances', errors_only: true, start_time: '-24h' }],
  ['get_cloudtrail_event_names', { top: 10 }],
  ['list_cloudtrail_principals', {}],
  ['get_cloudtrail_activity_timeline', { bucket: 'hour' }],
  ['get_cloudtrail_event', { event_id: events[Math.floor(n / 2)].id }],
];

async function time(client: Client, label: string, reps = 5) {
  console.log(label);
  for (const [name, args] of calls) {
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const s = performance.now();
      const r = await client.callTool({ name, arguments: args });
      ms.push(performance.now() - s);
      if (r.isError) throw new Error(JSON.stringify(r.content));
    }
    ms.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(34)} ${JSON.stringify(args).slice(0, 70).padEnd(72)} median ${ms[Math.floor(reps / 2)].toFixed(1)} ms`);
  }
}

const server = createCloudTrailMcpServer({ store, now: () => FIXTURE_END });
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(a);
const inProc = new Client({ name: 'measure', version: '1' });
await inProc.connect(b);
await time(inProc, 'in-process (InMemoryTransport)');
await inProc.close();

const http = await startMcpHttpServer({ store, port: 0, now: () => FIXTURE_END });
const remote = new Client({ name: 'measure', version: '1' });
await remote.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${http.token}` } } }));
await time(remote, `stateless Streamable HTTP (${http.url}, new server per request)`);
const s = performance.now();
for (let i = 0; i < 50; i++) await remote.listTools();
console.log(`  tools/list round trip: ${((performance.now() - s) / 50).toFixed(2)} ms mean over 50`);
await remote.close();
await http.close();
