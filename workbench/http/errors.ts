import type { Context, Next } from 'koa';
import { NotebookError } from '../notebooks.ts';

/** A problem with the request itself (size, encoding, shape), answered with its status and a JSON error. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** http-errors from Koa and its middleware carry a status and say whether the message may be shown. */
const exposed = (err: unknown): err is { status: number; message: string } =>
  typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number' && (err as { expose?: unknown }).expose === true;

/** Turns thrown errors into responses: request and notebook problems as themselves, anything else as a logged 500. */
export function errorResponses(log: (line: string) => void) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      if (err instanceof NotebookError) {
        ctx.status = err.status;
        ctx.body = { error: err.message, ...err.details };
      } else if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { error: err.message };
      } else if (exposed(err)) {
        ctx.status = err.status;
        ctx.body = { error: err.message };
      } else {
        log(`error on ${ctx.method} ${ctx.path}: ${(err as Error).stack ?? err}`);
        ctx.status = 500;
        ctx.body = { error: `internal error: ${(err as Error).message}` };
      }
    }
  };
}
