import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';
import { startWorkbench, type Workbench, type WorkbenchOptions } from '../../workbench/server.ts';
import type { ServerMessage } from '../../workbench/kernels.ts';

/** A workbench on a free port with a temp notebooks dir and the small Invictus dataset. */

export const DATASET = INVICTUS;
export const TOKEN = 'test-token-0123456789';

export interface TestWorkbench extends Workbench {
  dir: string;
  origin: string;
  /** Cookie header of a logged-in browser (session + CSRF cookies) and its CSRF token. */
  cookie: string;
  csrf: string;
  stop(): Promise<void>;
}

export async function startTestWorkbench(overrides: Partial<WorkbenchOptions> = {}): Promise<TestWorkbench> {
  process.env.TRAILBOOK_DATA_DIR = DATASET;
  process.env.TRAILBOOK_SOURCE = 'files';
  const dir = await mkdtemp(join(tmpdir(), 'trailbook-wb-'));
  // Share secret and link registry apart from the notebooks, and never the user's own state directory.
  const stateDir = await mkdtemp(join(tmpdir(), 'trailbook-wb-state-'));
  const wb = await startWorkbench({
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    tokenGenerated: false,
    notebookDir: dir,
    kernelIdleMs: 60_000,
    stateDir,
    ...overrides,
  });
  const login = await fetch(`${wb.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: wb.url },
    body: new URLSearchParams({ token: TOKEN, next: '/' }),
  });
  const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => c.startsWith('trailbook_csrf='))!.split('=')[1]!;
  return {
    ...wb,
    dir,
    origin: wb.url,
    cookie: cookies.join('; '),
    csrf,
    async stop() {
      await wb.close();
      await rm(dir, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A logged-in browser's request: session cookie, CSRF header and same Origin. */
export function browserFetch(wb: Pick<TestWorkbench, 'url' | 'cookie' | 'origin' | 'csrf'>, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { cookie: wb.cookie, origin: wb.origin, 'x-csrf-token': wb.csrf, ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${wb.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), redirect: 'manual' });
}

/** Opens the kernel socket of a notebook and collects every message. */
export async function openKernelSocket(wb: Pick<TestWorkbench, 'url' | 'cookie' | 'origin'>, notebook: string, headers: Record<string, string> = { cookie: wb.cookie, origin: wb.origin }) {
  const ws = new WebSocket(`${wb.url.replace('http', 'ws')}/api/kernels/ws?notebook=${encodeURIComponent(notebook)}`, { headers });
  const messages: ServerMessage[] = [];
  const waiters: { test: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as ServerMessage;
    messages.push(message);
    for (const w of [...waiters]) if (w.test(message)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  await new Promise<void>((resolvePromise, reject) => {
    ws.once('open', () => resolvePromise());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    send: (m: unknown) => ws.send(JSON.stringify(m)),
    waitFor(test: (m: ServerMessage) => boolean, timeoutMs = 60_000): Promise<ServerMessage> {
      const found = messages.find(test);
      if (found) return Promise.resolve(found);
      return new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(messages).slice(0, 600)}`)), timeoutMs);
        waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolvePromise(m)) });
      });
    },
    close: () => ws.close(),
  };
}

/** Tries a WebSocket upgrade and returns the HTTP status it was refused with (or 101). */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolvePromise) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolvePromise(101);
    });
    ws.once('unexpected-response', (_req, res) => resolvePromise(res.statusCode ?? 0));
    ws.once('error', () => resolvePromise(0));
  });
}
