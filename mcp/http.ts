import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventStore } from '../cloudtrail/query.ts';
import { createToolContext, type ToolRegistrar } from './context.ts';
import { checkListenAccess } from './http-access.ts';
import { warmIndex } from './index/for-store.ts';
import { checkRequest, generateToken, isLoopbackHost, LOOPBACK_HOSTNAMES, originPolicy, type HttpGuardOptions } from './http-guard.ts';
import { StatelessHttpTransport } from './http-transport.ts';
import { jsonRpcError, POST_ONLY } from './json-rpc.ts';
import { createCloudTrailMcpServer } from './server.ts';
import { ServerPool } from './server-pool.ts';

export { McpHttpConfigError } from './http-access.ts';

export const DEFAULT_MCP_PATH = '/mcp';

export interface McpHttpOptions extends HttpGuardOptions {
  /** Opened once by the caller and shared by every request. */
  store: EventStore;
  now?: () => number;
  tools?: ToolRegistrar[];
  log?: (message: string) => void;
}

export type McpRequestHandler = (req: IncomingMessage, res: ServerResponse, parsedBody?: unknown) => Promise<void>;

/**
 * Stateless Streamable HTTP: every POST gets a fresh transport (no session to keep or leak) and a server from a
 * pool of ready ones, cleared of what the previous request left; the store and the tool context are shared, so
 * nothing expensive is redone per request. GET (server-initiated SSE stream) and DELETE (end session) have no
 * meaning without sessions: 405. Host, Origin and the bearer token (each when configured) are checked first,
 * for every method.
 */
export function createMcpRequestHandler(options: McpHttpOptions): McpRequestHandler {
  const context = createToolContext({ store: options.store, now: options.now });
  warmIndex(context);
  const pool = new ServerPool(() => createCloudTrailMcpServer({ store: options.store, tools: options.tools, context }));
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  return async (req, res, parsedBody) => {
    const refusal = checkRequest(req, options);
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json', ...refusal.headers }).end(jsonRpcError(-32001, refusal.message));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' }).end(jsonRpcError(-32000, POST_ONLY));
      return;
    }
    const server = pool.acquire();
    const transport = new StatelessHttpTransport();
    let reusable = true;
    res.once('close', () => {
      // Closing the transport disconnects the server (its in-flight handlers are aborted and answer nowhere).
      void transport.close().then(() => reusable && pool.release(server));
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, parsedBody);
    } catch (err) {
      reusable = false;
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
  /** The bearer token clients must send. */
  token: string;
  /** True when no token was given and one was generated for this run (the caller shows it to the user). */
  tokenGenerated: boolean;
  close(): Promise<void>;
}

export interface StartMcpHttpOptions extends Omit<McpHttpOptions, 'allowedHostnames' | 'originAllowed'> {
  port: number;
  host?: string;
  path?: string;
  /** Browser origins allowed besides loopback pages (loopback pages only when listening on loopback). */
  allowedOrigins?: string[];
  /** Host header hostnames accepted besides the loopback names on loopback; elsewhere, when not given, any Host (the token guards it). */
  allowedHostnames?: string[];
}

/**
 * Serves MCP on node:http at `path`; 404 elsewhere. Every request needs the bearer token: the given one, or on
 * loopback a generated one (returned, for the caller to show). Listening beyond loopback without a token is
 * refused with McpHttpConfigError (mcp/http-access.ts). On loopback only loopback Host headers are accepted
 * (DNS rebinding), and browser requests only from loopback pages or `allowedOrigins`.
 */
export async function startMcpHttpServer(options: StartMcpHttpOptions): Promise<StartedMcpHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? DEFAULT_MCP_PATH;
  const loopback = isLoopbackHost(host);
  checkListenAccess(host, options.token);
  const token = options.token ?? generateToken();
  const handle = createMcpRequestHandler({
    ...options,
    token,
    allowedHostnames: loopback ? [...LOOPBACK_HOSTNAMES, ...(options.allowedHostnames ?? [])] : options.allowedHostnames,
    originAllowed: originPolicy({ loopback, allowed: options.allowedOrigins ?? [] }),
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
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${port}${path}`,
    token,
    tokenGenerated: options.token === undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
