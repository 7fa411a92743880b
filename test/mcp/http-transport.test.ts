import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { createToolContext, structuredResult, type ToolRegistrar } from '../../mcp/context.ts';
import { createMcpRequestHandler } from '../../mcp/http.ts';
import { MAX_BODY_BYTES } from '../../mcp/http-transport.ts';
import { ServerLog } from '../../mcp/logging.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { ServerPool } from '../../mcp/server-pool.ts';
import { registrars } from '../../mcp/tools/index.ts';
import { FIXTURE_END } from './fixture.ts';
import { answerMessages } from './answer-body.ts';
import { fixtureEvents, slowStore } from './helpers.ts';

// Trailbook's stateless HTTP transport (mcp/http-transport.ts) against the SDK's StreamableHTTPServerTransport,
// which it replaces: both serve the same store over node:http on 127.0.0.1, and every request below goes to both.

const store = new MemoryStore(fixtureEvents());
const now = () => FIXTURE_END;
let ours: Server;
let sdks: Server;

async function listen(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

beforeAll(async () => {
  const handle = createMcpRequestHandler({ store, now, log: () => undefined });
  ours = await listen((req, res) => void handle(req, res));
  // The SDK's transport as mcp/http.ts used it before: a new server and transport per request.
  const context = createToolContext({ store, now });
  sdks = await listen(async (req, res) => {
    const server = createCloudTrailMcpServer({ store, context });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
});
afterAll(async () => {
  for (const s of [ours, sdks]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

interface Answer {
  status: number;
  contentType?: string;
  contentLength?: string;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

const watchedSockets = new WeakSet<Socket>();

function post(server: Server, body: string | Buffer, headers: Record<string, string> = JSON_HEADERS): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, contentType: res.headers['content-type'], contentLength: res.headers['content-length'], body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    // A server may answer (413) before it has read a large body, and close the connection under it.
    const closedUnder = (err: NodeJS.ErrnoException) => err.code === 'EPIPE' || err.code === 'ECONNRESET';
    req.on('error', (err: NodeJS.ErrnoException) => (closedUnder(err) ? undefined : reject(err)));
    // The body's last write can fail after the answer has come and the request has let go of its socket: an
    // uncaught EPIPE on a loaded machine (seen once in a run of test/mcp). One listener per socket: keep-alive
    // sockets serve many requests, and a listener per request piled up past Node's limit of ten. While a request
    // holds the socket, its other errors reach the request's 'error' above.
    req.on('socket', (socket) => {
      if (watchedSockets.has(socket)) return;
      watchedSockets.add(socket);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (!closedUnder(err)) reject(err);
      });
    });
    req.end(body);
  });
}

/** The JSON-RPC messages of an answer, in order: a JSON body or an SSE stream, by its content type. */
const events = (a: Answer) => answerMessages(a.contentType, a.body);

const rpc = (id: number, method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: '2.0' as const, id, method, params });
const initialize = (id: number) => rpc(id, 'initialize', { protocolVersion: '2025-06-18', capabilities: { sampling: {} }, clientInfo: { name: 'raw', version: '1' } });

describe('bad requests', () => {
  const cases: [string, string | Buffer, Record<string, string>?][] = [
    ['no text/event-stream in Accept', JSON.stringify(rpc(1, 'ping')), { 'content-type': 'application/json', accept: 'application/json' }],
    ['a body that is not JSON', '{"jsonrpc":', JSON_HEADERS],
    ['a Content-Type other than JSON', JSON.stringify(rpc(1, 'ping')), { 'content-type': 'text/plain', accept: JSON_HEADERS.accept }],
    ['JSON that is not JSON-RPC', JSON.stringify({ hello: 'world' })],
    ['a batch of more than 100 messages', JSON.stringify(Array.from({ length: 101 }, (_, i) => rpc(i, 'ping')))],
    ['two initialize requests in one batch', JSON.stringify([initialize(1), initialize(2)])],
    ['an unsupported MCP-Protocol-Version', JSON.stringify(rpc(1, 'ping')), { ...JSON_HEADERS, 'mcp-protocol-version': '1999-01-01' }],
    ['a body over the size limit', Buffer.alloc(MAX_BODY_BYTES + 1, ' ')],
  ];
  it.each(cases)('%s: the same status and JSON-RPC error as the SDK transport', async (_, body, headers) => {
    const [mine, theirs] = await Promise.all([post(ours, body, headers), post(sdks, body, headers)]);
    expect(theirs.status).toBeGreaterThanOrEqual(400);
    expect({ status: mine.status, body: JSON.parse(mine.body) }).toEqual({ status: theirs.status, body: JSON.parse(theirs.body) });
    expect(mine.contentType).toBe('application/json');
  });
});

describe('requests', () => {
  it('answers one request with nothing to stream as a JSON body: the message the SDK transport streams', async () => {
    const messages = [
      initialize(1),
      rpc(2, 'tools/list'),
      rpc(3, 'tools/call', { name: 'lookup_cloudtrail_events', arguments: { max_results: 3 } }),
      rpc(4, 'tools/call', { name: 'get_cloudtrail_event', arguments: { event_id: fixtureEvents()[0].id } }),
      rpc(5, 'no/such/method'),
    ];
    for (const message of messages) {
      const [mine, theirs] = await Promise.all([post(ours, JSON.stringify(message)), post(sdks, JSON.stringify(message))]);
      expect([mine.status, mine.contentType]).toEqual([200, 'application/json']);
      expect(mine.contentLength).toBe(String(Buffer.byteLength(mine.body)));
      // One JSON object, not an array and not an event: what a client's response.json() gives it.
      expect(JSON.parse(mine.body)).toEqual(events(theirs)[0]);
      expect(theirs.contentType).toBe('text/event-stream');
      expect(events(theirs)).toHaveLength(1);
    }
    const error = JSON.parse((await post(ours, JSON.stringify(rpc(5, 'no/such/method')))).body);
    expect(error).toMatchObject({ id: 5, error: { code: -32601 } });
  });

  it('streams a request that sends notifications before its answer: progress and log messages first, the answer last', async () => {
    const seen = { pages: 0 };
    const handle = createMcpRequestHandler({ store: slowStore(fixtureEvents(), seen), now, log: () => undefined });
    const server = await listen((req, res) => void handle(req, res));
    try {
      const call = (id: number, meta?: Record<string, unknown>) => post(server, JSON.stringify(rpc(id, 'tools/call', { name: 'list_cloudtrail_principals', arguments: {}, ...(meta && { _meta: meta }) })));
      const withProgress = await call(1, { progressToken: 'p1' });
      expect([withProgress.status, withProgress.contentType]).toEqual([200, 'text/event-stream']);
      const streamed = events(withProgress);
      expect(streamed.at(-1)).toMatchObject({ id: 1, result: { structuredContent: expect.any(Object) } });
      const notes = streamed.slice(0, -1);
      expect(notes.every((m) => m.method !== undefined && m.id === undefined)).toBe(true);
      const progress = notes.filter((m) => m.method === 'notifications/progress').map((m) => m.params);
      expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4, 5]);
      expect(progress.every((p) => p.progressToken === 'p1')).toBe(true);
      expect(notes.filter((m) => m.method === 'notifications/message').map((m) => m.params.data)).toContain('lookup 1/5: 50 events');

      // No progress token: the store's progress still goes out as log messages, so the answer is streamed after them.
      const logged = await call(2);
      expect(logged.contentType).toBe('text/event-stream');
      const loggedMessages = events(logged);
      expect(loggedMessages.slice(0, -1).map((m) => m.method)).toEqual(expect.arrayContaining(['notifications/message']));
      expect(loggedMessages.slice(0, -1).every((m) => m.method === 'notifications/message')).toBe(true);
      expect(loggedMessages.at(-1)).toMatchObject({ id: 2, result: expect.any(Object) });
      expect(JSON.parse(JSON.stringify(loggedMessages.at(-1).result))).toEqual(JSON.parse(JSON.stringify(streamed.at(-1).result)));

      // The client raised the level above info in this request (a batch: stateless, the level lasts one POST):
      // nothing to stream, yet a batch is always a stream.
      const quiet = await post(server, JSON.stringify([rpc(3, 'logging/setLevel', { level: 'warning' }), rpc(4, 'ping')]));
      expect(quiet.contentType).toBe('text/event-stream');
      expect(events(quiet).map((m) => m.id).sort()).toEqual([3, 4]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('answers every request of a batch on one stream, ending it after the last answer', async () => {
    const batch = JSON.stringify([rpc(7, 'ping'), rpc(8, 'tools/call', { name: 'get_cloudtrail_event_names', arguments: { top: 2 } }), { jsonrpc: '2.0', method: 'notifications/initialized' }]);
    const [mine, theirs] = await Promise.all([post(ours, batch), post(sdks, batch)]);
    expect(mine.status).toBe(200);
    expect(mine.contentType).toBe('text/event-stream');
    const byId = (a: Answer) => Object.fromEntries(events(a).map((m) => [m.id, m]));
    expect(Object.keys(byId(mine)).sort()).toEqual(['7', '8']);
    expect(byId(mine)).toEqual(byId(theirs));
  });

  it('streams a batch of one request too: a JSON body would have to be an array, which the stream spares the client', async () => {
    const mine = await post(ours, JSON.stringify([rpc(9, 'ping')]));
    expect([mine.status, mine.contentType]).toEqual([200, 'text/event-stream']);
    expect(events(mine)).toEqual([{ jsonrpc: '2.0', id: 9, result: {} }]);
  });

  it('accepts notifications alone with 202 and no body', async () => {
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const [mine, theirs] = await Promise.all([post(ours, note), post(sdks, note)]);
    expect([mine.status, mine.body]).toEqual([202, '']);
    expect(theirs.status).toBe(202);
  });

  it('serves concurrent requests on separate servers, each its own answer', async () => {
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => post(ours, JSON.stringify(rpc(100 + i, 'tools/call', { name: 'lookup_cloudtrail_events', arguments: { max_results: i + 1 } })))),
    );
    answers.forEach((a, i) => {
      const [m] = events(a);
      expect(m.id).toBe(100 + i);
      expect(m.result.structuredContent.count).toBe(i + 1);
    });
  });
});

describe('a client that goes away', () => {
  it('aborts its request; the late answer and log message go nowhere, and the next request on the reused server gets only its own', async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let aborted = false;
    // A tool that waits until the test lets it finish, then logs (on the connection, not the request) and answers.
    const slow: ToolRegistrar = (server, ctx) => {
      server.registerTool('probe_slow', { description: 'test tool', inputSchema: z.object({}) }, async (_args, extra) => {
        extra.signal.addEventListener('abort', () => (aborted = true));
        started();
        await new Promise<void>((r) => (release = r));
        ctx.log?.log('warning', 'late message from an abandoned request');
        return structuredResult({ done: true });
      });
    };
    const handle = createMcpRequestHandler({ store, now, tools: [...registrars, slow], log: () => undefined });
    let served = 0;
    const server = await listen((req, res) => {
      served++;
      void handle(req, res);
    });
    try {
      const { port } = server.address() as AddressInfo;
      const body = JSON.stringify(rpc(1, 'tools/call', { name: 'probe_slow', arguments: {} }));
      const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { ...JSON_HEADERS, 'content-length': String(body.length) } });
      req.on('error', () => undefined);
      req.end(body);
      await running;
      req.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect(aborted).toBe(true);
      release();
      // One server in the pool: the next request reuses it, and sees nothing of the abandoned one.
      const next = await post(server, JSON.stringify(rpc(2, 'tools/call', { name: 'lookup_cloudtrail_events', arguments: { max_results: 1 } })));
      expect(events(next)).toEqual([expect.objectContaining({ id: 2, result: expect.objectContaining({ structuredContent: expect.objectContaining({ count: 1 }) }) })]);
      expect(served).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('ServerPool', () => {
  it('gives a released server back cleared of the log level and client details of its last request', async () => {
    const pool = new ServerPool(() => createCloudTrailMcpServer({ store, now }));
    const server = pool.acquire();
    const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const answered = new Promise<void>((done) => {
      clientSide.onmessage = (m) => 'id' in m && m.id === 2 && done();
    });
    await clientSide.start();
    await clientSide.send(initialize(1));
    await clientSide.send(rpc(2, 'logging/setLevel', { level: 'error' }));
    await answered;
    expect(ServerLog.of(server).enabled('info')).toBe(false);
    expect(server.server.getClientCapabilities()).toEqual({ sampling: {} });

    pool.release(server); // still connected: not taken back
    expect(pool.acquire()).not.toBe(server);

    await clientSide.close();
    pool.release(server);
    expect(pool.acquire()).toBe(server);
    expect(ServerLog.of(server).enabled('info')).toBe(true);
    expect(server.server.getClientCapabilities()).toBeUndefined();
    expect(server.server.getClientVersion()).toBeUndefined();
  });
});
