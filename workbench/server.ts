import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { KernelHost } from '../kernel/protocol.ts';
import { Auth, securityHeaders } from './auth.ts';
import { BUILD_DIR, PUBLIC_DIR } from './build.ts';
import type { WorkbenchConfig } from './config.ts';
import { serveFile } from './http/static-files.ts';
import { attachKernelSockets } from './kernel-socket.ts';
import { KernelSessions } from './kernels.ts';
import { checkName, NotebookError, NotebookStore } from './notebooks.ts';
import { shellPage } from './pages.ts';
import { notebookApi } from './routes/notebooks.ts';
import { sessionRoutes } from './routes/session.ts';
import { shareApi, shareRoutes } from './routes/share.ts';
import { ShareRegistry } from './share-registry.ts';
import { loadShareSecret, ShareSigner } from './share.ts';
import { defaultStateDir } from './state.ts';

/** The workbench HTTP + WebSocket server: pages, notebooks API, kernels, share links. */

export interface Workbench {
  server: Server;
  url: string;
  store: NotebookStore;
  kernels: KernelSessions;
  close(): Promise<void>;
}

export interface WorkbenchOptions extends WorkbenchConfig {
  /** Injected for tests; by default kernel/host.ts is loaded on the first execution. */
  kernelHost?: KernelHost;
  log?: (line: string) => void;
}

export async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const log = options.log ?? (() => {});
  const store = new NotebookStore(options.notebookDir);
  await store.init();
  const stateDir = options.stateDir ?? defaultStateDir();
  const share = { signer: new ShareSigner(await loadShareSecret(stateDir, options.shareSecret)), registry: new ShareRegistry(stateDir), store, publicUrl: options.publicUrl };
  const auth = new Auth(options.token);
  const kernels = new KernelSessions({ host: options.kernelHost, cwd: options.notebookDir, idleMs: options.kernelIdleMs });
  let preludeTypes: Promise<string> | undefined;

  const app = new Koa();
  app.proxy = true; // behind the ALB: trust X-Forwarded-Proto for Secure cookies
  app.use(securityHeaders);
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof NotebookError) {
        ctx.status = err.status;
        ctx.body = { error: err.message, ...err.details };
      } else {
        log(`error on ${ctx.method} ${ctx.path}: ${(err as Error).stack ?? err}`);
        ctx.status = 500;
        ctx.body = { error: `internal error: ${(err as Error).message}` };
      }
    }
  });

  const open = new Router();
  open.get('/healthcheck', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ok: true };
  });
  open.get('/favicon.ico', (ctx) => {
    ctx.status = 204;
  });
  open.get('/static/:file', async (ctx, next) => {
    if (!(await serveFile(ctx, PUBLIC_DIR, ctx.params.file!))) await next();
  });
  open.get(/^\/build\/(.+)$/, async (ctx, next) => {
    let relative: string;
    try {
      relative = decodeURIComponent(ctx.path.slice('/build/'.length));
    } catch {
      return next();
    }
    if (!(await serveFile(ctx, BUILD_DIR, relative))) await next();
  });

  const pages = new Router();
  pages.use(auth.middleware('page'));
  pages.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = shellPage();
  });
  pages.get('/notebooks/:name', (ctx) => {
    checkName(ctx.params.name!);
    ctx.type = 'html';
    ctx.body = shellPage();
  });

  const api = new Router({ prefix: '/api' });
  api.use(auth.middleware('api'));
  api.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  notebookApi(api, store, kernels);
  shareApi(api, share);
  api.get('/kernel/types.d.ts', async (ctx) => {
    preludeTypes ??= import('../kernel/prelude/index.ts').then((m: { generatePreludeTypes: () => Promise<string> }) => m.generatePreludeTypes());
    try {
      ctx.body = await preludeTypes;
      ctx.type = 'application/typescript; charset=utf-8';
    } catch (err) {
      preludeTypes = undefined;
      throw err;
    }
  });
  api.get('/kernels', (ctx) => {
    ctx.body = { kernels: kernels.list() };
  });

  app.use(open.routes());
  app.use(sessionRoutes(auth).routes());
  app.use(shareRoutes(share).routes());
  app.use(pages.routes());
  app.use(api.routes());
  app.use(api.allowedMethods());
  app.use((ctx) => {
    if (ctx.status === 404 && !ctx.body) {
      ctx.status = 404;
      ctx.body = ctx.path.startsWith('/api/') ? { error: 'not found' } : 'Not found';
    }
  });

  const server = createServer(app.callback());
  const wss = attachKernelSockets(server, { auth, store, kernels });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolvePromise());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;

  return {
    server,
    url,
    store,
    kernels,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await kernels.shutdownAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
