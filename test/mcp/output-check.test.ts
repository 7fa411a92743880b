import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { createToolContext, structuredResult, type ToolRegistrar } from '../../mcp/context.ts';
import { synchronousCheck } from '../../mcp/output-check.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { registrars } from '../../mcp/tools/index.ts';
import { FIXTURE_END } from './fixture.ts';
import { fixtureEvents } from './helpers.ts';

const store = new MemoryStore(fixtureEvents());
const now = () => FIXTURE_END;

/** A raw client over the SDK's in-memory link (no client-side output check: the server's check is what is tested). */
async function rawCall(server: McpServer, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const answer = new Promise<unknown>((resolve) => (clientSide.onmessage = (m) => 'id' in m && resolve(m)));
  await clientSide.start();
  await clientSide.send({ jsonrpc: '2.0', id: 1, method, params });
  const m = await answer;
  await server.close();
  return m;
}

/** The same registrars on a plain SDK server: the SDK's own (asynchronous) output check and tools/list. */
function plainServer(tools: ToolRegistrar[]): McpServer {
  const server = new McpServer({ name: 'plain', version: '1' }, { capabilities: { tools: {} } });
  const context = createToolContext({ store, now });
  for (const register of tools) register(server, context);
  return server;
}

const shape = z.object({ count: z.number().int(), names: z.array(z.object({ name: z.string(), n: z.number() })), note: z.string().optional() });
/** A tool returning what its argument says, so both valid and invalid structured content can be sent. */
const echo: ToolRegistrar = (server) =>
  server.registerTool('echo', { inputSchema: { value: z.record(z.string(), z.unknown()) }, outputSchema: shape }, async ({ value }) => structuredResult(value));

describe('tool output checked synchronously', () => {
  const values = [
    { count: 2, names: [{ name: 'a', n: 1 }] },
    { count: 2, names: [{ name: 'a', n: 1 }], note: 'x', extra: true },
    { count: 1.5, names: [] },
    { count: 2, names: [{ name: 'a', n: 'one' }, { n: 2 }] },
    { names: 'none' },
  ];
  it.each(values)('accepts and refuses as the SDK does, with the same message: %j', async (value) => {
    const ours = await rawCall(createCloudTrailMcpServer({ store, now, tools: [echo] }), 'tools/call', { name: 'echo', arguments: { value } });
    const theirs = await rawCall(plainServer([echo]), 'tools/call', { name: 'echo', arguments: { value } });
    expect(ours).toEqual(theirs);
  });

  it('refuses what the schema refuses, passing the issues on unchanged', () => {
    const check = synchronousCheck(shape);
    expect(check.safeParse({ count: 1, names: [] }).success).toBe(true);
    const bad = { count: 'x', names: [{ name: 1, n: 1 }] };
    expect(check.safeParse(bad).error?.issues).toEqual(shape.safeParse(bad).error?.issues);
  });

  it('keeps an asynchronous schema working (its check waits for it)', async () => {
    const slow = z.object({ ok: z.boolean().refine(async (v) => v, { message: 'not ok' }) });
    expect((await synchronousCheck(slow).safeParseAsync({ ok: true })).success).toBe(true);
    expect((await synchronousCheck(slow).safeParseAsync({ ok: false })).error?.issues.map((i) => i.message)).toEqual(['not ok']);
  });

  it('leaves tools/list as the SDK lists the registered schemas', async () => {
    const ours = (await rawCall(createCloudTrailMcpServer({ store, now }), 'tools/list')) as { result: unknown };
    const theirs = (await rawCall(plainServer(registrars), 'tools/list')) as { result: unknown };
    expect(ours.result).toEqual(theirs.result);
    const client = new Client({ name: 't', version: '1' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await createCloudTrailMcpServer({ store, now }).connect(a);
    await client.connect(b);
    // The SDK client checks results against the listed output schemas: a lookup page passes.
    const r = await client.callTool({ name: 'lookup_cloudtrail_events', arguments: { max_results: 5 } });
    expect(r.isError).toBeFalsy();
    await client.close();
  });
});
