import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { jsonRpcError } from './json-rpc.ts';
import { messageJson } from './json-once.ts';

/** The SDK's limits for a POST body and a batch (`@modelcontextprotocol/sdk/server/requestBody.js`). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_BATCH = 100;

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * Stateless Streamable HTTP for one POST, written on node:http directly. The SDK's
 * StreamableHTTPServerTransport turns each Node request into a fetch Request and its SSE answer into a web
 * ReadableStream piped back through @hono/node-server, which cost more server CPU than the tools themselves;
 * this answers the same way (the same status codes and messages for bad requests, an SSE stream per POST
 * carrying the request's notifications and then its response) without those conversions, and ends the
 * response with the last answer so that a one-request POST goes out in one write.
 *
 * One exception to the stream: a POST holding one request (not a batch) whose answer is the first thing to
 * send gets that answer as an `application/json` body, which the spec allows ("Sending Messages to the
 * Server": either content type, clients must support both). A client reads JSON with one `response.json()`;
 * an SSE body goes through a text decoder and an event parser, which in the SDK's client cost more than the
 * server spends on a lookup by id. Nothing is written before the first send, so the choice is made there: a
 * progress or log notification sent before the answer starts the stream as before. None can follow the
 * answer: the SDK's server sends a request's notifications synchronously from its handler, before the
 * handler's result becomes the response, and the response ends the request.
 * Only what stateless mode needs: no sessions, no GET stream, no resumability. Host, Origin and the token are
 * checked before (mcp/http-guard.ts).
 */
export class StatelessHttpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  readonly sessionId = undefined;
  /** Requests of this POST not yet answered; the stream ends when none is left. */
  private readonly open = new Set<RequestId>();
  private res?: ServerResponse;
  /** The POST is one request (no batch): its answer may go as a JSON body if nothing is streamed before it. */
  private single = false;
  private used = false;
  private closed = false;

  async start(): Promise<void> {}

  /** Serves one POST; a transport serves one request only (as the SDK's stateless one does). */
  async handleRequest(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    if (this.used) throw new Error('a stateless transport serves one request: make a new one per request');
    this.used = true;
    this.res = res;
    res.once('close', () => void this.close());
    const refuse = (status: number, code: number, message: string) => {
      this.onerror?.(new Error(message));
      res.writeHead(status, { 'content-type': 'application/json' }).end(jsonRpcError(code, message));
    };
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return refuse(406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      return refuse(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    let raw = parsedBody;
    if (raw === undefined) {
      const body = await readBody(req);
      if (body === undefined) return refuse(413, -32000, `Payload Too Large: Request body must not exceed ${MAX_BODY_BYTES} bytes`);
      try {
        raw = JSON.parse(body);
      } catch {
        return refuse(400, -32700, 'Parse error: Invalid JSON');
      }
    }
    if (Array.isArray(raw) && raw.length > MAX_BATCH) return refuse(400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
    let messages: JSONRPCMessage[];
    try {
      messages = (Array.isArray(raw) ? raw : [raw]).map((m) => JSONRPCMessageSchema.parse(m));
    } catch {
      return refuse(400, -32700, 'Parse error: Invalid JSON-RPC message');
    }
    // The SDK's check parses the message against the initialize schema, and a failed parse builds an error (~20 µs
    // a request): only an initialize is checked.
    const initializing = messages.some((m) => 'method' in m && m.method === 'initialize' && isInitializeRequest(m));
    if (initializing && messages.length > 1) return refuse(400, -32600, 'Invalid Request: Only one initialization request is allowed');
    const version = req.headers['mcp-protocol-version'];
    if (!initializing && typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return refuse(400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    }
    if (this.closed) return; // the client went away while the body was read
    const extra: MessageExtraInfo = { requestInfo: { headers: req.headers }, authInfo: (req as { auth?: MessageExtraInfo['authInfo'] }).auth };
    for (const m of messages) if (isJSONRPCRequest(m)) this.open.add(m.id);
    this.single = !Array.isArray(raw) && this.open.size === 1;
    // Only notifications or responses: accepted, nothing to answer.
    if (this.open.size === 0) res.writeHead(202).end();
    for (const m of messages) this.onmessage?.(m, extra);
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    // Each schema needs its key: no failed parse (and its error) for the messages that cannot match.
    const answer = ('result' in message && isJSONRPCResultResponse(message)) || ('error' in message && isJSONRPCErrorResponse(message));
    const id = answer ? message.id : options?.relatedRequestId;
    // A notification not tied to a request would go on the session's GET stream, which stateless mode does not have.
    if (id === undefined) return;
    if (!this.open.has(id)) {
      if (this.closed) return; // answered or abandoned: the client is gone
      throw new Error(`No connection established for request ID: ${String(id)}`);
    }
    const res = this.res!;
    if (this.closed || res.writableEnded) return;
    if (answer && this.single && !res.headersSent) {
      // The one request's answer, nothing streamed before it: a plain JSON body, in one write.
      this.open.delete(id);
      const json = messageJson(message);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
      return;
    }
    const event = `event: message\ndata: ${messageJson(message)}\n\n`;
    if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
    if (!answer) {
      res.write(event);
      return;
    }
    this.open.delete(id);
    // The last answer ends the stream; headers and body then leave together.
    if (this.open.size === 0) res.end(event);
    else res.write(event);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.open.clear();
    if (this.res && !this.res.writableEnded) this.res.end();
    this.onclose?.();
  }
}

/** `application/json`, with or without parameters (charset), in any case, as the SDK accepts it. */
function isJsonContentType(header: string | undefined): boolean {
  if (header === 'application/json') return true;
  return header !== undefined && header.split(';', 1)[0].trim().toLowerCase() === 'application/json';
}

/** The request body as text, or undefined when it is larger than the SDK allows. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
