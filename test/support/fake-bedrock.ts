/**
 * A local Amazon Bedrock Runtime endpoint for tests: speaks the Converse REST wire format
 * (`POST /model/{modelId}/converse`, JSON) and ConverseStream (`POST /model/{modelId}/converse-stream`,
 * `application/vnd.amazon.eventstream` binary frames), so the real SDK client runs unmodified against it.
 * Each request gets the next scripted reply; an `assert` hook sees the parsed request body first.
 * It serves cleartext HTTP/2 (h2c) because the Bedrock Runtime client's default handler is NodeHttp2Handler.
 */
import { createServer, type Http2ServerRequest as IncomingMessage, type Http2ServerResponse as ServerResponse, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/core/event-streams';

const toUtf8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
const fromUtf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const codec = new EventStreamCodec(toUtf8, fromUtf8);

export type StreamEventType = 'messageStart' | 'contentBlockStart' | 'contentBlockDelta' | 'contentBlockStop' | 'messageStop' | 'metadata';

/** One frame of a streamed reply, or a pause the test controls (to prove frames arrive before the end). */
export type StreamItem = { event: StreamEventType; payload: Record<string, unknown> } | { pause: () => Promise<void> } | { exception: string; message: string };

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface FakeRequest {
  path: string;
  modelId: string;
  operation: 'converse' | 'converse-stream';
  headers: IncomingMessage['headers'];
  body: any;
}

export type FakeReply =
  | { kind: 'turn'; items: StreamItem[]; assert?: (req: FakeRequest) => void }
  | { kind: 'error'; status: number; type: string; message: string };

export type Script = FakeReply[] | ((req: FakeRequest, index: number) => FakeReply);

/** A model turn that streams text then (optionally) one tool use whose input JSON arrives in fragments. */
export function turn(opts: {
  text?: string[];
  toolUse?: { toolUseId: string; name: string; inputChunks: string[] };
  /** Several tool uses in one turn (the model may ask for more than one at once). */
  toolUses?: { toolUseId: string; name: string; inputChunks: string[] }[];
  stopReason?: string;
  usage: Usage;
  pauseAfterFirstText?: () => Promise<void>;
  assert?: (req: FakeRequest) => void;
}): FakeReply {
  const items: StreamItem[] = [{ event: 'messageStart', payload: { role: 'assistant' } }];
  let index = 0;
  if (opts.text?.length) {
    opts.text.forEach((t, i) => {
      items.push({ event: 'contentBlockDelta', payload: { delta: { text: t }, contentBlockIndex: index } });
      if (i === 0 && opts.pauseAfterFirstText) items.push({ pause: opts.pauseAfterFirstText });
    });
    items.push({ event: 'contentBlockStop', payload: { contentBlockIndex: index } });
    index++;
  }
  const uses = [...(opts.toolUse ? [opts.toolUse] : []), ...(opts.toolUses ?? [])];
  for (const { toolUseId, name, inputChunks } of uses) {
    items.push({ event: 'contentBlockStart', payload: { start: { toolUse: { toolUseId, name } }, contentBlockIndex: index } });
    for (const input of inputChunks) items.push({ event: 'contentBlockDelta', payload: { delta: { toolUse: { input } }, contentBlockIndex: index } });
    items.push({ event: 'contentBlockStop', payload: { contentBlockIndex: index } });
    index++;
  }
  items.push({ event: 'messageStop', payload: { stopReason: opts.stopReason ?? (uses.length ? 'tool_use' : 'end_turn') } });
  items.push({
    event: 'metadata',
    payload: { usage: { ...opts.usage, totalTokens: opts.usage.inputTokens + opts.usage.outputTokens }, metrics: { latencyMs: 12 } },
  });
  return { kind: 'turn', items, assert: opts.assert };
}

export function errorReply(status: number, type: string, message: string): FakeReply {
  return { kind: 'error', status, type, message };
}

function frame(headers: Record<string, string>, body: unknown): Uint8Array {
  return codec.encode({
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }])),
    body: fromUtf8(JSON.stringify(body)),
  });
}

/** Rebuilds the non-streamed Converse response from the same script items. */
function converseBody(items: StreamItem[]): Record<string, unknown> {
  const blocks = new Map<number, any>();
  let stopReason = 'end_turn';
  let usage: any = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  for (const it of items) {
    if (!('event' in it)) continue;
    const p = it.payload as any;
    if (it.event === 'contentBlockStart' && p.start.toolUse) blocks.set(p.contentBlockIndex, { toolUse: { ...p.start.toolUse, input: '' } });
    if (it.event === 'contentBlockDelta') {
      const b = blocks.get(p.contentBlockIndex) ?? {};
      blocks.set(p.contentBlockIndex, b);
      if (p.delta.text !== undefined) b.text = (b.text ?? '') + p.delta.text;
      if (p.delta.toolUse) b.toolUse.input += p.delta.toolUse.input;
    }
    if (it.event === 'messageStop') stopReason = p.stopReason;
    if (it.event === 'metadata') usage = p.usage;
  }
  const content = [...blocks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, b]) => (b.toolUse ? { toolUse: { ...b.toolUse, input: JSON.parse(b.toolUse.input || '{}') } } : b));
  return { output: { message: { role: 'assistant', content } }, stopReason, usage, metrics: { latencyMs: 12 } };
}

export interface FakeBedrock {
  url: string;
  requests: FakeRequest[];
  /** Failures of `assert` hooks; tests check it is empty (the client also gets a 400). */
  assertionFailures: Error[];
  /** Streamed replies the client abandoned before the fake finished them (e.g. after an abort). */
  readonly abandoned: number;
  close(): Promise<void>;
}

export async function startFakeBedrock(script: Script): Promise<FakeBedrock> {
  const requests: FakeRequest[] = [];
  const assertionFailures: Error[] = [];
  let abandoned = 0;

  const sendError = (res: ServerResponse, status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
    res.end(JSON.stringify({ message }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const m = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !m) return sendError(res, 404, 'UnknownOperationException', `no route ${req.method} ${req.url}`);
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) return sendError(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const fr: FakeRequest = {
      path: req.url!,
      modelId: decodeURIComponent(m[1]),
      operation: m[2] as FakeRequest['operation'],
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
    };
    requests.push(fr);
    const index = requests.length - 1;
    const reply = typeof script === 'function' ? script(fr, index) : script[index];
    if (!reply) return sendError(res, 400, 'ValidationException', `fake-bedrock: no scripted reply for request ${index + 1}`);
    if (reply.kind === 'error') return sendError(res, reply.status, reply.type, reply.message);
    try {
      reply.assert?.(fr);
    } catch (err) {
      assertionFailures.push(err as Error);
      return sendError(res, 400, 'ValidationException', `fake-bedrock assertion failed: ${(err as Error).message}`);
    }
    if (fr.operation === 'converse') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(converseBody(reply.items)));
    }
    res.on('close', () => {
      if (!res.writableEnded) abandoned++;
    });
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': `req-${index}` });
    for (const it of reply.items) {
      if ('pause' in it) await it.pause();
      else if ('exception' in it) {
        res.write(frame({ ':exception-type': it.exception, ':content-type': 'application/json', ':message-type': 'exception' }, { message: it.message }));
      } else res.write(frame({ ':event-type': it.event, ':content-type': 'application/json', ':message-type': 'event' }, { ...it.payload, p: 'abcdefgh' }));
    }
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendError(res, 500, 'InternalServerException', String(err));
      else res.destroy(err);
    });
  });
  const sessions = new Set<Http2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    assertionFailures,
    get abandoned() {
      return abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
