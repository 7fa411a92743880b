import { createServer, type Server } from 'node:http';
import { constants as zlib } from 'node:zlib';
import Koa from 'koa';
import compress from 'koa-compress';
import Router from '@koa/router';
import type { KernelHost } from '../kernel/protocol.ts';
import { Auth, securityHeaders } from './auth.ts';
import { BUILD_DIR, HASHED_NAME, PUBLIC_DIR, shellAssets } from './build.ts';
import { WORKBENCH_DEFAULTS, type WorkbenchConfig } from './config.ts';
import { FailedLogins, type FailureLimit } from './failed-logins.ts';
import type { NotebookRepository } from './git/repository.ts';
import { gitApi } from './git/routes.ts';
import { errorResponses } from './http/errors.ts';
import { HostCheck } from './http/host-check.ts';
import type { AlbJwtVerifier } from './identity/alb-jwt.ts';
import type { CognitoSignOut } from './identity/sign-out.ts';
import { AlbSignIn, meRoute } from './identity/sign-in.ts';
import { sendRevalidated, serveFile } from './http/static-files.ts';
import { attachKernelSockets } from './kernel-socket.ts';
import { KernelSessions } from './kernels.ts';
import { checkFolder, checkName, NotebookStore } from './notebooks.ts';
import { shellPage } from './pages.ts';
import { notebookApi } from './routes/notebooks.ts';
import { sessionRoutes } from './routes/session.ts';
import { shareApi, shareRoutes } from './routes/share.ts';
import { SessionStore } from './sessions.ts';
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

/** Settings with defaults (WORKBENCH_DEFAULTS) a caller may leave out. */
type Defaulted = keyof typeof WORKBENCH_DEFAULTS;

export interface WorkbenchOptions extends Omit<WorkbenchConfig, Defaulted>, Partial<Pick<WorkbenchConfig, Defaulted>> {
  /** Injected for tests; by default kernel/host.ts is loaded on the first execution. */
  kernelHost?: KernelHost;
  log?: (line: string) => void;
  /** For tests: the clock sessions and the failed-login throttle use, and the throttle's limit. */
  now?: () => number;
  failedLogins?: FailureLimit;
  /** The notebook folder's git working copy (workbench/git): states in the list, Commit, pull. */
  git?: NotebookRepository;
  /** People signed in by the load balancer (TRAILBOOK_AUTH=alb): its token is verified instead of a workbench token. */
  identity?: AlbJwtVerifier;
  /** With `identity` through Cognito: logging out also ends the hosted UI's session. */
  cognitoSignOut?: CognitoSignOut;
}

/** A URL path decoded; undecodable text becomes a name every check refuses (400, not 500). */
const decodePath = (path: string): string => {
  try {
    return decodeURIComponent(path);
  } catch {
    return '\0';
  }
};

export async function startWorkbench(input: WorkbenchOptions): Promise<Workbench> {
  const options = { ...WORKBENCH_DEFAULTS, ...input };
  const log = options.log ?? (() => {});
  const store = new NotebookStore(options.notebookDir, { maxNotebookBytes: options.maxNotebookBytes });
  await store.init();
  const stateDir = options.stateDir ?? defaultStateDir();
  const share = { signer: new ShareSigner(await loadShareSecret(stateDir, options.shareSecret)), registry: new ShareRegistry(stateDir), store, publicUrl: options.publicUrl };
  const sessions = new SessionStore({ idleMs: options.sessionIdleMs, maxMs: options.sessionMaxMs }, options.now);
  const auth = new Auth({ token: options.token, sessions, failures: new FailedLogins(options.failedLogins, options.now), trustProxy: options.trustProxy });
  const hosts = new HostCheck(options.host, options.allowedHosts);
  const albSignIn = options.identity ? new AlbSignIn(auth, options.identity, log, options.cognitoSignOut) : undefined;
  const kernels = new KernelSessions({
    host: options.kernelHost,
    cwd: options.notebookDir,
    idleMs: options.kernelIdleMs,
    cellOutputBytes: options.cellOutputBytes,
    notebookOutputBytes: options.notebookOutputBytes,
    kernelMemoryMb: options.kernelMemoryMb,
  });
  let preludeTypes: Promise<string> | undefined;

  const app = new Koa();
  // Behind the ALB: X-Forwarded-Proto says https (Secure cookies), X-Forwarded-For names the client.
  app.proxy = options.trustProxy;
  app.maxIpsCount = 1;
  app.use(securityHeaders);
  app.use(hosts.middleware());
  app.use(errorResponses(log));
  app.use(
    compress({
      threshold: 1024,
      br: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
      gzip: {},
      deflate: false,
      zstd: false,
    }),
  );

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
    const file = ctx.path.slice('/build/'.length);
    if (!(await serveFile(ctx, BUILD_DIR, file, { immutable: HASHED_NAME.test(file), precompressed: true }))) await next();
  });

  const sendShell = async (ctx: Koa.Context) => sendRevalidated(ctx, shellPage({ maxMessageBytes: options.maxMessageBytes, assets: await shellAssets() }), 'html');
  const pages = new Router();
  pages.use(albSignIn ? albSignIn.pages() : auth.middleware('page'));
  pages.get('/', async (ctx) => {
    await sendShell(ctx);
  });
  // A notebook in a folder is /notebooks/folder/name.ipynb; a folder of the list is /tree/folder.
  pages.get(/^\/notebooks\/(.+)$/, async (ctx) => {
    checkName(decodePath(ctx.path.slice('/notebooks/'.length)));
    await sendShell(ctx);
  });
  pages.get(/^\/tree\/(.+)$/, async (ctx) => {
    checkFolder(decodePath(ctx.path.slice('/tree/'.length)));
    await sendShell(ctx);
  });

  const api = new Router({ prefix: '/api' });
  if (albSignIn) api.use(albSignIn.api());
  api.use(auth.middleware('api'));
  api.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  // Notebook saves read their own raw body up to store.maxNotebookBytes (413 past it) and parse it in a
  // worker thread (routes/notebooks.ts): a body parser here would JSON.parse 100 MB on the event loop.
  if (options.git) gitApi(api, options.git); // before notebookApi: adds the git states to its listing
  notebookApi(api, store, kernels);
  meRoute(api);
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
  if (albSignIn) app.use(albSignIn.routes().routes());
  app.use(sessionRoutes(auth).routes());
  // Behind the ALB a share link is for people who can sign in: the page checks the ALB token like every other.
  const sharePages = new Router();
  if (albSignIn) sharePages.use(albSignIn.api());
  sharePages.use(shareRoutes(share).routes());
  app.use(sharePages.routes());
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
  const wss = attachKernelSockets(server, { auth, hosts, store, kernels, identity: options.identity, maxMessageBytes: options.maxMessageBytes, log });

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
