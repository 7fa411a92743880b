import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { parseBody, readJson } from '../http/body.ts';
import type { KernelSessions } from '../kernels.ts';
import { NotebookError, type NotebookStore } from '../notebooks.ts';

const CreateBody = z.object({ name: z.string().optional() });
const RenameBody = z.object({ to: z.string() });
const DuplicateBody = z.object({ to: z.string().optional() });

/**
 * A save body, read as raw bytes up to the notebook size limit (413 past it, from Content-Length when
 * given, else as it streams in): the worker parses and validates it, not this thread.
 */
async function readNotebookBody(ctx: Context, name: string, limit: number): Promise<Uint8Array> {
  if (!ctx.is('application/json')) throw new NotebookError('expected a JSON body (Content-Type: application/json)', 400);
  const tooLarge = (size: number) =>
    new NotebookError(`Notebook "${name}" is too large to save (${(size / 1024 / 1024).toFixed(1)} MB or more, limit ${(limit / 1024 / 1024).toFixed(1)} MB)`, 413, { limit });
  // The rest of a refused body is not read: the connection closes after the 413.
  const refuse = (size: number) => {
    ctx.set('Connection', 'close');
    return tooLarge(size);
  };
  const declared = Number(ctx.get('content-length'));
  if (declared > limit) throw refuse(declared);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw refuse(size);
    chunks.push(chunk);
  }
  // One exclusively owned buffer: it is handed (transferred) to the worker.
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.length;
  }
  return body;
}

/** The notebooks API (mounted under /api): list, create, open, save, rename, duplicate, delete. */
export function notebookApi(router: Router, store: NotebookStore, kernels: KernelSessions): void {
  router.get('/notebooks', async (ctx) => {
    ctx.body = { notebooks: await store.list(), kernels: kernels.list() };
  });
  router.post('/notebooks', async (ctx) => {
    const body = parseBody(CreateBody, await readJson(ctx));
    const created = await store.create(body.name);
    ctx.status = 201;
    ctx.body = created;
  });
  router.get('/notebooks/:name', async (ctx) => {
    const opened = await store.openBody(ctx.params.name!);
    ctx.type = 'json';
    ctx.body = opened.body;
  });
  router.put('/notebooks/:name', async (ctx) => {
    const name = ctx.params.name!;
    const version = await store.saveBody(name, await readNotebookBody(ctx, name, store.maxNotebookBytes));
    ctx.body = { name, version };
  });
  router.post('/notebooks/:name/rename', async (ctx) => {
    const body = parseBody(RenameBody, await readJson(ctx));
    await store.rename(ctx.params.name!, body.to);
    kernels.rename(ctx.params.name!, body.to);
    ctx.body = { name: body.to };
  });
  router.post('/notebooks/:name/duplicate', async (ctx) => {
    const body = parseBody(DuplicateBody, await readJson(ctx));
    ctx.status = 201;
    ctx.body = await store.duplicate(ctx.params.name!, body.to);
  });
  router.delete('/notebooks/:name', async (ctx) => {
    await store.remove(ctx.params.name!);
    await kernels.remove(ctx.params.name!);
    ctx.status = 204;
  });
}
