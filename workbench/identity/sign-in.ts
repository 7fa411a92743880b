import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { Auth, SESSION_COOKIE } from '../auth.ts';
import { safeNext } from '../routes/session.ts';
import type { AlbJwtVerifier } from './alb-jwt.ts';
import { albIdentity } from './index.ts';
import { cognitoLogoutUrl, expireAlbSessionCookies, type CognitoSignOut } from './sign-out.ts';

/**
 * Sign-in when the load balancer authenticates people (auth=cognito or oidc): every request must carry the
 * ALB's signed token, which names the person (`ctx.state.person`). The workbench's own browser session is
 * still made, silently, for its CSRF token (the ALB's cookie goes with cross-site requests too): a page
 * starts one when there is none, and `/login` (where the UI sends a request that found none, e.g. after a
 * restart) starts one and goes back. There is no token and no login form. Logging out ends the ALB's session
 * too, and with Cognito the hosted UI's (sign-out.ts).
 */
export class AlbSignIn {
  private readonly verified: (ctx: Context, next: Next) => Promise<void>;

  constructor(
    private readonly auth: Auth,
    verifier: AlbJwtVerifier,
    log: (line: string) => void = () => {},
    /** With Cognito: the hosted UI whose session logging out also ends. */
    private readonly cognito?: CognitoSignOut,
  ) {
    this.verified = albIdentity(verifier, log);
  }

  private hasSession(ctx: Context): boolean {
    const verdict = this.auth.identify(ctx.req, ctx.cookies.get(SESSION_COOKIE));
    return verdict.ok && verdict.caller.via === 'cookie';
  }

  /** For pages (GET only, nothing to forge): the person, and a session made on the spot if there is none. */
  pages() {
    return (ctx: Context, next: Next) =>
      this.verified(ctx, async () => {
        if (!this.hasSession(ctx)) this.auth.startSession(ctx);
        await next();
      });
  }

  /** For the API, before the session and CSRF checks of `auth.middleware('api')`: the person. */
  api() {
    return this.verified;
  }

  /** `/login` and `/logout`, in place of the token form's. */
  routes(): Router {
    const router = new Router();
    router.get('/login', (ctx) =>
      this.verified(ctx, async () => {
        this.auth.startSession(ctx);
        ctx.redirect(safeNext(typeof ctx.query.next === 'string' ? ctx.query.next : undefined));
      }),
    );
    router.post('/login', (ctx) => {
      ctx.status = 404;
      ctx.body = 'Sign-in is done by the load balancer here.';
    });
    router.post('/logout', (ctx) => {
      // Not the ALB token: an expired one must still be able to log out. A foreign page must not, though.
      if (!Auth.sameOrigin(ctx.req)) {
        ctx.status = 403;
        ctx.body = 'cross-site logout refused';
        return;
      }
      this.auth.endSession(ctx);
      expireAlbSessionCookies(ctx);
      ctx.set('Cache-Control', 'no-store');
      // The Host the ALB forwarded, not X-Forwarded-Host (any client can send that; Cognito would refuse it anyway).
      if (this.cognito) return ctx.redirect(cognitoLogoutUrl(this.cognito, `${ctx.protocol}://${ctx.req.headers.host}`));
      // Another OIDC provider keeps its own session: the next visit may pass through it without a password.
      ctx.type = 'html';
      ctx.body = '<!doctype html><title>Signed out · Trailbook</title><p>You are signed out of the workbench and its load balancer. Your identity provider may still remember you: sign out there too on a shared computer.</p><p><a href="/">Sign in again</a></p>';
    });
    return router;
  }
}

/** `GET /me` under /api: who is signed in (null with token sign-in, which knows no person). */
export function meRoute(router: Router): void {
  router.get('/me', (ctx) => {
    ctx.body = { person: ctx.state.person ?? null };
  });
}
