import { createReadStream } from 'node:fs';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { parseBody, readJson } from '../http/body.ts';
import type { KernelSessions } from '../kernels.ts';
import { NotebookError, type NotebookStore } from '../notebooks.ts';

const CreateBody = z.object({ name: z.string().optional(), folder: z.string().optional() });
const RenameBody = z.object({ to: z.string() });
const DuplicateBody = z.object({ to: z.string().optional() });
const FolderBody = z.object({ path: z.string() });

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

/** Kernel sessions follow their notebooks when a folder moves. */
function renameSessions(kernels: KernelSessions, moved: [string, string][]): void {
  const running = new Set(kernels.list().map((k) => k.name));
  for (const [from, to] of moved) if (running.has(from)) kernels.rename(from, to);
}

/**
 * The notebooks API (mounted under /api): list (notebooks in every folder, folders, what is skipped),
 * create, open, save, rename or move, duplicate, delete, upload and download; folders: create, rename
 * or move, delete. Names with folders travel URL-encoded in one path segment (`sub%2Fx.ipynb`).
 */
export function notebookApi(router: Router, store: NotebookStore, kernels: KernelSessions): void {
  router.get('/notebooks', async (ctx) => {
    ctx.body = { ...(await store.listing()), kernels: kernels.list() };
  });
  router.post('/notebooks', async (ctx) => {
    const body = parseBody(CreateBody, await readJson(ctx));
    const created = await store.create(body.name, undefined, body.folder);
    ctx.status = 201;
    ctx.body = created;
  });
  // The file as sent (not a save request): validated by the notebook loader, refused whole when invalid.
  router.post('/notebooks/:name/upload', async (ctx) => {
    const name = ctx.params.name!;
    ctx.status = 201;
    ctx.body = await store.upload(name, await readNotebookBody(ctx, name, store.maxNotebookBytes));
  });
  router.get('/notebooks/:name/download', async (ctx) => {
    const { path, size } = await store.file(ctx.params.name!);
    ctx.attachment(ctx.params.name!.split('/').at(-1)!);
    ctx.type = 'application/x-ipynb+json';
    ctx.length = size;
    ctx.body = createReadStream(path);
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
  router.post('/folders', async (ctx) => {
    const body = parseBody(FolderBody, await readJson(ctx));
    ctx.status = 201;
    ctx.body = await store.createFolder(body.path);
  });
  router.post('/folders/:path/rename', async (ctx) => {
    const body = parseBody(RenameBody, await readJson(ctx));
    const moved = await store.renameFolder(ctx.params.path!, body.to);
    renameSessions(kernels, moved);
    ctx.body = { path: body.to, moved: moved.map(([from, to]) => ({ from, to })) };
  });
  router.delete('/folders/:path', async (ctx) => {
    const removed = await store.removeFolder(ctx.params.path!);
    await Promise.all(removed.map((name) => kernels.remove(name)));
    ctx.body = { removed };
  });
}
