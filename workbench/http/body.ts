import type { Context } from 'koa';
import { z } from 'zod';
import { NotebookError } from '../notebooks.ts';

/** Request bodies: JSON for the API, a small form for the login page; each validated by a zod schema. */

const MAX_BODY = 64 * 1024 * 1024;

export async function readJson(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) throw new NotebookError('expected a JSON body (Content-Type: application/json)', 400);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new NotebookError('request body too large', 400);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new NotebookError('request body is not valid JSON', 400);
  }
}

export async function readForm(ctx: Context): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    if (chunks.length > 64) break;
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8').slice(0, 10_000));
}

export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new NotebookError(`invalid request: ${result.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`, 400);
  }
  return result.data;
}
