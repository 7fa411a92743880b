import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { EventStore } from '../cloudtrail/query.ts';
import { createToolContext, type ToolRegistrar } from './context.ts';
import { jsonRpcError, POST_ONLY } from './json-rpc.ts';
import { createCloudTrailMcpServer } from './server.ts';

export const DEFAULT_MCP_PATH = '/mcp';

export interface McpHttpOptions {
  /** Opened once by the caller and shared by every request. */
  store: EventStore;
  now?: () => number;
  tools?: ToolRegistrar[];
  /**
   * Host header values accepted (DNS-rebinding protection for servers on loopback, e.g. `127.0.0.1:8080`).
   * A function is read per request, so it can name a port known only after listen().
   */
  allowedHosts?: string[] | (() => string[] | undefined);
  log?: (message: string) => void;
}

export type McpRequestHandler = (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown) => Promise<void>;

/**
 * Stateless Streamable HTTP: every POST gets a fresh MCP server and transport (no session to keep or leak);
 * the store and the tool context are shared, so nothing expensive is redone per request.
 * GET (server-initiated SSE stream) and DELETE (end session) have no meaning without sessions: 405.
 */
export function createMcpRequestHandler(options: McpHttpOptions): McpRequestHandler {
  const context = createToolContext({ store: options.store, now: options.now });
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  return async (req, res, parsedBody) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' }).end(jsonRpcError(-32000, POST_ONLY));
      return;
    }
    const allowedHosts = typeof options.allowedHosts === 'function' ? options.allowedHosts() : options.allowedHosts;
    const server = createCloudTrailMcpServer({ store: options.store, tools: options.tools, context });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      ...(allowedHosts ? { enableDnsRebindingProtection: true, allowedHosts } : {}),
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, parsedBody);
    } catch (err) {
      log(`mcp http: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(jsonRpcError(-32603, 'Internal server error'));
      else res.end();
    }
  };
}

/** Minimal Koa context shape, so this module does not need Koa to be loaded. */
interface KoaLikeContext {
  path: string;
  req: IncomingMessage;
  res: ServerResponse;
  respond?: boolean;
  request: { body?: unknown };
}

/**
 * Koa middleware serving MCP at `path` (default /mcp), for mounting inside another Koa app such as the workbench.
 * Put any authentication middleware before it. The SDK writes the raw response itself, hence `respond = false`.
 */
export function createMcpKoaMiddleware(options: McpHttpOptions & { path?: string }) {
  const handle = createMcpRequestHandler(options);
  const path = options.path ?? DEFAULT_MCP_PATH;
  return async (ctx: KoaLikeContext, next: () => Promise<unknown>): Promise<void> => {
    if (ctx.path !== path) {
      await next();
      return;
    }
    ctx.respond = false;
    await handle(ctx.req, ctx.res, ctx.request.body);
  };
}

export interface StartedMcpHttpServer {
  server: Server;
  /** The MCP endpoint, e.g. http://127.0.0.1:8080/mcp */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Serves MCP on node:http at `path`; 404 elsewhere. On a loopback host, only loopback Host headers are accepted. */
export async function startMcpHttpServer(
  options: McpHttpOptions & { port: number; host?: string; path?: string },
): Promise<StartedMcpHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? DEFAULT_MCP_PATH;
  let port = options.port;
  const loopbackHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  const handle = createMcpRequestHandler({
    ...options,
    allowedHosts: options.allowedHosts ?? (LOOPBACK.has(host) ? loopbackHosts : undefined),
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(jsonRpcError(-32000, `Not found: the MCP endpoint is ${path}`));
      return;
    }
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
