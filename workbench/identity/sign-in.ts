import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { SESSION_COOKIE, type Auth } from '../auth.ts';
import { safeNext } from '../routes/session.ts';
import type { AlbJwtVerifier } from './alb-jwt.ts';
import { albIdentity } from './index.ts';

/**
 * Sign-in when the load balancer authenticates people (auth=cognito or oidc): every request must carry the
 * ALB's signed token, which names the person (`ctx.state.person`). The workbench's own browser session is
 * still made, silently, for its CSRF token (the ALB's cookie goes with cross-site requests too): a page
 * starts one when there is none, and `/login` (where the UI sends a request that found none, e.g. after a
 * restart) starts one and goes back. There is no token and no login form.
 */
export class AlbSignIn {
  private readonly verified: (ctx: Context, next: Next) => Promise<void>;

  constructor(
    private readonly auth: Auth,
    verifier: AlbJwtVerifier,
    log: (line: string) => void = () => {},
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
      this.auth.endSession(ctx);
      ctx.type = 'html';
      // The load balancer's own session (and the provider's) outlive this one: the next visit signs in again.
      ctx.body = '<!doctype html><title>Signed out · Trailbook</title><p>Your workbench session has ended. To sign out of the load balancer, close the browser or sign out at your identity provider.</p><p><a href="/">Back to the workbench</a></p>';
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
