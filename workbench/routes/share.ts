import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { parseBody, readJson } from '../http/body.ts';
import { NotebookError, type NotebookStore } from '../notebooks.ts';
import { REPORT_CSP, renderReport } from '../report.ts';
import type { ShareSigner } from '../share.ts';

const ShareBody = z.object({ expiresInHours: z.number().positive().max(24 * 366).nullable().optional() });

/** Public share links: a valid signature reads exactly one notebook's saved state; nothing else. */
export function shareRoutes(signer: ShareSigner, store: NotebookStore): Router {
  const router = new Router();
  const shareHandler = async (ctx: Context, download: boolean) => {
    const verdict = signer.verify(String(ctx.params.token));
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', REPORT_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    if (!verdict.ok) {
      ctx.status = 403;
      ctx.type = 'text';
      ctx.body = `Share link refused: ${verdict.reason}`;
      return;
    }
    const { name, expiresAt } = verdict.share;
    let opened;
    try {
      opened = await store.open(name);
    } catch (err) {
      const missing = err instanceof NotebookError && err.status === 404;
      ctx.status = missing ? 404 : 422;
      ctx.type = 'text';
      ctx.body = missing ? 'This notebook no longer exists.' : 'This notebook cannot be displayed.';
      return;
    }
    ctx.type = 'html';
    ctx.body = renderReport(name, opened.notebook, { exported: download, expiresAt });
    if (download) ctx.attachment(name.replace(/\.ipynb$/, '.html'));
  };
  router.get('/share/:token', (ctx) => shareHandler(ctx, false));
  router.get('/share/:token/export.html', (ctx) => shareHandler(ctx, true));
  return router;
}

/** The authenticated API that creates share links (mounted under /api). */
export function shareApi(router: Router, signer: ShareSigner, store: NotebookStore): void {
  router.post('/notebooks/:name/share', async (ctx) => {
    const body = parseBody(ShareBody, await readJson(ctx));
    const name = ctx.params.name!;
    await store.open(name); // only saved, readable notebooks can be shared
    const expiresAt = body.expiresInHours ? Date.now() + body.expiresInHours * 3_600_000 : null;
    const token = signer.sign(name, expiresAt);
    ctx.body = { url: `${ctx.origin}/share/${token}`, exportUrl: `${ctx.origin}/share/${token}/export.html`, expiresAt };
  });
}
