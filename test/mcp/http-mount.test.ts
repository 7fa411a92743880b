import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { structuredResult, type ToolRegistrar } from '../../mcp/context.ts';
import { createMcpKoaMiddleware } from '../../mcp/http.ts';
import { registrars } from '../../mcp/tools/index.ts';
import { fixtureEvents, ok } from './helpers.ts';

const events = fixtureEvents();
let computeCount = 0;

/** A tool registered the way later helpers add theirs (e.g. predictions): one registrar, state through memo. */
const probe: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    'probe_event_count',
    { description: 'test tool: counts events once per store', inputSchema: z.object({}), outputSchema: z.object({ count: z.number() }) },
    async () => {
      const count = await ctx.memo('probe-count', async () => {
        computeCount++;
        let n = 0;
        for await (const _ of ctx.store.scan()) n++;
        return n;
      });
      return structuredResult({ count });
    },
  );
};

let server: Server;
let base: string;

beforeAll(async () => {
  const app = new Koa();
  // Auth first, as the workbench would: the MCP route never runs without the token.
  app.use(async (ctx, next) => {
    if (ctx.get('authorization') !== 'Bearer s3cret') {
      ctx.status = 401;
      ctx.body = { error: 'token required' };
      return;
    }
    await next();
  });
  app.use(createMcpKoaMiddleware({ store: new MemoryStore(events), tools: [...registrars, probe], path: '/api/mcp' }));
  app.use((ctx) => {
    ctx.body = { fellThrough: ctx.path };
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const connect = async () => {
  const client = new Client({ name: 'koa-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/api/mcp', base), { requestInit: { headers: { authorization: 'Bearer s3cret' } } }));
  return client;
};

describe('MCP mounted in a Koa app', () => {
  it('serves the tools behind the app’s own auth and leaves other routes alone', async () => {
    const client = await connect();
    const page = ok(await client.callTool({ name: 'lookup_cloudtrail_events', arguments: { max_results: 5 } }) as never);
    expect(page.count).toBe(5);
    await client.close();
    expect((await fetch(new URL('/api/mcp', base), { method: 'POST' })).status).toBe(401);
    const other = await fetch(new URL('/elsewhere', base), { headers: { authorization: 'Bearer s3cret' } });
    expect(await other.json()).toEqual({ fellThrough: '/elsewhere' });
    const get = await fetch(new URL('/api/mcp', base), { headers: { authorization: 'Bearer s3cret' } });
    expect(get.status).toBe(405);
  });

  it('shares memoised state across the per-request servers', async () => {
    const a = await connect();
    const b = await connect();
    const [ra, rb] = await Promise.all([a.callTool({ name: 'probe_event_count', arguments: {} }), b.callTool({ name: 'probe_event_count', arguments: {} })]);
    expect(ok(ra as never).count).toBe(events.length);
    expect(ok(rb as never).count).toBe(events.length);
    expect(computeCount).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});
