import type Router from '@koa/router';
import { z } from 'zod';
import { Notebook } from '../../notebook/format.ts';
import { parseBody, readJson } from '../http/body.ts';
import type { KernelSessions } from '../kernels.ts';
import type { NotebookStore } from '../notebooks.ts';

const CreateBody = z.object({ name: z.string().optional() });
const SaveBody = z.object({ notebook: Notebook, version: z.string().nullable() });
const RenameBody = z.object({ to: z.string() });
const DuplicateBody = z.object({ to: z.string().optional() });

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
    ctx.body = await store.open(ctx.params.name!);
  });
  router.put('/notebooks/:name', async (ctx) => {
    const body = parseBody(SaveBody, await readJson(ctx));
    const version = await store.save(ctx.params.name!, body.notebook, body.version);
    ctx.body = { name: ctx.params.name, version };
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
