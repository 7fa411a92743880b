import { lambdaRuntime, type LambdaContext, type LambdaResponseStream, type StreamingHandler } from './lambda-runtime-shim.ts';
import type { FunctionUrlEvent } from './lambda-handler.ts';
import { onceUntilFailure } from './once.ts';

/*
 * Lambda entry for a Function URL in RESPONSE_STREAM invoke mode.
 *
 * The implementation is loaded with a dynamic import on purpose. The store modules are themselves loaded
 * dynamically (cloudtrail/config.ts), which makes esbuild wrap zod in lazy initialisers in a single-file ESM
 * bundle; the MCP SDK, if bundled statically next to them, then evaluates `zod/v4` re-exports before zod is
 * initialised and the function dies at cold start ("Class is not a constructor"). Loading the whole
 * implementation lazily keeps every module on the same, correctly ordered initialisation path.
 * test/mcp/lambda-bundle.test.ts builds the bundle the way the CDK stack does and invokes it.
 */

const load = onceUntilFailure(async (): Promise<StreamingHandler<FunctionUrlEvent>> => (await import('./lambda-handler.ts')).createStreamingHandler());

export const handler = lambdaRuntime().streamifyResponse(
  async (event: FunctionUrlEvent, responseStream: LambdaResponseStream, context: LambdaContext): Promise<void> => (await load())(event, responseStream, context),
);
