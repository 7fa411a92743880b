import { Writable } from 'node:stream';
import {
  DELIMITER_LEN,
  HANDLER_STREAMING,
  METADATA_PRELUDE_CONTENT_TYPE,
  STREAM_RESPONSE,
  type HttpResponsePrelude,
  type LambdaResponseStream,
  type StreamingHandler,
} from '../../mcp/lambda-runtime-shim.ts';
import { answerMessages } from './answer-body.ts';

/**
 * What the Lambda Node.js runtime does for one invocation of a streaming handler: hand it a response stream
 * whose `write` runs the `_onBeforeFirstWrite` hook first (that is how HttpResponseStream's prelude gets out),
 * and collect the bytes the Function URL front end would receive.
 */
class CollectingResponseStream extends Writable implements LambdaResponseStream {
  contentType = 'application/octet-stream';
  readonly chunks: Buffer[] = [];
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
  private firstWriteDone = false;

  setContentType(contentType: string): void {
    if (this.firstWriteDone) throw new Error('setContentType after the first write has no effect on the runtime');
    this.contentType = contentType;
  }

  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (!this.firstWriteDone) {
      this.firstWriteDone = true;
      this._onBeforeFirstWrite?.((c) => super.write(c));
    }
    return super.write(chunk, encoding as BufferEncoding, cb as (e?: Error | null) => void);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
}

export interface StreamedResponse {
  contentType: string;
  prelude: HttpResponsePrelude;
  body: string;
}

/** Splits the http-integration-response bytes: JSON prelude, 8 NUL bytes, body. */
export function parseIntegrationResponse(contentType: string, bytes: Buffer): StreamedResponse {
  if (contentType !== METADATA_PRELUDE_CONTENT_TYPE) throw new Error(`expected ${METADATA_PRELUDE_CONTENT_TYPE}, got ${contentType}`);
  const delimiter = bytes.indexOf(Buffer.alloc(DELIMITER_LEN));
  if (delimiter < 0) throw new Error('no 8-NUL-byte delimiter after the prelude');
  return {
    contentType,
    prelude: JSON.parse(bytes.subarray(0, delimiter).toString('utf8')),
    body: bytes.subarray(delimiter + DELIMITER_LEN).toString('utf8'),
  };
}

export async function invokeStreaming<E>(handler: StreamingHandler<E>, event: E): Promise<StreamedResponse> {
  if ((handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING] !== STREAM_RESPONSE) {
    throw new Error('handler is not wrapped with awslambda.streamifyResponse');
  }
  const stream = new CollectingResponseStream();
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  await handler(event, stream, { awsRequestId: 'test-request', functionName: 'trailbook-mcp', getRemainingTimeInMillis: () => 30_000 });
  await finished;
  return parseIntegrationResponse(stream.contentType, Buffer.concat(stream.chunks));
}

/** JSON-RPC messages in a response body, whether it is plain JSON or an SSE stream of `data:` lines. */
export function jsonRpcMessages(body: string): any[] {
  const t = body.trim();
  return answerMessages(t.startsWith('{') || t.startsWith('[') ? 'application/json' : 'text/event-stream', t);
}

/**
 * A Lambda Function URL event, payload format 2.0, shaped as the Lambda developer guide documents it
 * ("Request payload" example), carrying one MCP POST.
 */
export function functionUrlEvent(message: unknown, opts: { method?: string; base64?: boolean; path?: string; headers?: Record<string, string> } = {}) {
  const method = opts.method ?? 'POST';
  const json = message === undefined ? undefined : JSON.stringify(message);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: opts.path ?? '/',
    rawQueryString: '',
    headers: {
      'x-amzn-tls-cipher-suite': 'ECDHE-RSA-AES128-GCM-SHA256',
      'x-amzn-tls-version': 'TLSv1.2',
      'x-amzn-trace-id': 'Root=1-5f84c7a9-0e5b1e1c5a8d3b0d1c2e3f4a',
      'x-forwarded-proto': 'https',
      host: 'abcdefghijklmnopqrstuvwxyz0123456.lambda-url.us-east-1.on.aws',
      'x-forwarded-port': '443',
      'x-forwarded-for': '203.0.113.10',
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-06-18',
      'user-agent': 'trailbook-test',
      ...opts.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdefghijklmnopqrstuvwxyz0123456',
      authorizer: {
        iam: {
          accessKey: 'AKIAIOSFODNN7EXAMPLE',
          accountId: '123456789012',
          callerId: 'AIDACKCEVSQ6C2EXAMPLE',
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: 'arn:aws:iam::123456789012:user/analyst',
          userId: 'AIDACKCEVSQ6C2EXAMPLE',
        },
      },
      domainName: 'abcdefghijklmnopqrstuvwxyz0123456.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz0123456',
      http: { method, path: opts.path ?? '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'trailbook-test' },
      requestId: 'e2b8c8a4-7d1f-4e55-9c0f-1f3a4b5c6d7e',
      routeKey: '$default',
      stage: '$default',
      time: '23/Nov/2026:13:00:00 +0000',
      timeEpoch: 1795438800000,
    },
    body: json === undefined ? undefined : opts.base64 ? Buffer.from(json).toString('base64') : json,
    isBase64Encoded: !!opts.base64,
  };
}
