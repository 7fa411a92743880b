import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/**
 * Verifies the `x-amzn-oidc-data` header an Application Load Balancer adds after its authenticate-cognito or
 * authenticate-oidc action: an ES256 JWT signed with a regional ALB key. The key is fetched by the token's `kid`
 * from the region's public-key endpoint, and the token must name this load balancer as its `signer` — a token
 * minted by another ALB (or sent straight to the task, bypassing the ALB) is refused.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html#user-claims-encoding
 */

/** The signed-in person, as the identity provider describes them. */
export interface Person {
  email: string;
  /** A display name: the `name` claim, else given + family name, else the preferred user name, else the email's local part. */
  name: string;
  /** The provider's stable subject id (`sub`). */
  subject: string;
}

export type AlbTokenProblem = 'malformed' | 'algorithm' | 'signer' | 'expired' | 'key' | 'signature' | 'claims';

export class AlbTokenError extends Error {
  constructor(
    readonly problem: AlbTokenProblem,
    message: string,
  ) {
    super(message);
  }
}

const Header = z.object({
  alg: z.string(),
  // ALB kids are UUIDs; anything with a slash or dot must never reach the key URL.
  kid: z.string().regex(/^[A-Za-z0-9-]{1,128}$/, 'kid must be letters, digits and dashes'),
  signer: z.string(),
  exp: z.coerce.number().optional(),
});

const Claims = z
  .object({
    sub: z.string().min(1),
    email: z.string().email().optional(),
    name: z.string().optional(),
    given_name: z.string().optional(),
    family_name: z.string().optional(),
    preferred_username: z.string().optional(),
    // Cognito's userinfo sends it as the string "true"/"false".
    email_verified: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
    exp: z.coerce.number().optional(),
  })
  .loose();

const ARN = /^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):\d{12}:loadbalancer\/app\/[^/]+\/[0-9a-f]+$/;

/** The endpoint that serves ALB signing keys as PEM, one per kid, for the load balancer's region and partition. */
export function albKeyEndpoint(loadBalancerArn: string): string {
  const match = ARN.exec(loadBalancerArn);
  if (!match) throw new Error(`not an Application Load Balancer ARN: ${loadBalancerArn}`);
  const [, partition, region] = match;
  // GovCloud publishes its keys in S3 instead of the public-keys.auth.elb host.
  if (partition === 'aws-us-gov') return `https://s3-${region}.amazonaws.com/aws-elb-public-keys-prod-${region}`;
  return `https://public-keys.auth.elb.${region}.amazonaws.com`;
}

/** ALB encodes with base64url but may keep `=` padding, which strict decoders reject. */
function decodeSegment(segment: string): Buffer {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) throw new AlbTokenError('malformed', 'the token is not three base64url segments');
  return Buffer.from(segment.replace(/=+$/, ''), 'base64url');
}

function parseJson(segment: string, what: string): unknown {
  try {
    return JSON.parse(decodeSegment(segment).toString('utf8'));
  } catch (err) {
    if (err instanceof AlbTokenError) throw err;
    throw new AlbTokenError('malformed', `the token's ${what} is not JSON`);
  }
}

export interface AlbVerifierOptions {
  /** The load balancer whose tokens are accepted (the `signer` header must equal it). */
  loadBalancerArn: string;
  /** Base URL of the key endpoint; `<base>/<kid>` answers the PEM key. Default: the region's ALB endpoint. */
  keyEndpoint?: string;
  /** Tolerated clock difference with the ALB for `exp`. Default 60 s. */
  clockSkewSeconds?: number;
  /** Abandon a key download after this long. Default 5 s. */
  keyTimeoutMs?: number;
  now?: () => number;
}

/** Keys are few (one per ALB key rotation) and immutable per kid: kept for the life of the process, up to a bound. */
const MAX_KEYS = 32;

export class AlbJwtVerifier {
  readonly loadBalancerArn: string;
  readonly keyEndpoint: string;
  private readonly keys = new Map<string, Promise<KeyObject>>();
  private readonly skewMs: number;
  private readonly keyTimeoutMs: number;
  private readonly now: () => number;

  constructor(options: AlbVerifierOptions) {
    this.loadBalancerArn = options.loadBalancerArn;
    this.keyEndpoint = (options.keyEndpoint ?? albKeyEndpoint(options.loadBalancerArn)).replace(/\/+$/, '');
    this.skewMs = (options.clockSkewSeconds ?? 60) * 1000;
    this.keyTimeoutMs = options.keyTimeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** The person the token names, or an AlbTokenError saying what is wrong with it. */
  async verify(token: string | undefined): Promise<Person> {
    if (!token) throw new AlbTokenError('malformed', 'no x-amzn-oidc-data header: the request did not come through the load balancer');
    const parts = token.trim().split('.');
    if (parts.length !== 3) throw new AlbTokenError('malformed', 'the token is not three base64url segments');
    const header = Header.safeParse(parseJson(parts[0], 'header'));
    if (!header.success) throw new AlbTokenError('malformed', `bad token header: ${header.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const { alg, kid, signer } = header.data;
    // Fixed algorithm: never let the token choose (no "none", no HS256 with the public key as secret).
    if (alg !== 'ES256') throw new AlbTokenError('algorithm', `token algorithm ${alg} refused: ALB tokens are ES256`);
    if (signer !== this.loadBalancerArn) throw new AlbTokenError('signer', `token signed by ${signer}, not this load balancer`);

    const signature = decodeSegment(parts[2]);
    if (signature.length !== 64) throw new AlbTokenError('signature', 'an ES256 signature is 64 bytes');
    const key = await this.key(kid);
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'utf8');
    if (!verifySignature('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature)) {
      throw new AlbTokenError('signature', 'token signature does not verify with the load balancer key');
    }

    const claims = Claims.safeParse(parseJson(parts[1], 'payload'));
    if (!claims.success) throw new AlbTokenError('claims', `bad token claims: ${claims.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const exp = header.data.exp ?? claims.data.exp;
    if (exp === undefined) throw new AlbTokenError('claims', 'the token has no expiry');
    if (exp * 1000 + this.skewMs <= this.now()) throw new AlbTokenError('expired', `token expired at ${new Date(exp * 1000).toISOString()}`);
    return personOf(claims.data);
  }

  private key(kid: string): Promise<KeyObject> {
    let pending = this.keys.get(kid);
    if (!pending) {
      pending = this.fetchKey(kid);
      if (this.keys.size >= MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(kid, pending);
      // A failed download is not remembered: the next request tries again.
      pending.catch(() => this.keys.delete(kid));
    }
    return pending;
  }

  private async fetchKey(kid: string): Promise<KeyObject> {
    const url = `${this.keyEndpoint}/${kid}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.keyTimeoutMs), redirect: 'error' });
    } catch (err) {
      throw new AlbTokenError('key', `could not fetch ALB key ${kid} from ${url}: ${(err as Error).message}`);
    }
    if (!response.ok) throw new AlbTokenError('key', `no ALB key ${kid} at ${url} (HTTP ${response.status})`);
    try {
      const key = createPublicKey(await response.text());
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('not a P-256 key');
      return key;
    } catch (err) {
      throw new AlbTokenError('key', `ALB key ${kid} from ${url} is not a P-256 public key: ${(err as Error).message}`);
    }
  }
}

function personOf(claims: z.output<typeof Claims>): Person {
  if (!claims.email) throw new AlbTokenError('claims', 'the identity provider sent no email claim (request the "email" scope)');
  // The email becomes commit authorship: an address the provider says it has not verified is not accepted.
  if (claims.email_verified === false || claims.email_verified === 'false') throw new AlbTokenError('claims', `the identity provider has not verified ${claims.email}`);
  const full = [claims.given_name, claims.family_name].filter(Boolean).join(' ');
  // Not Cognito's `username`: with email sign-in it is an opaque UUID.
  const name = claims.name || full || claims.preferred_username || claims.email.split('@')[0];
  return { email: claims.email, name, subject: claims.sub };
}
