import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openKernelSocket, startTestWorkbench, upgradeStatus, type TestWorkbench } from './helpers.ts';

/** What a client can send on the kernel WebSocket must end that connection at most, never the server. */

let wb: TestWorkbench;
beforeAll(async () => {
  wb = await startTestWorkbench();
  await wb.store.create('socket.ipynb');
});
afterAll(() => wb?.stop());

const healthy = async () => (await fetch(`${wb.url}/healthcheck`)).status;

/** Resolves with the close code and reason the server sent. */
function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('kernel socket robustness', () => {
  it('closes a connection that sends invalid UTF-8 with 1007 and keeps serving', async () => {
    const socket = await openKernelSocket(wb, 'socket.ipynb');
    socket.ws.on('error', () => {}); // the client side may see the reset too
    const done = closed(socket.ws);
    socket.ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
    expect((await done).code).toBe(1007);
    expect(await healthy()).toBe(200);
    // Other connections keep working.
    const next = await openKernelSocket(wb, 'socket.ipynb');
    next.send({ type: 'execute', cellId: 'a', code: '40 + 2' });
    expect(await next.waitFor((m) => m.type === 'reply')).toMatchObject({ status: 'ok' });
    next.close();
  }, 60_000);

  it('closes a connection whose message is over the limit with 1009 and a reason naming the limit', async () => {
    const socket = await openKernelSocket(wb, 'socket.ipynb');
    socket.ws.on('error', () => {});
    const done = closed(socket.ws);
    socket.send({ type: 'execute', cellId: 'big', code: 'x'.repeat(5 * 1024 * 1024) });
    const { code, reason } = await done;
    expect(code).toBe(1009);
    expect(reason).toBe('message too large: over the 4 MB limit (TRAILBOOK_MAX_MESSAGE_MB)');
    expect(await healthy()).toBe(200);
  }, 60_000);

  it('takes the limit from the configuration', async () => {
    const small = await startTestWorkbench({ maxMessageBytes: 1024 * 1024 });
    try {
      await small.store.create('small.ipynb');
      const socket = await openKernelSocket(small, 'small.ipynb');
      socket.ws.on('error', () => {});
      const done = closed(socket.ws);
      socket.send({ type: 'execute', cellId: 'big', code: 'x'.repeat(1024 * 1024) });
      expect(await done).toEqual({ code: 1009, reason: 'message too large: over the 1 MB limit (TRAILBOOK_MAX_MESSAGE_MB)' });
    } finally {
      await small.stop();
    }
  }, 60_000);

  it('refuses an upgrade with an undecodable session cookie as unauthenticated', async () => {
    const url = `${wb.url.replace('http', 'ws')}/api/kernels/ws?notebook=socket.ipynb`;
    expect(await upgradeStatus(url, { cookie: 'trailbook_session=%E0%A4%A', origin: wb.origin })).toBe(401);
    expect(await upgradeStatus(url, { cookie: '%E0%A4%A=%E0%A4%A; trailbook_session=%', origin: wb.origin })).toBe(401);
    expect(await healthy()).toBe(200);
  });

  it('answers malformed upgrade requests without crashing', async () => {
    const { connect } = await import('node:net');
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(new URL(wb.url).port), '127.0.0.1');
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('error', () => resolve(text));
        socket.on('close', () => resolve(text));
        socket.write(request);
      });
    const upgrade = (target: string, extra = '') =>
      `GET ${target} HTTP/1.1\r\nHost: ${new URL(wb.url).host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
    expect(await raw(upgrade('http://[/api/kernels/ws'))).toMatch(/^HTTP\/1\.1 (400|404)/);
    expect(await raw(upgrade('/api/kernels/ws?notebook=%E0%A4%A', `Authorization: token ${'x'.repeat(10)}\r\n`))).toMatch(/^HTTP\/1\.1 401/);
    expect(await healthy()).toBe(200);
  });
});
