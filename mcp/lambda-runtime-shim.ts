import type { Writable } from 'node:stream';

/**
 * The two pieces of the AWS Lambda Node.js runtime's `awslambda` global that response streaming uses,
 * reproduced from aws-lambda-nodejs-runtime-interface-client (UserFunction.js, HttpResponseStream.js).
 * Only used where the global is absent (tests, local runs); inside Lambda the runtime's own is used.
 */

/** The runtime's response stream: a Writable with a content type and a hook run before the first write. */
export interface LambdaResponseStream extends Writable {
  setContentType(contentType: string): void;
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
}

export interface LambdaContext {
  awsRequestId: string;
  functionName?: string;
  getRemainingTimeInMillis?(): number;
  [key: string]: unknown;
}

export type StreamingHandler<E = unknown> = (event: E, responseStream: LambdaResponseStream, context: LambdaContext) => Promise<void>;

export interface HttpResponsePrelude {
  statusCode: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

export interface LambdaRuntime {
  streamifyResponse<E>(handler: StreamingHandler<E>, options?: { highWaterMark?: number }): StreamingHandler<E>;
  HttpResponseStream: { from(stream: LambdaResponseStream, prelude: HttpResponsePrelude): LambdaResponseStream };
}

/** Marks a handler as streaming; the runtime reads these symbols to decide how to invoke it. */
export const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
export const STREAM_RESPONSE = 'response';

/** Content type telling the Function URL front end that a JSON prelude and 8 NUL bytes precede the body. */
export const METADATA_PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
export const DELIMITER_LEN = 8;

export const lambdaRuntimeShim: LambdaRuntime = {
  streamifyResponse(handler, options) {
    const marked = handler as typeof handler & Record<symbol, unknown>;
    marked[HANDLER_STREAMING] = STREAM_RESPONSE;
    if (typeof options?.highWaterMark === 'number') marked[HANDLER_HIGHWATERMARK] = Math.trunc(options.highWaterMark);
    return handler;
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
      // NUL is not allowed inside the prelude, which JSON.stringify guarantees.
      const metadata = JSON.stringify(prelude);
      stream._onBeforeFirstWrite = (write) => {
        write(metadata);
        write(new Uint8Array(DELIMITER_LEN));
      };
      return stream;
    },
  },
};

/**
 * The runtime's global when running inside Lambda, the shim elsewhere. Checks the functions, not just the
 * global: the AWS SDK (@aws/lambda-invoke-store) sets `globalThis.awslambda = {}` outside Lambda too.
 */
export function lambdaRuntime(): LambdaRuntime {
  const g = (globalThis as { awslambda?: Partial<LambdaRuntime> }).awslambda;
  return typeof g?.streamifyResponse === 'function' && typeof g.HttpResponseStream?.from === 'function' ? (g as LambdaRuntime) : lambdaRuntimeShim;
}
