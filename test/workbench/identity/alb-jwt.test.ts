import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbJwtVerifier, AlbTokenError, albKeyEndpoint } from '../../../workbench/identity/alb-jwt.ts';
import { albIdentity, loadIdentityConfig } from '../../../workbench/identity/index.ts';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/trailbook-workbench/0123456789abcdef';
const OTHER_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/someone-else/fedcba9876543210';
const NOW = Date.parse('2025-06-01T12:00:00Z');

const alb = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const KID = randomUUID();
const STRANGER_KID = randomUUID();
/** Answers 503 the first time it is asked for, then the ALB key. */
const FLAKY_KID = randomUUID();

/** ALB's encoding: base64url with its `=` padding kept. */
const segment = (value: unknown) => {
  const plain = Buffer.from(JSON.stringify(value)).toString('base64');
  return plain.replace(/\+/g, '-').replace(/\//g, '_');
};

interface TokenOptions {
  key?: KeyObject;
  kid?: string;
  signer?: string;
  alg?: string;
  exp?: number;
  claims?: Record<string, unknown>;
}

/** A token shaped like the ALB's: the header carries signer, kid and exp; the payload the user-info claims. */
function albToken(options: TokenOptions = {}): string {
  const exp = options.exp ?? Math.floor(NOW / 1000) + 120;
  const header = { alg: options.alg ?? 'ES256', kid: options.kid ?? KID, signer: options.signer ?? ARN, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', client: 'client-1', exp };
  const claims = options.claims ?? { sub: 'a1b2c3', email: 'ada@example.com', email_verified: 'true', name: 'Ada Lovelace', exp, iss: header.iss };
  const signed = `${segment(header)}.${segment(claims)}`;
  const signature = sign('sha256', Buffer.from(signed), { key: options.key ?? alb.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

/** The regional key endpoint, played by a local server: GET /<kid> answers the PEM public key. */
let keyServer: Server;
let keyEndpoint: string;
const keyRequests: string[] = [];
beforeAll(async () => {
  const pems = new Map([
    [KID, alb.publicKey.export({ type: 'spki', format: 'pem' }) as string],
    [STRANGER_KID, stranger.publicKey.export({ type: 'spki', format: 'pem' }) as string],
    ['rsa-key', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string],
  ]);
  pems.set(FLAKY_KID, pems.get(KID)!);
  let flakyFailed = false;
  keyServer = createServer((req, res) => {
    keyRequests.push(req.url!);
    if (req.url === `/${FLAKY_KID}` && !flakyFailed) {
      flakyFailed = true;
      return res.writeHead(503).end('try later');
    }
    const pem = pems.get(req.url!.slice(1));
    res.writeHead(pem ? 200 : 404, { 'content-type': 'text/plain' }).end(pem ?? 'not found');
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyEndpoint = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => keyServer.close(() => resolve())));

const verifier = (options: Partial<ConstructorParameters<typeof AlbJwtVerifier>[0]> = {}) =>
  new AlbJwtVerifier({ loadBalancerArn: ARN, keyEndpoint, now: () => NOW, ...options });

async function problemOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AlbTokenError) return `${err.problem}: ${err.message}`;
    throw err;
  }
  return 'accepted';
}

describe('ALB x-amzn-oidc-data verification', () => {
  it('accepts a token signed by the ALB key for this load balancer and returns the person', async () => {
    const person = await verifier().verify(albToken());
    expect(person).toEqual({ email: 'ada@example.com', name: 'Ada Lovelace', subject: 'a1b2c3' });
  });

  it('fetches each key once by kid from the endpoint and reuses it', async () => {
    const v = verifier();
    const before = keyRequests.length;
    await v.verify(albToken());
    await v.verify(albToken({ claims: { sub: 'x', email: 'grace@example.com', given_name: 'Grace', family_name: 'Hopper' } }));
    expect(keyRequests.slice(before)).toEqual([`/${KID}`]);
  });

  it('refuses a token from another load balancer, even one correctly signed by an ALB key', async () => {
    expect(await problemOf(verifier().verify(albToken({ signer: OTHER_ARN })))).toMatch(/^signer: .*someone-else/);
  });

  it('refuses an expired token, allowing a minute of clock skew', async () => {
    const expiredAt = Math.floor(NOW / 1000) - 61;
    expect(await problemOf(verifier().verify(albToken({ exp: expiredAt })))).toMatch(/^expired: token expired at/);
    expect(await problemOf(verifier().verify(albToken({ exp: Math.floor(NOW / 1000) - 30 })))).toBe('accepted');
    expect(await problemOf(verifier({ clockSkewSeconds: 0 }).verify(albToken({ exp: Math.floor(NOW / 1000) - 30 })))).toMatch(/^expired/);
  });

  it('refuses a signature made with another key, and a tampered payload', async () => {
    // Signed by the stranger's key but claiming the ALB key's kid.
    expect(await problemOf(verifier().verify(albToken({ key: stranger.privateKey })))).toMatch(/^signature: /);
    const [header, , signature] = albToken().split('.');
    const forged = `${header}.${segment({ sub: 'a1b2c3', email: 'mallory@example.com', exp: Math.floor(NOW / 1000) + 60 })}.${signature}`;
    expect(await problemOf(verifier().verify(forged))).toMatch(/^signature: /);
  });

  it('refuses an unknown kid (no key at the endpoint), a key that is not P-256, and a kid that is not a plain id', async () => {
    expect(await problemOf(verifier().verify(albToken({ kid: randomUUID() })))).toMatch(/^key: no ALB key .* \(HTTP 404\)/);
    expect(await problemOf(verifier().verify(albToken({ kid: 'rsa-key' })))).toMatch(/^key: .*not a P-256/);
    const before = keyRequests.length;
    expect(await problemOf(verifier().verify(albToken({ kid: '../../etc/passwd' })))).toMatch(/^malformed: .*kid/);
    expect(keyRequests.length).toBe(before);
  });

  it('does not remember a failed key download', async () => {
    expect(await problemOf(verifier({ keyEndpoint: 'http://127.0.0.1:1' }).verify(albToken()))).toMatch(/^key: could not fetch/);
    const v = verifier();
    expect(await problemOf(v.verify(albToken({ kid: FLAKY_KID })))).toMatch(/^key: .*HTTP 503/);
    // The same verifier asks again and, the endpoint having recovered, accepts.
    expect(await problemOf(v.verify(albToken({ kid: FLAKY_KID })))).toBe('accepted');
    expect(keyRequests.filter((url) => url === `/${FLAKY_KID}`)).toHaveLength(2);
  });

  it('lets the token choose nothing: alg none or HS256 are refused before any key is fetched', async () => {
    const before = keyRequests.length;
    expect(await problemOf(verifier().verify(albToken({ alg: 'none' })))).toMatch(/^algorithm: /);
    expect(await problemOf(verifier().verify(albToken({ alg: 'HS256' })))).toMatch(/^algorithm: /);
    expect(keyRequests.length).toBe(before);
  });

  it('refuses malformed tokens, no email, and an email the provider has not verified', async () => {
    for (const bad of [undefined, '', 'a.b', 'a.b.c.d', '!!!.e30.e30']) expect(await problemOf(verifier().verify(bad))).toMatch(/^malformed: /);
    expect(await problemOf(verifier().verify(albToken({ claims: { sub: 'x', exp: Math.floor(NOW / 1000) + 60 } })))).toMatch(/^claims: .*no email/);
    expect(await problemOf(verifier().verify(albToken({ claims: { sub: 'x', email: 'eve@example.com', email_verified: 'false' } })))).toMatch(/^claims: .*not verified/);
  });

  it('names the display name from the claims the provider has', async () => {
    const exp = Math.floor(NOW / 1000) + 60;
    const name = async (claims: Record<string, unknown>) => (await verifier().verify(albToken({ claims: { sub: 's', email: 'kat@example.com', exp, ...claims } }))).name;
    expect(await name({ given_name: 'Katherine', family_name: 'Johnson' })).toBe('Katherine Johnson');
    expect(await name({ preferred_username: 'kjohnson' })).toBe('kjohnson');
    // Cognito's username is an opaque id with email sign-in: not a name.
    expect(await name({ username: '7f1e5c2a-0000-4000-8000-000000000000' })).toBe('kat');
  });

  it('finds the key endpoint from the load balancer ARN, by region and partition', () => {
    expect(albKeyEndpoint(ARN)).toBe('https://public-keys.auth.elb.eu-west-1.amazonaws.com');
    expect(albKeyEndpoint(ARN.replace('eu-west-1', 'ap-southeast-2'))).toBe('https://public-keys.auth.elb.ap-southeast-2.amazonaws.com');
    expect(albKeyEndpoint(ARN.replace('arn:aws:', 'arn:aws-us-gov:').replace('eu-west-1', 'us-gov-west-1'))).toBe(
      'https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1',
    );
    expect(() => albKeyEndpoint('arn:aws:s3:::bucket')).toThrow(/not an Application Load Balancer ARN/);
  });
});

describe('albIdentity middleware and config', () => {
  it('puts the person in ctx.state, answers 401 without a valid token and 503 when the key cannot be fetched', async () => {
    const logged: string[] = [];
    const serve = async (v: AlbJwtVerifier) => {
      const app = new Koa();
      app.use(albIdentity(v, (line) => logged.push(line)));
      app.use((ctx) => {
        ctx.body = { person: ctx.state.person };
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    };
    const { server, url } = await serve(verifier());
    const down = await serve(verifier({ keyEndpoint: 'http://127.0.0.1:1' }));
    try {
      const ok = await fetch(`${url}/api/me`, { headers: { 'x-amzn-oidc-data': albToken() } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ person: { email: 'ada@example.com', name: 'Ada Lovelace', subject: 'a1b2c3' } });
      const missing = await fetch(`${url}/api/me`);
      expect(missing.status).toBe(401);
      expect((await missing.json()).error).toMatch(/did not come through the load balancer/);
      const foreign = await fetch(`${url}/`, { headers: { 'x-amzn-oidc-data': albToken({ signer: OTHER_ARN }) } });
      expect(foreign.status).toBe(401);
      expect(await foreign.text()).toMatch(/^sign-in required: token signed by/);
      expect((await fetch(`${down.url}/api/me`, { headers: { 'x-amzn-oidc-data': albToken() } })).status).toBe(503);
      expect(logged.some((line) => line.includes('someone-else'))).toBe(true);
    } finally {
      server.close();
      down.server.close();
    }
  });

  it('reads TRAILBOOK_AUTH and requires the ALB ARN in alb mode', () => {
    expect(loadIdentityConfig({})).toEqual({ mode: 'token' });
    expect(loadIdentityConfig({ TRAILBOOK_AUTH: 'alb', TRAILBOOK_ALB_ARN: ARN })).toEqual({ mode: 'alb', loadBalancerArn: ARN, keyEndpoint: undefined });
    expect(() => loadIdentityConfig({ TRAILBOOK_AUTH: 'alb' })).toThrow(/TRAILBOOK_ALB_ARN/);
    expect(() => loadIdentityConfig({ TRAILBOOK_AUTH: 'cognito' })).toThrow(/TRAILBOOK_AUTH/);
    // Cognito's hosted UI, for logging out of it: a host name and a client id, together.
    const cognito = { TRAILBOOK_AUTH: 'alb', TRAILBOOK_ALB_ARN: ARN, TRAILBOOK_COGNITO_DOMAIN: 'tb-1.auth.eu-west-1.amazoncognito.com', TRAILBOOK_COGNITO_CLIENT_ID: 'abc123' };
    expect(loadIdentityConfig(cognito)).toMatchObject({ mode: 'alb', cognito: { domain: 'tb-1.auth.eu-west-1.amazoncognito.com', clientId: 'abc123' } });
    expect(() => loadIdentityConfig({ ...cognito, TRAILBOOK_COGNITO_CLIENT_ID: '' })).toThrow(/together/);
    expect(() => loadIdentityConfig({ ...cognito, TRAILBOOK_COGNITO_DOMAIN: 'evil.example/x?' })).toThrow(/TRAILBOOK_COGNITO_DOMAIN/);
  });
});
