import { rm } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../cloudtrail/query.ts';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { createStreamingHandler } from '../../mcp/lambda-handler.ts';
import { lambdaRuntimeShim, METADATA_PRELUDE_CONTENT_TYPE } from '../../mcp/lambda-runtime-shim.ts';
import { checkServerAgainst } from './conformance.ts';
import { fixtureRecords, writeFixtureDir } from './fixture.ts';
import { fixtureEvents } from './helpers.ts';
import { functionUrlEvent, invokeStreaming, jsonRpcMessages } from './lambda-invoke.ts';

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'lambda-test', version: '1' } } };
const records = fixtureRecords();

describe('Lambda Function URL handler (response streaming)', () => {
  let dataDir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    dataDir = await writeFixtureDir(records);
    // The exported handler opens the configured store; point it at the fixture files.
    process.env.TRAILBOOK_SOURCE = 'files';
    process.env.TRAILBOOK_DATA_DIR = dataDir;
  });
  afterAll(async () => {
    process.env = saved;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers initialize, tools/list and tools/call through the exported handler, streaming prelude then SSE body', async () => {
    const { handler } = await import('../../mcp/lambda.ts');

    const init = await invokeStreaming(handler, functionUrlEvent(initialize));
    expect(init.contentType).toBe(METADATA_PRELUDE_CONTENT_TYPE);
    expect(init.prelude.statusCode).toBe(200);
    expect(init.prelude.headers?.['content-type']).toBe('text/event-stream');
    const [initResult] = jsonRpcMessages(init.body);
    expect(initResult).toMatchObject({ id: 1, result: { serverInfo: { name: 'trailbook-cloudtrail' }, capabilities: { tools: {}, resources: {} } } });

    const notified = await invokeStreaming(handler, functionUrlEvent({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    expect(notified.prelude.statusCode).toBe(202);
    expect(notified.body).toBe('');

    const list = await invokeStreaming(handler, functionUrlEvent({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
    const names = jsonRpcMessages(list.body)[0].result.tools.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['lookup_cloudtrail_events', 'get_cloudtrail_event_names']));

    // Base64 bodies (as the Function URL sends binary content types) decode the same way.
    const called = await invokeStreaming(
      handler,
      functionUrlEvent({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_cloudtrail_event_names', arguments: { username: 'bob', top: 1000 } } }, { base64: true }),
    );
    // Log notifications (the first call builds the index) may come before the answer on the stream.
    const result = jsonRpcMessages(called.body).find((m: { id?: number }) => m.id === 3).result;
    expect(result.isError).toBeUndefined();
    const bobs = fixtureEvents().filter((e) => e.principal.name === 'bob');
    expect(result.structuredContent.total_events).toBe(bobs.length);
    expect(result.structuredContent.distinct).toBe(new Set(bobs.map((e) => e.name)).size);
  });

  it('serves a real MCP client whose HTTP requests arrive as Function URL events', async () => {
    const { handler } = await import('../../mcp/lambda.ts');
    // The SDK client's fetch is replaced by "what the Function URL does": event in, streamed bytes out.
    const viaFunctionUrl = async (input: string | URL, init?: RequestInit): Promise<Response> => {
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      const url = new URL(String(input));
      const event = functionUrlEvent(undefined, { method: init?.method ?? 'GET', path: url.pathname, headers });
      const body = typeof init?.body === 'string' ? init.body : undefined;
      const res = await invokeStreaming(handler, { ...event, body });
      return new Response(res.prelude.statusCode === 202 || !res.body ? null : res.body, { status: res.prelude.statusCode, headers: res.prelude.headers });
    };
    const client = new Client({ name: 'function-url-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('https://abcdefghijklmnopqrstuvwxyz0123456.lambda-url.us-east-1.on.aws/'), { fetch: viaFunctionUrl }));
    try {
      await checkServerAgainst(client, records);
    } finally {
      await client.close();
    }
  });

  it('returns tool errors as results and keeps serving', async () => {
    const { handler } = await import('../../mcp/lambda.ts');
    const bad = await invokeStreaming(handler, functionUrlEvent({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'lookup_cloudtrail_events', arguments: { start_time: 'soon' } } }));
    expect(bad.prelude.statusCode).toBe(200);
    const r = jsonRpcMessages(bad.body)[0].result;
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toMatch(/start_time "soon" is not a time/);
    const good = await invokeStreaming(handler, functionUrlEvent({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'lookup_cloudtrail_events', arguments: { max_results: 2 } } }));
    expect(jsonRpcMessages(good.body)[0].result.structuredContent.count).toBe(2);
  });

  it('rejects a request without the Accept header MCP requires (406)', async () => {
    const { handler } = await import('../../mcp/lambda.ts');
    const res = await invokeStreaming(handler, functionUrlEvent({ jsonrpc: '2.0', id: 6, method: 'tools/list' }, { headers: { accept: 'text/html' } }));
    expect(res.prelude.statusCode).toBe(406);
    expect(jsonRpcMessages(res.body)[0].error.message).toMatch(/Not Acceptable/);
  });

  it('answers GET and DELETE with 405 and non-Function-URL events with 400', async () => {
    const { handler } = await import('../../mcp/lambda.ts');
    for (const method of ['GET', 'DELETE']) {
      const res = await invokeStreaming(handler, functionUrlEvent(undefined, { method }));
      expect(res.prelude.statusCode).toBe(405);
      expect(res.prelude.headers?.allow).toBe('POST');
    }
    const res = await invokeStreaming(handler, { hello: 'world' } as never);
    expect(res.prelude.statusCode).toBe(400);
    expect(jsonRpcMessages(res.body)[0].error.message).toMatch(/not a Lambda Function URL event/);
  });

  it('opens the store once per container, and retries after a failed open', async () => {
    let opens = 0;
    const store = new MemoryStore(fixtureEvents());
    const open = async (): Promise<EventStore> => {
      opens++;
      if (opens === 1) throw new Error('AccessDeniedException: not authorized to perform cloudtrail:LookupEvents');
      return store;
    };
    const handler = lambdaRuntimeShim.streamifyResponse(createStreamingHandler(open));
    const list = { jsonrpc: '2.0', id: 7, method: 'tools/list' };
    const failed = await invokeStreaming(handler, functionUrlEvent(list));
    expect(failed.prelude.statusCode).toBe(503);
    expect(jsonRpcMessages(failed.body)[0].error.message).toMatch(/CloudTrail store unavailable: AccessDeniedException/);
    for (let i = 0; i < 3; i++) {
      const ok = await invokeStreaming(handler, functionUrlEvent(list));
      expect(ok.prelude.statusCode).toBe(200);
    }
    expect(opens).toBe(2);
  });
});

describe('runtime detection', () => {
  it('uses the Lambda runtime global when it is the real one, the shim when the global is a stub', async () => {
    const { lambdaRuntime } = await import('../../mcp/lambda-runtime-shim.ts');
    const g = globalThis as { awslambda?: unknown };
    const before = g.awslambda;
    try {
      // What @aws/lambda-invoke-store leaves behind outside Lambda.
      g.awslambda = { InvokeStore: undefined };
      expect(lambdaRuntime()).toBe(lambdaRuntimeShim);
      const real = { streamifyResponse: (h: unknown) => h, HttpResponseStream: { from: (s: unknown) => s } };
      g.awslambda = real;
      expect(lambdaRuntime()).toBe(real);
    } finally {
      g.awslambda = before;
    }
  });
});
