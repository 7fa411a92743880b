import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCli, servedUrl } from './cli-process.ts';
import { DATASET } from './helpers.ts';

/** The real `trailbook serve` process under hostile input: every attack ends a request or a connection, never the process. */

const TOKEN = 'survive-token-0123456789';
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Opens a kernel socket, sends one frame, resolves with the close code the server chose. */
function sendAndClose(url: string, send: (ws: WebSocket) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `token ${TOKEN}` } });
    ws.on('error', () => {});
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('open', () => send(ws));
    ws.once('close', (code) => resolve(code));
  });
}

function raw(port: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.write(text);
  });
}

function status(port: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('trailbook serve under attack', () => {
  it('keeps running through bad frames, bad cookies, foreign Hosts, malformed upgrades and token guessing', async () => {
    const notebooks = await mkdtemp(join(tmpdir(), 'trailbook-survive-'));
    const state = await mkdtemp(join(tmpdir(), 'trailbook-survive-state-'));
    dirs.push(notebooks, state);
    const server = runCli(['serve', '--port', '0', '--host', '127.0.0.1', '--notebook-dir', notebooks, '--no-sample-data'], {
      TRAILBOOK_DATA_DIR: DATASET,
      TRAILBOOK_TOKEN: TOKEN,
      TRAILBOOK_STATE_DIR: state,
      TRAILBOOK_MAX_MESSAGE_MB: '1',
    });
    try {
      const match = await servedUrl(server);
      expect(match, server.output()).not.toBeNull();
      const url = match![1]!;
      const { port, host } = new URL(url);
      const auth = { authorization: `token ${TOKEN}` };
      expect((await fetch(`${url}/api/notebooks`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"name":"target.ipynb"}' })).status).toBe(201);
      const ws = `${url.replace('http', 'ws')}/api/kernels/ws?notebook=target.ipynb`;

      // 1. Invalid UTF-8 in a text frame, and a frame over the (configured) 1 MB limit.
      expect(await sendAndClose(ws, (s) => s.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false }))).toBe(1007);
      expect(await sendAndClose(ws, (s) => s.send('x'.repeat(1.5 * 1024 * 1024)))).toBe(1009);
      // 2. An undecodable session cookie, on the upgrade and on HTTP.
      const badCookie = { cookie: 'trailbook_session=%E0%A4%A', origin: url };
      const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
      expect(await status(port, '/api/kernels/ws?notebook=target.ipynb', { ...upgrade, ...badCookie, host })).toBe(401);
      expect(await status(port, '/api/notebooks', { ...badCookie, host })).toBe(401);
      // 3. A foreign Host (DNS rebinding), on HTTP and on the upgrade.
      expect(await status(port, '/api/notebooks', { ...auth, host: 'evil.example' })).toBe(403);
      expect(await status(port, '/api/kernels/ws?notebook=target.ipynb', { ...upgrade, ...auth, host: 'evil.example' })).toBe(403);
      // 4. Malformed upgrade targets and a reset mid-handshake.
      expect(await raw(port, `GET http://[/api/kernels/ws HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
      const reset = connect(Number(port), '127.0.0.1');
      reset.on('error', () => {});
      reset.write(`GET /api/kernels/ws?notebook=target.ipynb HTTP/1.1\r\nHost: ${host}\r\nAuthorization: token ${TOKEN}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
      reset.resetAndDestroy();
      // 5. Bodies cut off mid-stream: a login form and a notebook save.
      for (const [path, type, auth2] of [['/login', 'application/x-www-form-urlencoded', ''], ['/api/notebooks/target.ipynb', 'application/json', `Authorization: token ${TOKEN}\r\n`]] as const) {
        const cut = connect(Number(port), '127.0.0.1');
        cut.on('error', () => {});
        cut.write(`${path === '/login' ? 'POST' : 'PUT'} ${path} HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${url}\r\n${auth2}Content-Type: ${type}\r\nContent-Length: 100000\r\n\r\ntoken=abc`);
        await new Promise((r) => setTimeout(r, 200));
        cut.resetAndDestroy();
      }
      // 6. Guessing tokens: the 11th failure is throttled.
      const guesses: number[] = [];
      for (let i = 0; i < 11; i++) guesses.push((await fetch(`${url}/api/notebooks`, { headers: { authorization: `token guess-${i}` } })).status);
      expect(guesses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(guesses[10]).toBe(429);

      await new Promise((r) => setTimeout(r, 500));
      expect(server.child.exitCode, server.output()).toBeNull();
      expect((await fetch(`${url}/healthcheck`)).status).toBe(200);
      // The closes were logged with their cause, and nothing was fatal.
      expect(server.output()).toMatch(/WS_ERR_INVALID_UTF8/);
      expect(server.output()).toMatch(/WS_ERR_UNSUPPORTED_MESSAGE_LENGTH/);
      expect(server.output()).not.toMatch(/unhandled|fatal|Uncaught/i);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 120_000);
});
