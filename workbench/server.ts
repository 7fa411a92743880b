import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, sep } from 'node:path';
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { Notebook } from '../notebook/format.ts';
import type { KernelHost } from '../kernel/protocol.ts';
import { Auth, securityHeaders } from './auth.ts';
import { BUILD_DIR, PUBLIC_DIR } from './build.ts';
import type { WorkbenchConfig } from './config.ts';
import { ClientMessage, KernelSessions, type ServerMessage } from './kernels.ts';
import { checkName, NotebookError, NotebookStore } from './notebooks.ts';
import { loginPage, shellPage } from './pages.ts';
import { REPORT_CSP, renderReport } from './report.ts';
import { loadShareSecret, ShareSigner } from './share.ts';

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

const MAX_BODY = 64 * 1024 * 1024;

async function readJson(ctx: Context): Promise<unknown> {
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

async function readForm(ctx: Context): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    if (chunks.length > 64) break;
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8').slice(0, 10_000));
}

function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new NotebookError(`invalid request: ${result.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`, 400);
  }
  return result.data;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Serves files under `root` only; no directory listing, no dotfiles. */
async function serveFile(ctx: Context, root: string, relative: string): Promise<boolean> {
  const clean = normalize(relative).replace(/^([/\\])+/, '');
  if (clean.split(sep).some((part) => part.startsWith('.') || part === '')) return false;
  const path = join(root, clean);
  if (!path.startsWith(root + sep)) return false;
  const type = CONTENT_TYPES[extname(path)];
  if (!type) return false;
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = type;
    ctx.lastModified = info.mtime;
    ctx.etag = `W/"${info.size.toString(16)}-${info.mtimeMs.toString(16)}"`;
    if (ctx.fresh) {
      ctx.status = 304;
      return true;
    }
    ctx.body = await readFile(path);
    return true;
  } catch {
    return false;
  }
}

const CreateBody = z.object({ name: z.string().optional() });
const SaveBody = z.object({ notebook: Notebook, version: z.string().nullable() });
const RenameBody = z.object({ to: z.string() });
const DuplicateBody = z.object({ to: z.string().optional() });
const ShareBody = z.object({ expiresInHours: z.number().positive().max(24 * 366).nullable().optional() });

export async function startWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const log = options.log ?? (() => {});
  const store = new NotebookStore(options.notebookDir);
  await store.init();
  const signer = new ShareSigner(await loadShareSecret(options.notebookDir, options.shareSecret));
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
  open.get('/login', (ctx) => {
    ctx.type = 'html';
    ctx.body = loginPage({ next: typeof ctx.query.next === 'string' ? ctx.query.next : '/' });
  });
  open.post('/login', async (ctx) => {
    if (!Auth.sameOrigin(ctx.req)) {
      ctx.status = 403;
      ctx.body = 'cross-site login refused';
      return;
    }
    const form = await readForm(ctx);
    const next = form.get('next') ?? '/';
    // Only a path on this site: browsers drop tabs/newlines and treat \ as /, so "/\t/evil" would become "//evil".
    const safeNext = /^\/(?![/\\])[^\s\\\u0000-\u001f]*$/.test(next) ? next : '/';
    if (!auth.tokenMatches(form.get('token') ?? undefined)) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage({ next: safeNext, error: 'That token is not valid.' });
      return;
    }
    auth.startSession(ctx);
    ctx.redirect(safeNext);
  });
  open.post('/logout', (ctx) => {
    if (!Auth.sameOrigin(ctx.req)) {
      ctx.status = 403;
      return;
    }
    auth.endSession(ctx);
    ctx.redirect('/login');
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

  // Share links: a valid signature reads exactly one notebook's saved state; nothing else.
  const shareHandler = async (ctx: Context, download: boolean) => {
    const verdict = signer.verify(String(ctx.params.token));
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', REPORT_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    if (!verdict.ok) {
      ctx.status = 403;
      ctx.type = 'text';
      ctx.body = `Share link refused: ${verdict.reason}`;
      return;
    }
    const { name, expiresAt } = verdict.share;
    let opened;
    try {
      opened = await store.open(name);
    } catch (err) {
      const missing = err instanceof NotebookError && err.status === 404;
      ctx.status = missing ? 404 : 422;
      ctx.type = 'text';
      ctx.body = missing ? 'This notebook no longer exists.' : 'This notebook cannot be displayed.';
      return;
    }
    ctx.type = 'html';
    ctx.body = renderReport(name, opened.notebook, { exported: download, expiresAt });
    if (download) ctx.attachment(name.replace(/\.ipynb$/, '.html'));
  };
  open.get('/share/:token', (ctx) => shareHandler(ctx, false));
  open.get('/share/:token/export.html', (ctx) => shareHandler(ctx, true));

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
  api.get('/notebooks', async (ctx) => {
    ctx.body = { notebooks: await store.list(), kernels: kernels.list() };
  });
  api.post('/notebooks', async (ctx) => {
    const body = parseBody(CreateBody, await readJson(ctx));
    const created = await store.create(body.name);
    ctx.status = 201;
    ctx.body = created;
  });
  api.get('/notebooks/:name', async (ctx) => {
    ctx.body = await store.open(ctx.params.name!);
  });
  api.put('/notebooks/:name', async (ctx) => {
    const body = parseBody(SaveBody, await readJson(ctx));
    const version = await store.save(ctx.params.name!, body.notebook, body.version);
    ctx.body = { name: ctx.params.name, version };
  });
  api.post('/notebooks/:name/rename', async (ctx) => {
    const body = parseBody(RenameBody, await readJson(ctx));
    await store.rename(ctx.params.name!, body.to);
    kernels.rename(ctx.params.name!, body.to);
    ctx.body = { name: body.to };
  });
  api.post('/notebooks/:name/duplicate', async (ctx) => {
    const body = parseBody(DuplicateBody, await readJson(ctx));
    ctx.status = 201;
    ctx.body = await store.duplicate(ctx.params.name!, body.to);
  });
  api.delete('/notebooks/:name', async (ctx) => {
    await store.remove(ctx.params.name!);
    await kernels.remove(ctx.params.name!);
    ctx.status = 204;
  });
  api.post('/notebooks/:name/share', async (ctx) => {
    const body = parseBody(ShareBody, await readJson(ctx));
    const name = ctx.params.name!;
    await store.open(name); // only saved, readable notebooks can be shared
    const expiresAt = body.expiresInHours ? Date.now() + body.expiresInHours * 3_600_000 : null;
    const token = signer.sign(name, expiresAt);
    ctx.body = { url: `${ctx.origin}/share/${token}`, exportUrl: `${ctx.origin}/share/${token}/export.html`, expiresAt };
  });
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
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(req, socket, head);
  });
  const refuse = (socket: Duplex, status: number, reason: string) => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`);
  };

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/kernels/ws') return refuse(socket, 404, 'Not Found');
    if (!auth.checkUpgrade(req)) return refuse(socket, 401, 'Unauthorized');
    const name = url.searchParams.get('notebook') ?? '';
    try {
      checkName(name);
      if (!(await store.exists(name))) return refuse(socket, 404, 'Not Found');
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachKernelSocket(ws, name));
  }

  function attachKernelSocket(ws: WebSocket, name: string): void {
    const session = kernels.get(name);
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const detach = session.attach(send);
    let alive = true;
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    ws.on('pong', () => (alive = true));
    ws.on('message', (data) => {
      let message: ClientMessage;
      try {
        message = ClientMessage.parse(JSON.parse(String(data)));
      } catch (err) {
        send({ type: 'error', message: `bad kernel message: ${(err as Error).message.slice(0, 200)}` });
        return;
      }
      session.handle(message).catch((err: Error) => send({ type: 'error', message: err.message }));
    });
    ws.on('close', () => {
      clearInterval(ping);
      detach();
    });
  }

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
