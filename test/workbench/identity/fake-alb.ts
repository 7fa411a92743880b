import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The load balancer's side of sign-in, played locally: a P-256 signing key, the regional key endpoint
 * (`GET /<kid>` answers the PEM public key) on 127.0.0.1, and `x-amzn-oidc-data` tokens made as the ALB
 * makes them (ES256, signer and kid in the header, base64url with the `=` padding ALB keeps).
 */

export const ALB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/trailbook-workbench/0123456789abcdef';
export const OTHER_ALB_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/someone-else/fedcba9876543210';

export interface AlbTokenOptions {
  /** Who signed in: the user-info claims (sub, email, name, ...). */
  claims?: Record<string, unknown>;
  signer?: string;
  /** Seconds since the epoch; default two minutes from now. */
  exp?: number;
  /** Sign with another key (a forgery) while still naming the ALB key's kid. */
  key?: KeyObject;
}

export interface FakeAlb {
  /** Base URL of the key endpoint, for AlbJwtVerifier's keyEndpoint or TRAILBOOK_ALB_KEY_ENDPOINT. */
  keyEndpoint: string;
  token(options?: AlbTokenOptions): string;
  close(): Promise<void>;
}

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');

export async function startFakeAlb(): Promise<FakeAlb> {
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const kid = randomUUID();
  const server: Server = createServer((req, res) => {
    if (req.url === `/${kid}`) res.writeHead(200, { 'content-type': 'text/plain' }).end(keys.publicKey.export({ type: 'spki', format: 'pem' }));
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    keyEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token(options = {}) {
      const exp = options.exp ?? Math.floor(Date.now() / 1000) + 120;
      const header = { alg: 'ES256', kid, signer: options.signer ?? ALB_ARN, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test', client: 'client-1', exp };
      const claims = { sub: 'ada-sub', email: 'ada@example.com', email_verified: 'true', name: 'Ada Lovelace', ...options.claims, exp };
      const signed = `${segment(header)}.${segment(claims)}`;
      const signature = sign('sha256', Buffer.from(signed), { key: options.key ?? keys.privateKey, dsaEncoding: 'ieee-p1363' });
      return `${signed}.${signature.toString('base64url')}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A browser behind the ALB: every request carries the signed header; the workbench session comes from the first page. */
export class AlbBrowser {
  cookie = '';
  csrf = '';
  constructor(
    private readonly baseUrl: string,
    private readonly alb: string,
  ) {}

  /** `alb: null` sends no ALB header (a request around the load balancer); `csrf: false` no CSRF header. */
  async request(path: string, init: { method?: string; body?: unknown; csrf?: boolean; alb?: string | null } = {}): Promise<Response> {
    const headers: Record<string, string> = { origin: this.baseUrl };
    if (this.cookie) headers.cookie = this.cookie;
    const alb = init.alb === undefined ? this.alb : init.alb;
    if (alb) headers['x-amzn-oidc-data'] = alb;
    if (init.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), redirect: 'manual' });
    const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
    if (set.length) {
      this.cookie = set.join('; ');
      this.csrf = set.find((c) => c.startsWith('trailbook_csrf='))?.split('=')[1] ?? this.csrf;
    }
    return res;
  }
}
