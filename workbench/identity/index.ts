import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { AlbJwtVerifier, AlbTokenError, type Person } from './alb-jwt.ts';
import type { CognitoSignOut } from './sign-out.ts';

export { AlbJwtVerifier, AlbTokenError, albKeyEndpoint, type Person } from './alb-jwt.ts';
export type { CognitoSignOut } from './sign-out.ts';

/** The header the ALB adds after authenticating a person (authenticate-cognito / authenticate-oidc). */
export const ALB_DATA_HEADER = 'x-amzn-oidc-data';

/**
 * How people sign in: `token` (the form login, local use and `auth=token` deployments) or `alb` (the load
 * balancer authenticated them; every request must carry its signed token). From TRAILBOOK_AUTH,
 * TRAILBOOK_ALB_ARN and, for tests or private endpoints, TRAILBOOK_ALB_KEY_ENDPOINT. With Cognito, the stack
 * also gives TRAILBOOK_COGNITO_DOMAIN and TRAILBOOK_COGNITO_CLIENT_ID, so that logging out ends Cognito's session.
 */
const IdentityEnv = z
  .object({
    TRAILBOOK_AUTH: z.enum(['token', 'alb']).default('token'),
    TRAILBOOK_ALB_ARN: z.string().optional(),
    TRAILBOOK_ALB_KEY_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    // A host name only: it becomes https://<domain>/logout, and must not be able to point anywhere else.
    TRAILBOOK_COGNITO_DOMAIN: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected the hosted UI host name, e.g. prefix.auth.eu-west-1.amazoncognito.com')
      .optional(),
    TRAILBOOK_COGNITO_CLIENT_ID: z.string().regex(/^[\w+]{1,128}$/, 'expected a Cognito app client id').optional(),
  })
  .superRefine((env, ctx) => {
    if (env.TRAILBOOK_AUTH === 'alb' && !env.TRAILBOOK_ALB_ARN) {
      ctx.addIssue({ code: 'custom', path: ['TRAILBOOK_ALB_ARN'], message: 'TRAILBOOK_AUTH=alb needs TRAILBOOK_ALB_ARN, the load balancer whose tokens are accepted' });
    }
    if (Boolean(env.TRAILBOOK_COGNITO_DOMAIN) !== Boolean(env.TRAILBOOK_COGNITO_CLIENT_ID)) {
      ctx.addIssue({ code: 'custom', path: ['TRAILBOOK_COGNITO_DOMAIN'], message: 'give TRAILBOOK_COGNITO_DOMAIN and TRAILBOOK_COGNITO_CLIENT_ID together' });
    }
  });

export type IdentityConfig = { mode: 'token' } | { mode: 'alb'; loadBalancerArn: string; keyEndpoint?: string; cognito?: CognitoSignOut };

export function loadIdentityConfig(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('TRAILBOOK_') && value !== ''));
  const parsed = IdentityEnv.safeParse(present);
  if (!parsed.success) throw new Error(`Invalid sign-in configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  if (e.TRAILBOOK_AUTH === 'token') return { mode: 'token' };
  const cognito = e.TRAILBOOK_COGNITO_DOMAIN && e.TRAILBOOK_COGNITO_CLIENT_ID ? { domain: e.TRAILBOOK_COGNITO_DOMAIN, clientId: e.TRAILBOOK_COGNITO_CLIENT_ID } : undefined;
  return { mode: 'alb', loadBalancerArn: e.TRAILBOOK_ALB_ARN!, keyEndpoint: e.TRAILBOOK_ALB_KEY_ENDPOINT, ...(cognito ? { cognito } : {}) };
}

/** The Cognito hosted UI to log out of (TRAILBOOK_AUTH=alb with Cognito); undefined otherwise. */
export function cognitoSignOutFromEnv(env: NodeJS.ProcessEnv = process.env): CognitoSignOut | undefined {
  const config = loadIdentityConfig(env);
  return config.mode === 'alb' ? config.cognito : undefined;
}

/** The verifier for TRAILBOOK_AUTH=alb; undefined for token sign-in. Throws on a bad configuration. */
export function albVerifierFromEnv(env: NodeJS.ProcessEnv = process.env): AlbJwtVerifier | undefined {
  const config = loadIdentityConfig(env);
  return config.mode === 'alb' ? new AlbJwtVerifier({ loadBalancerArn: config.loadBalancerArn, keyEndpoint: config.keyEndpoint }) : undefined;
}

/** The verified person behind a request (HTTP or WebSocket upgrade). */
export function personOfRequest(verifier: AlbJwtVerifier, req: IncomingMessage): Promise<Person> {
  const value = req.headers[ALB_DATA_HEADER];
  return verifier.verify(Array.isArray(value) ? undefined : value);
}

/**
 * Koa middleware: the request must carry a valid ALB token; the person lands in `ctx.state.person`.
 * A refusal is logged with its reason (a wrong signer means someone reached the task around the ALB).
 */
export function albIdentity(verifier: AlbJwtVerifier, log: (line: string) => void = () => {}) {
  return async (ctx: Context, next: Next): Promise<void> => {
    let person: Person;
    try {
      person = await personOfRequest(verifier, ctx.req);
    } catch (err) {
      if (!(err instanceof AlbTokenError)) throw err;
      log(`refused ${ctx.method} ${ctx.path}: ${err.message}`);
      // A missing key is our problem (the endpoint is unreachable), not the caller's.
      ctx.status = err.problem === 'key' ? 503 : 401;
      const message = err.problem === 'key' ? 'cannot check sign-in right now: the load balancer key is unavailable' : `sign-in required: ${err.message}`;
      ctx.body = ctx.path.startsWith('/api/') ? { error: message } : message;
      return;
    }
    ctx.state.person = person;
    await next();
  };
}
