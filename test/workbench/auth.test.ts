import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserFetch, startTestWorkbench, TOKEN, upgradeStatus, type TestWorkbench } from './helpers.ts';

/** Browser sessions are server-side and revocable; wrong tokens are rate-limited; bad cookies are just "not logged in". */

let wb: TestWorkbench;
beforeAll(async () => {
  wb = await startTestWorkbench();
  await wb.store.create('auth.ipynb');
});
afterAll(() => wb?.stop());

const form = (body: Record<string, string>, origin: string) => ({
  method: 'POST',
  redirect: 'manual' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
  body: new URLSearchParams(body),
});

async function login(target: TestWorkbench): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${target.url}/login`, form({ token: TOKEN, next: '/' }, target.origin));
  expect(res.status).toBe(302);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  return { cookie: cookies.join('; '), csrf: cookies.find((c) => c.startsWith('trailbook_csrf='))!.split('=')[1]! };
}

describe('sessions', () => {
  it('issues a random session per login, not a value derived from the token', async () => {
    const a = await login(wb);
    const b = await login(wb);
    const session = (c: string) => /trailbook_session=([^;]+)/.exec(c)![1]!;
    expect(session(a.cookie)).not.toBe(session(b.cookie));
    expect(session(a.cookie)).toMatch(/^[\w-]{43}$/); // 32 random bytes, base64url
  });

  it('refuses the old cookie after logout, on HTTP and on the kernel socket', async () => {
    const { cookie, csrf } = await login(wb);
    const ws = `${wb.url.replace('http', 'ws')}/api/kernels/ws?notebook=auth.ipynb`;
    expect((await fetch(`${wb.url}/api/notebooks`, { headers: { cookie } })).status).toBe(200);
    expect(await upgradeStatus(ws, { cookie, origin: wb.origin })).toBe(101);
    const out = await fetch(`${wb.url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: wb.origin, 'x-csrf-token': csrf } });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/login');
    expect((await fetch(`${wb.url}/api/notebooks`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${wb.url}/`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
    expect(await upgradeStatus(ws, { cookie, origin: wb.origin })).toBe(401);
    // Other sessions are untouched.
    expect((await browserFetch(wb, '/api/notebooks')).status).toBe(200);
  });

  it('binds the CSRF token to the session: another session\'s token is refused', async () => {
    const other = await login(wb);
    const res = await browserFetch(wb, '/api/notebooks', { method: 'POST', body: { name: 'csrf-swap.ipynb' }, headers: { 'x-csrf-token': other.csrf } });
    expect(res.status).toBe(403);
  });

  it('expires idle and old sessions', async () => {
    let now = Date.now();
    const short = await startTestWorkbench({ sessionIdleMs: 60_000, sessionMaxMs: 150_000, now: () => now });
    try {
      const { cookie } = await login(short);
      const get = async () => (await fetch(`${short.url}/api/notebooks`, { headers: { cookie } })).status;
      now += 50_000;
      expect(await get()).toBe(200); // used within the idle time: kept alive
      now += 50_000;
      expect(await get()).toBe(200);
      now += 61_000;
      expect(await get()).toBe(401); // idle too long
      const again = await login(short);
      const use = async () => (await fetch(`${short.url}/api/notebooks`, { headers: { cookie: again.cookie } })).status;
      for (let i = 0; i < 3; i++) {
        now += 50_000;
        expect(await use()).toBe(200);
      }
      now += 10_000;
      expect(await use()).toBe(401); // over the absolute lifetime though never idle
    } finally {
      await short.stop();
    }
  });

  it('treats an undecodable cookie as not logged in (401 or the login page), never a 500', async () => {
    const cookie = 'trailbook_session=%E0%A4%A; trailbook_csrf=%E0%A4%A';
    expect((await fetch(`${wb.url}/api/notebooks`, { headers: { cookie } })).status).toBe(401);
    const page = await fetch(`${wb.url}/`, { headers: { cookie }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toMatch(/^\/login/);
    expect((await fetch(`${wb.url}/login`, { headers: { cookie } })).status).toBe(200);
  });

  it('marks the session cookie Secure when the request came over https through a trusted proxy', async () => {
    const proxied = await startTestWorkbench({ trustProxy: true });
    try {
      const request = form({ token: TOKEN, next: '/' }, `https://${new URL(proxied.url).host}`);
      const res = await fetch(`${proxied.url}/login`, { ...request, headers: { ...request.headers, 'x-forwarded-proto': 'https' } });
      expect(res.status).toBe(302);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('trailbook_session='))!;
      expect(session).toMatch(/; secure/i);
      expect(session).toMatch(/httponly/i);
      expect(session).toMatch(/samesite=strict/i);
    } finally {
      await proxied.stop();
    }
  });
});

describe('failed logins', () => {
  it('answers 429 with Retry-After after 10 failures from one client, on the form and the header', async () => {
    const limited = await startTestWorkbench();
    try {
      // A token in a URL is no attempt at all: not checked, not counted, nobody logged in.
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${limited.url}/?token=wrong-${i}`, { redirect: 'manual' });
        expect(res.status).toBe(302);
        expect(res.headers.get('location')).toBe('/login?next=%2F');
      }
      for (let i = 0; i < 6; i++) expect((await fetch(`${limited.url}/login`, form({ token: `wrong-${i}` }, limited.origin))).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await fetch(`${limited.url}/api/notebooks`, { headers: { authorization: `token wrong-${i}` } })).status).toBe(401);
      expect(await upgradeStatus(`${limited.url.replace('http', 'ws')}/api/kernels/ws?notebook=x.ipynb`, { authorization: 'token wrong' })).toBe(401);
      // The 11th failure in the window is refused before the token is even compared, the right token too.
      const refused = await fetch(`${limited.url}/login`, form({ token: 'wrong-again' }, limited.origin));
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(200);
      expect(retryAfter).toBeLessThanOrEqual(300);
      expect(await refused.text()).toMatch(/Too many failed attempts/);
      expect((await fetch(`${limited.url}/login`, form({ token: TOKEN }, limited.origin))).status).toBe(429);
      const api = await fetch(`${limited.url}/api/notebooks`, { headers: { authorization: `token ${TOKEN}` } });
      expect(api.status).toBe(429);
      expect(await api.json()).toMatchObject({ error: expect.stringMatching(/too many failed attempts/i) });
      const viaUrl = await fetch(`${limited.url}/?token=${TOKEN}`, { redirect: 'manual' });
      expect(viaUrl.status).toBe(302);
      expect(viaUrl.headers.getSetCookie()).toEqual([]);
      expect(await upgradeStatus(`${limited.url.replace('http', 'ws')}/api/kernels/ws?notebook=x.ipynb`, { authorization: `token ${TOKEN}` })).toBe(429);
      // A browser that is already logged in keeps working from the same address.
      expect((await browserFetch(limited, '/api/notebooks')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('counts failures per client address, taken from X-Forwarded-For only behind a trusted proxy', async () => {
    const direct = await startTestWorkbench();
    const proxied = await startTestWorkbench({ trustProxy: true });
    try {
      const wrong = (target: TestWorkbench, client: string) =>
        fetch(`${target.url}/api/notebooks`, { headers: { authorization: 'token wrong', 'x-forwarded-for': client } });
      // Not behind a proxy: a forged X-Forwarded-For does not buy fresh attempts.
      for (let i = 0; i < 10; i++) expect((await wrong(direct, `198.51.100.${i}`)).status).toBe(401);
      expect((await wrong(direct, '198.51.100.99')).status).toBe(429);
      // Behind the ALB the last X-Forwarded-For entry is the client the proxy saw.
      for (let i = 0; i < 10; i++) expect((await wrong(proxied, `203.0.113.9, 198.51.100.1`)).status).toBe(401);
      expect((await wrong(proxied, '203.0.113.9, 198.51.100.1')).status).toBe(429);
      expect((await wrong(proxied, '198.51.100.1, 198.51.100.2')).status).toBe(401);
    } finally {
      await Promise.all([direct.stop(), proxied.stop()]);
    }
  });
});
