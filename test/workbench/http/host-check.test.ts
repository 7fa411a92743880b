import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostCheck } from '../../../workbench/http/host-check.ts';
import { startTestWorkbench, TOKEN, type TestWorkbench } from '../helpers.ts';

/** DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 must not reach the workbench. */

describe('HostCheck', () => {
  it('on loopback accepts only loopback names, with any port', () => {
    const check = new HostCheck('127.0.0.1', []);
    for (const host of ['localhost', 'localhost:8888', 'LOCALHOST:1', 'localhost.', '127.0.0.1', '127.0.0.1:8888', '[::1]', '[::1]:8888']) {
      expect(check.allows(host), host).toBe(true);
    }
    for (const host of ['evil.example', 'evil.example:8888', 'localhost.evil.example', '127.0.0.1.nip.io', '192.168.1.5:8888', '[::1', 'localhost:http', '', undefined]) {
      expect(check.allows(host), String(host)).toBe(false);
    }
    expect(new HostCheck('localhost', []).allows('evil.example')).toBe(false);
    expect(new HostCheck('::1', []).allows('[::1]:9')).toBe(true);
  });

  it('adds TRAILBOOK_ALLOWED_HOSTS; a leading dot allows the domain and its subdomains', () => {
    const check = new HostCheck('0.0.0.0', ['.example.com', 'Workbench.Internal']);
    for (const host of ['example.com', 'a.example.com:443', 'b.a.example.com', 'workbench.internal:8888', 'localhost:8888']) {
      expect(check.allows(host), host).toBe(true);
    }
    for (const host of ['badexample.com', 'example.com.evil.example', 'evil.example', 'internal']) {
      expect(check.allows(host), host).toBe(false);
    }
    expect(new HostCheck('127.0.0.1', ['notebooks.example.org']).allows('notebooks.example.org')).toBe(true);
    expect(new HostCheck('0.0.0.0', ['*']).allows('anything.example')).toBe(true);
  });

  it('off loopback without a list, accepts IP addresses (no DNS, so no rebinding) and loopback names only', () => {
    const check = new HostCheck('0.0.0.0', []);
    expect(check.allows('10.0.3.7:8888')).toBe(true);
    expect(check.allows('[2001:db8::1]:8888')).toBe(true);
    expect(check.allows('localhost:8888')).toBe(true);
    expect(check.allows('workbench.example.com')).toBe(false);
    expect(check.refusal('workbench.example.com')).toMatch(/TRAILBOOK_ALLOWED_HOSTS/);
  });
});

describe('the server refuses foreign Host headers', () => {
  let wb: TestWorkbench;
  beforeAll(async () => {
    wb = await startTestWorkbench();
    await wb.store.create('host.ipynb');
  });
  afterAll(() => wb?.stop());

  /** A raw request (fetch cannot set Host); resolves with the status, or 101 for an accepted upgrade. */
  function send(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const { port } = new URL(wb.url);
      const req = request({ host: '127.0.0.1', port, path, headers });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('upgrade', (_res, socket) => {
        socket.destroy();
        resolve({ status: 101, body: '' });
      });
      req.on('error', reject);
      req.end();
    });
  }
  const upgrade = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };

  it('on pages, the API and the login form, even with a valid token', async () => {
    for (const path of ['/', '/login', '/api/notebooks', `/?token=${TOKEN}`]) {
      const res = await send(path, { host: 'evil.example', authorization: `token ${TOKEN}` });
      expect(res.status, path).toBe(403);
      expect(res.body).toMatch(/Host "evil\.example" is not served here/);
    }
    expect((await send('/api/notebooks', { host: `localhost:${new URL(wb.url).port}`, authorization: `token ${TOKEN}` })).status).toBe(200);
  });

  it('on the kernel WebSocket upgrade', async () => {
    const path = '/api/kernels/ws?notebook=host.ipynb';
    expect((await send(path, { ...upgrade, host: 'evil.example', authorization: `token ${TOKEN}` })).status).toBe(403);
    expect((await send(path, { ...upgrade, host: new URL(wb.url).host, authorization: `token ${TOKEN}` })).status).toBe(101);
  });

  it('but answers /healthcheck to any Host (the load balancer checks the task by its IP)', async () => {
    expect((await send('/healthcheck', { host: 'evil.example' })).status).toBe(200);
  });
});
