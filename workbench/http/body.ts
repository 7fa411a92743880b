import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { formatMb } from '../message-limit.ts';
import { HttpError } from './errors.ts';

/**
 * Small request bodies, parsed by @koa/bodyparser with explicit size limits (413 beyond them) and
 * validated by a zod schema. Notebook saves have their own reader and limit (routes/notebooks.ts).
 */

/** API requests other than notebook saves are small: names, share options. */
export const DEFAULT_JSON_BYTES = 1024 * 1024;
/** The login form: a token and a path. */
export const DEFAULT_FORM_BYTES = 16 * 1024;

const parsers = new Map<string, Middleware>();
function parser(kind: 'json' | 'form', limit: number): Middleware {
  const key = `${kind}:${limit}`;
  let middleware = parsers.get(key);
  if (!middleware) {
    middleware = bodyParser({ enableTypes: [kind], jsonLimit: limit, formLimit: limit, encoding: 'utf-8' }) as Middleware;
    parsers.set(key, middleware);
  }
  return middleware;
}

async function parse(ctx: Context, kind: 'json' | 'form', limit: number): Promise<unknown> {
  if (ctx.request.body === undefined) {
    try {
      await parser(kind, limit)(ctx, async () => {});
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 413) throw new HttpError(413, `request body too large: the limit is ${formatMb(limit)}`);
      if (status === 400 && kind === 'json' && (err as { type?: string }).type !== 'request.aborted') throw new HttpError(400, 'request body is not valid JSON');
      if (status && status < 500) throw new HttpError(status, (err as Error).message);
      throw err;
    }
  }
  return ctx.request.body;
}

export async function readJson(ctx: Context, limit = DEFAULT_JSON_BYTES): Promise<unknown> {
  if (!ctx.is('application/json')) throw new HttpError(400, 'expected a JSON body (Content-Type: application/json)');
  return parse(ctx, 'json', limit);
}

export async function readForm(ctx: Context, limit = DEFAULT_FORM_BYTES): Promise<unknown> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw new HttpError(400, 'expected a form body (Content-Type: application/x-www-form-urlencoded)');
  return parse(ctx, 'form', limit);
}

export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(400, `invalid request: ${result.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}
