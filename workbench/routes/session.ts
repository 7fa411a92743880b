import Router from '@koa/router';
import { Auth } from '../auth.ts';
import { readForm } from '../http/body.ts';
import { loginPage } from '../pages.ts';

/** The login form and logout: the only routes that create or end a browser session. */
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
    const form = await readForm(ctx);
    const next = form.get('next') ?? '/';
    // Only a path on this site: browsers drop tabs/newlines and treat \ as /, so "/\t/evil" would become "//evil".
    const safeNext = /^\/(?![/\\])[^\s\\\u0000-\u001f]*$/.test(next) ? next : '/';
    if (!auth.tokenMatches(form.get('token') ?? undefined)) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage({ next: safeNext, error: 'That token is not valid.' });
      return;
    }
    auth.startSession(ctx);
    ctx.redirect(safeNext);
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
