import type { Context } from 'koa';

/**
 * Signing out behind the load balancer. The ALB keeps its own sign-in session in `AWSELBAuthSessionCookie-0..N`
 * (one cookie split in shards) and would sign the person straight back in; the provider keeps one too. So a
 * logout expires every shard and, with Cognito, sends the browser to the hosted UI's logout endpoint, which ends
 * Cognito's session and returns to `logout_uri` (registered on the app client; the ALB answers it without sign-in).
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-authenticate-users.html#authentication-logout
 */

/** Where Cognito returns after logout; the stack registers it and the ALB answers it itself, without sign-in. */
export const SIGNED_OUT_PATH = '/signed-out';

/** The Cognito hosted UI a person signed in through (TRAILBOOK_COGNITO_DOMAIN, TRAILBOOK_COGNITO_CLIENT_ID). */
export interface CognitoSignOut {
  /** The hosted UI's host name, e.g. `trailbook-123456789012.auth.eu-west-1.amazoncognito.com`. */
  domain: string;
  /** The app client the ALB signs people in with. */
  clientId: string;
}

const ALB_SESSION_COOKIE = /^AWSELBAuthSessionCookie-\d{1,2}$/;
/** Shards expired even when the request did not carry them (a cookie scoped to another path is not sent here). */
const ALWAYS_EXPIRED = 4;

/** Expires the ALB's session cookie shards on the response: the ones the request carried and the first four. */
export function expireAlbSessionCookies(ctx: Context): void {
  const carried = (ctx.get('cookie') || '')
    .split(';')
    .map((pair) => pair.split('=')[0]!.trim())
    .filter((name) => ALB_SESSION_COOKIE.test(name));
  const names = [...new Set([...Array.from({ length: ALWAYS_EXPIRED }, (_, i) => `AWSELBAuthSessionCookie-${i}`), ...carried])];
  for (const name of names) {
    ctx.cookies.set(name, '', { maxAge: 0, expires: new Date(0), path: '/', httpOnly: true, secure: ctx.secure, overwrite: true });
  }
}

/** Cognito's logout endpoint, returning to this site's signed-out page (`origin` as the browser reached it). */
export function cognitoLogoutUrl(signOut: CognitoSignOut, origin: string): string {
  const url = new URL(`https://${signOut.domain}/logout`);
  url.searchParams.set('client_id', signOut.clientId);
  url.searchParams.set('logout_uri', `${origin}${SIGNED_OUT_PATH}`);
  return url.toString();
}
