import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyNotebook } from '../../notebook/format.ts';
import { browserFetch, openKernelSocket, startTestWorkbench, TOKEN, upgradeStatus, type TestWorkbench } from './helpers.ts';

let wb: TestWorkbench;
beforeAll(async () => {
  // These tests send many wrong tokens on purpose; the failed-login throttle has its own tests (auth.test.ts).
  wb = await startTestWorkbench({ failedLogins: { max: 1000, windowMs: 60_000 } });
  await wb.store.create('alpha.ipynb');
  await wb.store.create('beta.ipynb');
});
afterAll(() => wb?.stop());

const json = (res: Response) => res.json() as Promise<Record<string, any>>;

describe('auth', () => {
  it('answers /healthcheck without a token', async () => {
    const res = await fetch(`${wb.url}/healthcheck`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('requires the token on every route that reads notebooks or runs code', async () => {
    const routes: [string, string][] = [
      ['GET', '/api/notebooks'],
      ['POST', '/api/notebooks'],
      ['GET', '/api/notebooks/alpha.ipynb'],
      ['PUT', '/api/notebooks/alpha.ipynb'],
      ['DELETE', '/api/notebooks/alpha.ipynb'],
      ['POST', '/api/notebooks/alpha.ipynb/rename'],
      ['POST', '/api/notebooks/alpha.ipynb/duplicate'],
      ['POST', '/api/notebooks/alpha.ipynb/share'],
      ['GET', '/api/kernels'],
      ['GET', '/api/kernel/types.d.ts'],
    ];
    for (const [method, path] of routes) {
      const res = await fetch(`${wb.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
      expect(res.status, `${method} ${path}`).toBe(401);
      const wrong = await fetch(`${wb.url}${path}`, { method, headers: { authorization: 'token not-the-token' } });
      expect(wrong.status, `${method} ${path} with a wrong token`).toBe(401);
    }
    // Pages redirect to the login form.
    for (const path of ['/', '/notebooks/alpha.ipynb']) {
      const res = await fetch(`${wb.url}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    // The kernel WebSocket too, and a cookie session still needs a same-site Origin.
    const ws = `${wb.url.replace('http', 'ws')}/api/kernels/ws?notebook=alpha.ipynb`;
    expect(await upgradeStatus(ws, {})).toBe(401);
    expect(await upgradeStatus(ws, { cookie: wb.cookie, origin: 'https://evil.example' })).toBe(401);
    expect(await upgradeStatus(ws, { cookie: wb.cookie })).toBe(401);
    expect(await upgradeStatus(ws, { cookie: wb.cookie, origin: wb.origin })).toBe(101);
    expect(await upgradeStatus(ws, { authorization: `token ${TOKEN}` })).toBe(101);
  });

  it('accepts the Authorization header, and the login form with a redirect that sets an HttpOnly cookie; never ?token=', async () => {
    const res = await fetch(`${wb.url}/api/notebooks`, { headers: { authorization: `token ${TOKEN}` } });
    expect(res.status).toBe(200);
    const login = await fetch(`${wb.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: wb.origin },
      body: new URLSearchParams({ token: TOKEN, next: '/notebooks/alpha.ipynb?x=1' }),
    });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/notebooks/alpha.ipynb?x=1');
    const session = login.headers.getSetCookie().find((c) => c.startsWith('trailbook_session='))!;
    expect(session).toMatch(/httponly/i);
    expect(session).toMatch(/samesite=strict/i);
    expect(session).not.toContain(TOKEN);
    // A token in the URL logs nobody in: the login page, without the token in its `next`.
    const viaUrl = await fetch(`${wb.url}/notebooks/alpha.ipynb?token=${TOKEN}&x=1`, { redirect: 'manual' });
    expect(viaUrl.status).toBe(302);
    expect(viaUrl.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/notebooks/alpha.ipynb?x=1')}`);
    expect(viaUrl.headers.getSetCookie()).toEqual([]);
    expect((await fetch(`${wb.url}/api/notebooks?token=${TOKEN}`)).status).toBe(401);
  });

  it('rejects a wrong token on the login form', async () => {
    const res = await fetch(`${wb.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: wb.origin },
      body: 'token=nope&next=/',
    });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('redirects after login only to a path on this site', async () => {
    for (const [next, expected] of [['/notebooks/a.ipynb?x=1', '/notebooks/a.ipynb?x=1'], ['//evil.example/', '/'], ['/\\evil.example', '/'], ['/\t/evil.example', '/'], ['https://evil.example', '/']]) {
      const res = await fetch(`${wb.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: wb.origin },
        body: new URLSearchParams({ token: TOKEN, next: next! }),
      });
      expect(res.headers.get('location'), next).toBe(expected);
    }
    // A cross-site login form post is refused.
    const foreign = await fetch(`${wb.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: `token=${TOKEN}` });
    expect(foreign.status).toBe(403);
  });

  it('rejects cross-site mutations (no CSRF header, wrong header, foreign Origin)', async () => {
    const body = { name: 'csrf.ipynb' };
    const noHeader = await browserFetch(wb, '/api/notebooks', { method: 'POST', body, headers: { 'x-csrf-token': '' } });
    expect(noHeader.status).toBe(403);
    const wrongHeader = await browserFetch(wb, '/api/notebooks', { method: 'POST', body, headers: { 'x-csrf-token': 'guess' } });
    expect(wrongHeader.status).toBe(403);
    const foreign = await browserFetch(wb, '/api/notebooks', { method: 'POST', body, headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    const del = await browserFetch(wb, '/api/notebooks/alpha.ipynb', { method: 'DELETE', headers: { 'x-csrf-token': '' } });
    expect(del.status).toBe(403);
    expect(await wb.store.exists('alpha.ipynb')).toBe(true);
    expect(await wb.store.exists('csrf.ipynb')).toBe(false);
    const ok = await browserFetch(wb, '/api/notebooks', { method: 'POST', body });
    expect(ok.status).toBe(201);
  });

  it('sets security headers and a CSP that allows Monaco workers', async () => {
    const res = await fetch(`${wb.url}/login`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("worker-src 'self' blob:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('notebooks API', () => {
  it('lists, opens, saves with version checks (409 on stale) and keeps the file on conflict', async () => {
    const list = await json(await browserFetch(wb, '/api/notebooks'));
    expect(list.notebooks.map((n: { name: string }) => n.name)).toContain('beta.ipynb');
    const opened = await json(await browserFetch(wb, '/api/notebooks/beta.ipynb'));
    const nb = opened.notebook;
    nb.cells[0].source = 'const saved = 1';
    const saved = await browserFetch(wb, '/api/notebooks/beta.ipynb', { method: 'PUT', body: { notebook: nb, version: opened.version } });
    expect(saved.status).toBe(200);
    const { version } = await json(saved);
    expect(version).not.toBe(opened.version);
    const onDisk = await readFile(join(wb.dir, 'beta.ipynb'), 'utf8');
    const stale = await browserFetch(wb, '/api/notebooks/beta.ipynb', { method: 'PUT', body: { notebook: emptyNotebook(), version: opened.version } });
    expect(stale.status).toBe(409);
    expect((await json(stale)).currentVersion).toBe(version);
    expect(await readFile(join(wb.dir, 'beta.ipynb'), 'utf8')).toBe(onDisk);
    const invalid = await browserFetch(wb, '/api/notebooks/beta.ipynb', { method: 'PUT', body: { notebook: { cells: 'x' }, version } });
    expect(invalid.status).toBe(400);
  });

  it('rejects path traversal in every notebook route', async () => {
    for (const name of ['..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd.ipynb', '..%2Fx.ipynb', 'x.txt', '.share.ipynb', '..%5Cx.ipynb']) {
      const get = await browserFetch(wb, `/api/notebooks/${name}`);
      expect(get.status, name).toBe(400);
      const put = await browserFetch(wb, `/api/notebooks/${name}`, { method: 'PUT', body: { notebook: emptyNotebook(), version: null } });
      expect(put.status, name).toBe(400);
    }
    const create = await browserFetch(wb, '/api/notebooks', { method: 'POST', body: { name: '../escape.ipynb' } });
    expect(create.status).toBe(400);
    const rename = await browserFetch(wb, '/api/notebooks/beta.ipynb/rename', { method: 'POST', body: { to: '../../beta.ipynb' } });
    expect(rename.status).toBe(400);
    // The share secret beside the notebooks is never served.
    expect((await browserFetch(wb, '/api/notebooks/.trailbook-share-secret')).status).toBe(400);
  });

  it('reports malformed notebooks and leaves them untouched', async () => {
    const broken = '{"nbformat": 4, "cells": [}';
    await writeFile(join(wb.dir, 'broken.ipynb'), broken);
    const list = await json(await browserFetch(wb, '/api/notebooks'));
    const entry = list.notebooks.find((n: { name: string }) => n.name === 'broken.ipynb');
    expect(entry.error).toMatch(/not valid JSON/);
    const open = await browserFetch(wb, '/api/notebooks/broken.ipynb');
    expect(open.status).toBe(422);
    expect((await json(open)).error).toMatch(/broken.ipynb is not valid JSON/);
    const save = await browserFetch(wb, '/api/notebooks/broken.ipynb', { method: 'PUT', body: { notebook: emptyNotebook(), version: 'whatever' } });
    expect(save.status).toBe(409);
    expect(await readFile(join(wb.dir, 'broken.ipynb'), 'utf8')).toBe(broken);
  });

  it('renames, duplicates and deletes', async () => {
    await wb.store.create('gamma.ipynb');
    expect((await browserFetch(wb, '/api/notebooks/gamma.ipynb/rename', { method: 'POST', body: { to: 'delta.ipynb' } })).status).toBe(200);
    const dup = await browserFetch(wb, '/api/notebooks/delta.ipynb/duplicate', { method: 'POST', body: {} });
    expect(dup.status).toBe(201);
    expect((await json(dup)).name).toBe('delta-copy.ipynb');
    expect((await browserFetch(wb, '/api/notebooks/delta.ipynb', { method: 'DELETE' })).status).toBe(204);
    expect((await browserFetch(wb, '/api/notebooks/delta.ipynb')).status).toBe(404);
  });
});

describe('share links', () => {
  it('serve a sanitised read-only report of one notebook and grant nothing else', async () => {
    const opened = await wb.store.open('alpha.ipynb');
    await wb.store.save(
      'alpha.ipynb',
      {
        ...opened.notebook,
        cells: [
          { id: 'md', cell_type: 'markdown', source: '# Findings\n<img src=x onerror=alert(1)>', metadata: {} },
          {
            id: 'c1',
            cell_type: 'code',
            source: 'secretCode()',
            metadata: {},
            execution_count: 1,
            outputs: [{ output_type: 'display_data', data: { 'text/html': '<b onclick="x()">bold</b><script>alert(1)</script>' }, metadata: {} }],
          },
        ],
      },
      opened.version,
    );
    const share = await json(await browserFetch(wb, '/api/notebooks/alpha.ipynb/share', { method: 'POST', body: { expiresInHours: 1 } }));
    expect(share.url).toMatch(/\/share\/[\w-]+\.[\w-]+$/);
    const page = await fetch(share.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h1>Findings</h1>');
    expect(html).toContain('<b>bold</b>');
    expect(html).not.toMatch(/<script|onclick|onerror/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.getSetCookie()).toEqual([]);

    const exported = await fetch(share.exportUrl);
    expect(exported.headers.get('content-disposition')).toMatch(/attachment; filename="alpha.html"/);
    expect(await exported.text()).toContain('<h1>Findings</h1>');

    const token = share.url.split('/share/')[1] as string;
    // The token is not a credential for the API, other notebooks or kernels.
    expect((await fetch(`${wb.url}/api/notebooks/beta.ipynb`, { headers: { authorization: `token ${token}` } })).status).toBe(401);
    expect((await fetch(`${wb.url}/api/notebooks?token=${token}`)).status).toBe(401);
    expect(await upgradeStatus(`${wb.url.replace('http', 'ws')}/api/kernels/ws?notebook=alpha.ipynb&token=${token}`, {})).toBe(401);
    expect(await upgradeStatus(`${wb.url.replace('http', 'ws')}/api/kernels/ws?notebook=alpha.ipynb`, { authorization: `token ${token}` })).toBe(401);
    // Re-pointing the token at another notebook breaks the signature.
    const [payload, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), p: 'beta.ipynb' })).toString('base64url');
    expect((await fetch(`${wb.url}/share/${forged}.${sig}`)).status).toBe(403);
    expect((await fetch(`${wb.url}/share/${payload}.${sig}x`)).status).toBe(403);
    // No share route executes anything.
    expect([404, 405]).toContain((await fetch(share.url, { method: 'POST', body: '{"type":"execute"}' })).status);
  });

  it('expire', async () => {
    const { ShareSigner } = await import('../../workbench/share.ts');
    const signer = new ShareSigner('x'.repeat(32));
    const token = signer.sign({ linkId: 'link-1', notebookId: 'notebook-1', expiresAt: Date.now() + 1000 });
    expect(signer.verify(token).ok).toBe(true);
    expect(signer.verify(token, Date.now() + 5000)).toEqual({ ok: false, reason: 'this share link has expired' });
    expect(new ShareSigner('y'.repeat(32)).verify(token).ok).toBe(false);
  });
});

describe('kernels over WebSocket', () => {
  it('streams outputs, replies with counts, interrupts and restarts', async () => {
    const socket = await openKernelSocket(wb, 'alpha.ipynb');
    expect(socket.messages[0]).toEqual({ type: 'status', status: 'off' });
    socket.send({ type: 'execute', cellId: 'c1', code: 'for (let i = 0; i < 3; i++) { console.log("tick " + i); await new Promise((r) => setTimeout(r, 150)); }\nconst kept = 41;' });
    const first = await socket.waitFor((m) => m.type === 'output' && m.cellId === 'c1');
    const reply = await socket.waitFor((m) => m.type === 'reply' && m.cellId === 'c1');
    expect(first.type === 'output' && first.output.output_type === 'stream').toBe(true);
    // Streamed: the first chunk arrived before the cell finished, as separate messages.
    expect(socket.messages.indexOf(first)).toBeLessThan(socket.messages.indexOf(reply));
    const text = socket.messages.flatMap((m) => (m.type === 'output' && m.output.output_type === 'stream' ? [m.output.text] : [])).join('');
    expect(text).toBe('tick 0\ntick 1\ntick 2\n');
    expect(reply).toMatchObject({ status: 'ok', executionCount: 1 });

    socket.send({ type: 'execute', cellId: 'c2', code: 'kept + 1' });
    const r2 = await socket.waitFor((m) => m.type === 'reply' && m.cellId === 'c2');
    expect(r2).toMatchObject({ status: 'ok', executionCount: 2 });
    const out = socket.messages.find((m) => m.type === 'output' && m.cellId === 'c2');
    expect(out?.type === 'output' && JSON.stringify(out.output)).toContain('42');

    // A long cell, a queued one behind it; interrupt stops the first and aborts the second.
    socket.send({ type: 'execute', cellId: 'loop', code: 'while (true) {}' });
    socket.send({ type: 'execute', cellId: 'after', code: 'console.log("must not run")' });
    await socket.waitFor((m) => m.type === 'started' && m.cellId === 'loop');
    socket.send({ type: 'interrupt' });
    expect(await socket.waitFor((m) => m.type === 'reply' && m.cellId === 'after')).toMatchObject({ status: 'aborted' });
    expect((await socket.waitFor((m) => m.type === 'reply' && m.cellId === 'loop')).type).toBe('reply');
    expect(socket.messages.some((m) => m.type === 'output' && m.cellId === 'after')).toBe(false);

    socket.send({ type: 'restart' });
    await socket.waitFor((m) => m.type === 'status' && m.status === 'idle' && socket.messages.indexOf(m) > socket.messages.findIndex((x) => x.type === 'interrupted'));
    socket.send({ type: 'execute', cellId: 'c3', code: 'typeof kept' });
    await socket.waitFor((m) => m.type === 'reply' && m.cellId === 'c3');
    const c3 = socket.messages.find((m) => m.type === 'output' && m.cellId === 'c3');
    expect(c3?.type === 'output' && JSON.stringify(c3.output)).toContain('undefined');

    socket.send({ type: 'nonsense' });
    expect(await socket.waitFor((m) => m.type === 'error')).toMatchObject({ type: 'error' });
    socket.close();
  }, 120_000);

  it('stops a deleted notebook\'s kernel and refuses further work on it', async () => {
    await wb.store.create('doomed.ipynb');
    const socket = await openKernelSocket(wb, 'doomed.ipynb');
    socket.send({ type: 'execute', cellId: 'a', code: '1 + 1' });
    await socket.waitFor((m) => m.type === 'reply');
    expect((await browserFetch(wb, '/api/notebooks/doomed.ipynb', { method: 'DELETE' })).status).toBe(204);
    await socket.waitFor((m) => m.type === 'status' && m.status === 'off');
    socket.send({ type: 'execute', cellId: 'b', code: '2' });
    expect(await socket.waitFor((m) => m.type === 'error')).toMatchObject({ message: expect.stringMatching(/deleted/) });
    expect(wb.kernels.list().find((k) => k.name === 'doomed.ipynb')).toBeUndefined();
    socket.close();
  }, 60_000);

  it('culls kernels idle with no browser attached', async () => {
    const short = await startTestWorkbench({ kernelIdleMs: 1000 });
    try {
      await short.store.create('cull.ipynb');
      const socket = await openKernelSocket(short, 'cull.ipynb');
      socket.send({ type: 'execute', cellId: 'a', code: '1' });
      await socket.waitFor((m) => m.type === 'reply');
      expect(short.kernels.list()).toEqual([{ name: 'cull.ipynb', status: 'idle', attached: 1 }]);
      // Attached browsers keep it alive.
      expect(await short.kernels.cull(Date.now() + 10_000)).toEqual([]);
      socket.close();
      await new Promise((r) => setTimeout(r, 100));
      const deadline = Date.now() + 15_000;
      while (short.kernels.list()[0]?.status !== 'off' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(short.kernels.list()[0]?.status).toBe('off');
    } finally {
      await short.stop();
    }
  }, 60_000);
});
