import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaType, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { LazyOutputValidators } from '../../mcp/output-validators.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { FIXTURE_END } from './fixture.ts';
import { fixtureEvents } from './helpers.ts';

/** The SDK's Ajv provider, counting the schemas it compiles. */
class CountingAjv implements jsonSchemaValidator {
  compiled: JsonSchemaType[] = [];
  private readonly ajv = new AjvJsonSchemaValidator();
  getValidator<T>(schema: JsonSchemaType) {
    this.compiled.push(schema);
    return this.ajv.getValidator<T>(schema);
  }
}

async function clientOf(validators: jsonSchemaValidator) {
  const server = createCloudTrailMcpServer({ store: new MemoryStore(fixtureEvents()), now: () => FIXTURE_END });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'lazy-test', version: '1' }, { jsonSchemaValidator: validators });
  await client.connect(clientSide);
  return client;
}

/**
 * A server that lists one tool with an output schema and answers its calls with `structured`: what a server with a
 * wrong answer sends, which the client must still refuse.
 */
async function clientOfServerAnswering(structured: unknown) {
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  const reply = (id: number | string, result: unknown) => serverSide.send({ jsonrpc: '2.0', id, result } as JSONRPCMessage);
  serverSide.onmessage = (m) => {
    if (!('method' in m) || !('id' in m)) return;
    if (m.method === 'initialize') void reply(m.id, { protocolVersion: (m.params as { protocolVersion: string }).protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'wrong', version: '1' } });
    else if (m.method === 'tools/list')
      void reply(m.id, { tools: [{ name: 'count', inputSchema: { type: 'object' }, outputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } }] });
    else if (m.method === 'tools/call') void reply(m.id, { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured });
  };
  await serverSide.start();
  const client = new Client({ name: 'lazy-test', version: '1' }, { jsonSchemaValidator: new LazyOutputValidators() });
  await client.connect(clientSide);
  return client;
}

describe('output schemas compiled when first used', () => {
  it('compile nothing for a tools/list, one schema per tool called, and keep it across lists', async () => {
    const ajv = new CountingAjv();
    const client = await clientOf(new LazyOutputValidators(ajv));
    const { tools } = await client.listTools();
    expect(tools.filter((t) => t.outputSchema).length).toBeGreaterThan(5);
    expect(ajv.compiled).toHaveLength(0);

    const names = await client.callTool({ name: 'get_cloudtrail_event_names', arguments: {} });
    expect(names.isError).toBeFalsy();
    expect(ajv.compiled).toEqual([tools.find((t) => t.name === 'get_cloudtrail_event_names')!.outputSchema]);

    await client.listTools();
    await client.callTool({ name: 'get_cloudtrail_event_names', arguments: {} });
    expect(ajv.compiled).toHaveLength(1);
    await client.close();
  });

  it('where the stock provider compiles every tool on each list', async () => {
    const ajv = new CountingAjv();
    const client = await clientOf(ajv);
    const { tools } = await client.listTools();
    await client.listTools();
    expect(ajv.compiled).toHaveLength(2 * tools.filter((t) => t.outputSchema).length);
    await client.close();
  });

  it('still refuse a result that does not match its schema, and accept one that does', async () => {
    const good = await clientOfServerAnswering({ n: 3 });
    await good.listTools();
    expect((await good.callTool({ name: 'count', arguments: {} })).structuredContent).toEqual({ n: 3 });
    await good.close();

    const wrong = await clientOfServerAnswering({ n: 'three' });
    await wrong.listTools();
    await expect(wrong.callTool({ name: 'count', arguments: {} })).rejects.toThrow(/Structured content does not match the tool's output schema.*must be integer/);
    await wrong.close();
  });
});
