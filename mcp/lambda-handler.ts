import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { loadDataConfig, openStore } from '../cloudtrail/config.ts';
import type { EventStore } from '../cloudtrail/query.ts';
import { createToolContext, type ToolContext } from './context.ts';
import { jsonRpcError, POST_ONLY } from './json-rpc.ts';
import { onceUntilFailure } from './once.ts';
import { lambdaRuntime, type LambdaContext, type LambdaResponseStream, type StreamingHandler } from './lambda-runtime-shim.ts';
import { createCloudTrailMcpServer } from './server.ts';
import { ServerPool } from './server-pool.ts';

/** Lambda Function URL request event, payload format 2.0 (the fields this handler reads). */
export interface FunctionUrlEvent {
  version?: string;
  rawPath?: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Record<string, string | undefined>;
  requestContext?: { domainName?: string; http?: { method?: string; path?: string; sourceIp?: string } };
  body?: string;
  isBase64Encoded?: boolean;
}

/** Builds the web-standard Request the SDK's stateless transport handles from a Function URL event. */
export function toWebRequest(event: FunctionUrlEvent): Request {
  const method = event.requestContext?.http?.method;
  if (!method) throw new Error('not a Lambda Function URL event (payload 2.0): requestContext.http.method is missing');
  const headers = new Headers();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers.set(k, v);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const host = headers.get('host') ?? event.requestContext?.domainName ?? 'localhost';
  const url = `https://${host}${event.rawPath ?? '/'}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
  const hasBody = event.body !== undefined && event.body !== null && method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? (event.isBase64Encoded ? Buffer.from(event.body!, 'base64') : event.body!) : undefined;
  return new Request(url, { method, headers, body });
}

type Opened = { store: EventStore; context: ToolContext; servers: ServerPool };

/** On Lambda the default source is CloudTrail LookupEvents (the function has no dataset on disk); env may say otherwise. */
export const openLambdaStore = (): Promise<EventStore> => openStore(loadDataConfig({ TRAILBOOK_SOURCE: 'lookup', ...process.env }));

/** Writes a whole response: the HTTP prelude first, then the body streamed as the transport produces it. */
async function respond(responseStream: LambdaResponseStream, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') headers[key] = value;
  });
  const out = lambdaRuntime().HttpResponseStream.from(responseStream, { statusCode: response.status, headers });
  // The prelude goes out on the first write, so an empty body still needs one (zero-length) write.
  out.write(new Uint8Array(0));
  if (response.body) await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), out);
  else await new Promise<void>((resolve) => out.end(resolve));
}

const jsonResponse = (status: number, code: number, message: string, extra: Record<string, string> = {}) =>
  new Response(jsonRpcError(code, message), { status, headers: { 'content-type': 'application/json', ...extra } });

/** The streaming handler before `streamifyResponse`, with the store opener injectable for tests. */
export function createStreamingHandler(open: () => Promise<EventStore> = openLambdaStore): StreamingHandler<FunctionUrlEvent> {
  // Once per container; a failed open is retried on the next invocation rather than cached.
  const opened = onceUntilFailure(async (): Promise<Opened> => {
    const store = await open();
    const context = createToolContext({ store });
    return { store, context, servers: new ServerPool(() => createCloudTrailMcpServer({ store, context })) };
  });
  return async (event: FunctionUrlEvent, responseStream: LambdaResponseStream, _context: LambdaContext): Promise<void> => {
    let request: Request;
    try {
      request = toWebRequest(event);
    } catch (err) {
      return respond(responseStream, jsonResponse(400, -32600, (err as Error).message));
    }
    if (request.method !== 'POST') {
      return respond(responseStream, jsonResponse(405, -32000, POST_ONLY, { allow: 'POST' }));
    }
    let store: Opened;
    try {
      store = await opened();
    } catch (err) {
      console.error('trailbook mcp lambda: cannot open the CloudTrail store:', err);
      return respond(responseStream, jsonResponse(503, -32603, `CloudTrail store unavailable: ${(err as Error).message}`));
    }
    // Stateless: a fresh transport per request and a ready server (mcp/server-pool.ts); the store, tool context and
    // servers live for the container.
    const server = store.servers.acquire();
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    let reusable = true;
    try {
      await server.connect(transport);
      await respond(responseStream, await transport.handleRequest(request));
    } catch (err) {
      reusable = false;
      console.error('trailbook mcp lambda:', err);
      if (!responseStream.writableEnded) {
        if (responseStream._onBeforeFirstWrite === undefined) await respond(responseStream, jsonResponse(500, -32603, 'Internal server error'));
        else responseStream.end();
      }
    } finally {
      await transport.close();
      if (reusable) store.servers.release(server);
      else await server.close();
    }
  };
}
