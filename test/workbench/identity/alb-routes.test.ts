import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbJwtVerifier } from '../../../workbench/identity/alb-jwt.ts';
import { startWorkbench, type Workbench, type WorkbenchOptions } from '../../../workbench/server.ts';
import { DATASET, upgradeStatus } from '../helpers.ts';
import { ALB_ARN, OTHER_ALB_ARN, startFakeAlb, type FakeAlb } from './fake-alb.ts';

/**
 * Behind the ALB (TRAILBOOK_AUTH=alb) every door checks the ALB's signed token, not only the HTTP API:
 * the kernel WebSocket and share pages too. A workbench cookie alone, left in a browser or copied, is no identity.
 */

let alb: FakeAlb;
let workbench: Workbench;
let dir: string;

beforeAll(async () => {
  alb = await startFakeAlb();
  dir = mkdtempSync(join(tmpdir(), 'trailbook-alb-routes-'));
  process.env.TRAILBOOK_DATA_DIR = DATASET;
  process.env.TRAILBOOK_SOURCE = 'files';
  workbench = await startAlbWorkbench(alb.keyEndpoint);
  await workbench.store.create('ws.ipynb');
});

afterAll(async () => {
  await workbench?.close();
  await alb?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A workbench with TRAILBOOK_AUTH=alb's verifier, its keys fetched from `keyEndpoint`. */
const startAlbWorkbench = (keyEndpoint: string, options: Partial<WorkbenchOptions> = {}) =>
  startWorkbench({
    host: '127.0.0.1',
    port: 0,
    token: 'never-used-token-0123456789',
    tokenGenerated: false,
    notebookDir: join(dir, 'notebooks'),
    stateDir: join(dir, 'state'),
    kernelIdleMs: 60_000,
    identity: new AlbJwtVerifier({ loadBalancerArn: ALB_ARN, keyEndpoint }),
    ...options,
  });

/** The workbench session a browser behind the ALB gets from its first page. */
async function signedInBrowser(token: string): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${workbench.url}/`, { headers: { 'x-amzn-oidc-data': token } });
  expect(page.status).toBe(200);
  const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]!);
  return { cookie: cookies.join('; '), csrf: cookies.find((c) => c.startsWith('trailbook_csrf='))!.split('=')[1]! };
}

describe('the kernel WebSocket behind the load balancer', () => {
  it('opens with a valid ALB token and the session, and is refused with none, a forged, an expired or a foreign one', async () => {
    const valid = alb.token();
    const { cookie } = await signedInBrowser(valid);
    const ws = `${workbench.url.replace('http', 'ws')}/api/kernels/ws?notebook=ws.ipynb`;
    const upgrade = (token?: string) => upgradeStatus(ws, { cookie, origin: workbench.url, ...(token ? { 'x-amzn-oidc-data': token } : {}) });

    expect(await upgrade(valid)).toBe(101);
    // The session cookie alone is what a request around the ALB (or a stolen cookie) would carry.
    expect(await upgrade()).toBe(401);
    expect(await upgrade(alb.token({ key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey }))).toBe(401);
    expect(await upgrade(alb.token({ exp: Math.floor(Date.now() / 1000) - 3600 }))).toBe(401);
    expect(await upgrade(alb.token({ signer: OTHER_ALB_ARN }))).toBe(401);
    // A tampered payload (another person) under a valid signature.
    const [header, , signature] = valid.split('.');
    const mallory = Buffer.from(JSON.stringify({ sub: 'm', email: 'mallory@example.com', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    expect(await upgrade(`${header}.${mallory}.${signature}`)).toBe(401);
    // The ALB token does not replace the session's same-site checks: no cookie, or a foreign Origin, is refused.
    expect(await upgradeStatus(ws, { origin: workbench.url, 'x-amzn-oidc-data': valid })).toBe(401);
    expect(await upgradeStatus(ws, { cookie, origin: 'https://evil.example', 'x-amzn-oidc-data': valid })).toBe(401);
  });

  it('answers 503 when the load balancer key cannot be fetched, as HTTP routes do', async () => {
    const down = await startAlbWorkbench('http://127.0.0.1:1');
    try {
      const token = alb.token();
      expect((await fetch(`${down.url}/api/me`, { headers: { 'x-amzn-oidc-data': token } })).status).toBe(503);
      expect(await upgradeStatus(`${down.url.replace('http', 'ws')}/api/kernels/ws?notebook=ws.ipynb`, { origin: down.url, 'x-amzn-oidc-data': token })).toBe(503);
    } finally {
      await down.close();
    }
  });
});

describe('share pages behind the load balancer', () => {
  it('open for a signed-in person and refuse a request without a valid ALB token', async () => {
    const token = alb.token({ claims: { sub: 'grace-sub', email: 'grace@example.com', name: 'Grace Hopper' } });
    const { cookie, csrf } = await signedInBrowser(token);
    const created = await fetch(`${workbench.url}/api/notebooks/ws.ipynb/share`, {
      method: 'POST',
      headers: { cookie, origin: workbench.url, 'x-csrf-token': csrf, 'x-amzn-oidc-data': token, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(created.status).toBe(201);
    const share = (await created.json()) as { url: string; createdBy: string };
    expect(share.createdBy).toBe('grace@example.com');
    const path = new URL(share.url).pathname;
    expect((await fetch(`${workbench.url}${path}`, { headers: { 'x-amzn-oidc-data': alb.token() } })).status).toBe(200);
    expect((await fetch(`${workbench.url}${path}`)).status).toBe(401);
    expect((await fetch(`${workbench.url}${path}/export.html`, { headers: { 'x-amzn-oidc-data': alb.token({ signer: OTHER_ALB_ARN }) } })).status).toBe(401);
  });
});

describe('logging out behind the load balancer', () => {
  const COGNITO = { domain: 'trailbook-123456789012.auth.eu-west-1.amazoncognito.com', clientId: '4tq2n7example0client' };
  /** The ALB's session cookie, in three shards, as the browser sends it back. */
  const albCookies = 'AWSELBAuthSessionCookie-0=shard0; AWSELBAuthSessionCookie-1=shard1; AWSELBAuthSessionCookie-6=shard6';

  async function logout(target: Workbench, headers: Record<string, string>) {
    const token = alb.token();
    const page = await fetch(`${target.url}/`, { headers: { 'x-amzn-oidc-data': token, 'x-forwarded-proto': 'https' } });
    const session = page.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
    const res = await fetch(`${target.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `${session}; ${albCookies}`, origin: `https://${new URL(target.url).host}`, 'x-forwarded-proto': 'https', 'x-amzn-oidc-data': token, ...headers },
    });
    const after = await fetch(`${target.url}/api/me`, { headers: { cookie: session, 'x-amzn-oidc-data': alb.token() } });
    return { res, afterStatus: after.status };
  }

  /** The Set-Cookie lines that expire the ALB's session shards, by name. */
  const expired = (res: Response) =>
    Object.fromEntries(
      res.headers
        .getSetCookie()
        .filter((c) => c.startsWith('AWSELBAuthSessionCookie-'))
        .map((c) => [c.split('=')[0]!, c]),
    );

  it('with Cognito: expires every ALB session shard, ends the workbench session and redirects to the hosted UI logout', async () => {
    const cognito = await startAlbWorkbench(alb.keyEndpoint, { trustProxy: true, cognitoSignOut: COGNITO });
    try {
      const { res, afterStatus } = await logout(cognito, {});
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(`https://${COGNITO.domain}/logout`);
      expect(Object.fromEntries(location.searchParams)).toEqual({ client_id: COGNITO.clientId, logout_uri: `https://${new URL(cognito.url).host}/signed-out` });
      const shards = expired(res);
      expect(Object.keys(shards).sort()).toEqual(['AWSELBAuthSessionCookie-0', 'AWSELBAuthSessionCookie-1', 'AWSELBAuthSessionCookie-2', 'AWSELBAuthSessionCookie-3', 'AWSELBAuthSessionCookie-6']);
      for (const cookie of Object.values(shards)) {
        expect(cookie).toMatch(/^AWSELBAuthSessionCookie-\d=; path=\/; expires=Thu, 01 Jan 1970 00:00:00 GMT/);
        expect(cookie).toMatch(/; secure/);
        expect(cookie).toMatch(/; httponly/);
      }
      expect(res.headers.getSetCookie().some((c) => /^trailbook_session=;/.test(c))).toBe(true);
      // The workbench session is gone too: its cookie, even with a valid ALB token, no longer reaches the API.
      expect(afterStatus).toBe(401);
      // A spoofed X-Forwarded-Host does not choose where Cognito sends the browser back to.
      const spoofed = await logout(cognito, { 'x-forwarded-host': 'evil.example' });
      expect(new URL(spoofed.res.headers.get('location')!).searchParams.get('logout_uri')).toBe(`https://${new URL(cognito.url).host}/signed-out`);
      // And a foreign page cannot log the person out.
      expect((await logout(cognito, { origin: 'https://evil.example' })).res.status).toBe(403);
    } finally {
      await cognito.close();
    }
  });

  it('with another OIDC provider: expires the ALB session and says the provider may still remember the person', async () => {
    const { res, afterStatus } = await logout(workbench, {});
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/signed out of the workbench and its load balancer/);
    expect(Object.keys(expired(res))).toEqual(expect.arrayContaining(['AWSELBAuthSessionCookie-0', 'AWSELBAuthSessionCookie-6']));
    expect(afterStatus).toBe(401);
  });
});
