import Router from '@koa/router';
import { z } from 'zod';
import { Auth, tooManyAttempts } from '../auth.ts';
import { parseBody, readForm } from '../http/body.ts';
import { loginPage } from '../pages.ts';

/** Anything else the form carries is ignored; a repeated field (an array) is not a token. */
const LoginForm = z.object({ token: z.string().max(1000).optional(), next: z.string().max(2000).optional() });

/** Only a path on this site: browsers drop tabs/newlines and treat \ as /, so "/\t/evil" would become "//evil". */
export const safeNext = (next: string | undefined) => (next && /^\/(?![/\\])[^\s\\\u0000-\u001f]*$/.test(next) ? next : '/');

/** The login form and logout: the only routes that create or end a browser session by form. */
export function sessionRoutes(auth: Auth): Router {
  const router = new Router();
  router.get('/login', (ctx) => {
    ctx.type = 'html';
    ctx.body = loginPage({ next: typeof ctx.query.next === 'string' ? ctx.query.next : '/' });
  });
  router.post('/login', async (ctx) => {
    if (!Auth.sameOrigin(ctx.req)) {
      ctx.status = 403;
      ctx.body = 'cross-site login refused';
      return;
    }
    const form = parseBody(LoginForm, await readForm(ctx));
    const next = safeNext(form.next);
    const attempt = auth.attempt(ctx.req, form.token);
    if (!attempt.ok) {
      ctx.status = attempt.status;
      if (attempt.status === 429) ctx.set('Retry-After', String(attempt.retryAfter));
      ctx.type = 'html';
      ctx.body = loginPage({ next, error: attempt.status === 429 ? tooManyAttempts(attempt.retryAfter) : 'That token is not valid.' });
      return;
    }
    auth.startSession(ctx);
    ctx.redirect(next);
  });
  router.post('/logout', (ctx) => {
    if (!Auth.sameOrigin(ctx.req)) {
      ctx.status = 403;
      return;
    }
    auth.endSession(ctx);
    ctx.redirect('/login');
  });
  return router;
}
