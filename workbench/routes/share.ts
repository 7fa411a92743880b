import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { parseBody, readJson } from '../http/body.ts';
import { checkName, NotebookError, type NotebookStore } from '../notebooks.ts';
import { REPORT_CSP } from '../report.ts';
import { escapeHtml } from '../sanitise.ts';
import type { ShareRegistry, ShareLink } from '../share-registry.ts';
import type { ShareSigner } from '../share.ts';

/**
 * Share links. Public: `/share/:token` (and `/export.html`) shows one notebook's saved state, found by
 * its stable id, while the link is registered, unrevoked and unexpired. Authenticated (under /api):
 * create, list and revoke links.
 *
 * Expiry when creating: `{ "expiresInHours": 24 }` expires in that many hours; omitted, the default
 * (30 days); `"never"` only when asked for explicitly. `null` is refused as ambiguous.
 */

export const DEFAULT_SHARE_HOURS = 30 * 24;
const MAX_SHARE_HOURS = 24 * 366;
const ShareBody = z.object({ expiresInHours: z.union([z.number().positive().max(MAX_SHARE_HOURS), z.literal('never')]).optional() });
/** The only user the token scheme knows today; kept per link so a later per-user login can fill it in. */
const CREATED_BY = 'token user';

export interface ShareContext {
  signer: ShareSigner;
  registry: ShareRegistry;
  store: NotebookStore;
  /** TRAILBOOK_PUBLIC_URL: the origin links are built from; else the request's (checked) Host. */
  publicUrl?: string;
}

function page(ctx: Context, status: number, title: string, message: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Trailbook</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2328}h1{font-size:1.4rem}</style></head>
<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}

const expiresAtOf = (link: ShareLink): number | null => (link.expires === null ? null : Date.parse(link.expires));

/** Public share pages: a valid, live link reads exactly one notebook's saved state; nothing else. */
export function shareRoutes({ signer, registry, store }: ShareContext): Router {
  const router = new Router();
  const shareHandler = async (ctx: Context, download: boolean) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', REPORT_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    const verdict = signer.verify(String(ctx.params.token), Date.now());
    if (!verdict.ok) {
      if (verdict.reason === 'this share link has expired') return page(ctx, 410, 'Share link expired', 'This share link has expired. Ask its owner for a new one.');
      return page(ctx, 403, 'Share link refused', `Share link refused: ${verdict.reason}.`);
    }
    const { linkId, notebookId, expiresAt } = verdict.share;
    const link = await registry.get(linkId);
    if (!link || link.notebookId !== notebookId || signedExpiry(link) !== expiresAt) {
      return page(ctx, 404, 'Unknown share link', 'This share link is not known to this workbench.');
    }
    if (link.revoked) return page(ctx, 410, 'Share link revoked', 'This share link was revoked by the notebook’s owner.');
    const name = await store.findById(notebookId, link.notebookName);
    if (!name) return page(ctx, 410, 'Notebook deleted', 'This notebook was deleted, so its share link no longer shows anything.');
    let body: Buffer;
    try {
      body = await store.report(name, { exported: download, expiresAt });
    } catch (err) {
      if (!(err instanceof NotebookError)) throw err;
      if (err.status === 404) return page(ctx, 410, 'Notebook deleted', 'This notebook was deleted, so its share link no longer shows anything.');
      if (err.status === 413) return page(ctx, 413, 'Notebook too large', `${err.message}.`);
      return page(ctx, 422, 'Notebook cannot be displayed', 'This notebook cannot be displayed: its file is not a valid notebook.');
    }
    ctx.type = 'html';
    ctx.body = body;
    if (download) ctx.attachment(name.replace(/\.ipynb$/, '.html'));
  };
  router.get('/share/:token', (ctx) => shareHandler(ctx, false));
  router.get('/share/:token/export.html', (ctx) => shareHandler(ctx, true));
  return router;
}

/** The expiry as the token carries it (whole seconds, rounded up), to compare a token with its registry entry. */
function signedExpiry(link: ShareLink): number | null {
  const at = expiresAtOf(link);
  return at === null ? null : Math.ceil(at / 1000) * 1000;
}

function baseUrl(ctx: Context, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  // Never Koa's ctx.origin: that is the request's Origin header ("null" or absent for non-browser clients).
  if (!ctx.host) throw new NotebookError('cannot build a share link: the request has no Host header (set TRAILBOOK_PUBLIC_URL)', 400);
  return `${ctx.protocol}://${ctx.host}`;
}

export type ShareStatus = 'active' | 'expired' | 'revoked' | 'deleted';
export type ShareView = ReturnType<typeof describe>;

/** A link as the API lists it: with where it points now, its state, and its URLs while it is live. */
function describe(link: ShareLink, names: Map<string, string>, base: string, signer: ShareSigner, now: number) {
  const expiresAt = expiresAtOf(link);
  const notebook = names.get(link.notebookId) ?? null;
  const status: ShareStatus = link.revoked ? 'revoked' : expiresAt !== null && expiresAt < now ? 'expired' : notebook === null ? 'deleted' : 'active';
  const url = `${base}/share/${signer.sign({ linkId: link.id, notebookId: link.notebookId, expiresAt })}`;
  return {
    ...link,
    notebook,
    expiresAt,
    status,
    url: status === 'active' ? url : null,
    exportUrl: status === 'active' ? `${url}/export.html` : null,
  };
}

/** The authenticated API that creates, lists and revokes share links (mounted under /api). */
export function shareApi(router: Router, { signer, registry, store, publicUrl }: ShareContext): void {
  const namesById = async () => new Map((await store.list()).flatMap((e) => (e.id ? [[e.id, e.name] as const] : [])));

  router.post('/notebooks/:name/share', async (ctx) => {
    const raw = await readJson(ctx);
    if (raw && typeof raw === 'object' && (raw as Record<string, unknown>).expiresInHours === null) {
      throw new NotebookError('invalid request: expiresInHours: null is ambiguous; send "never" for a link that does not expire, or leave it out for 30 days', 400);
    }
    const body = parseBody(ShareBody, raw);
    const name = checkName(ctx.params.name!);
    const base = baseUrl(ctx, publicUrl);
    // Only saved, readable notebooks can be shared; this gives the notebook its id if it has none yet.
    const { id: notebookId, version } = await store.ensureId(name);
    const hours = body.expiresInHours ?? DEFAULT_SHARE_HOURS;
    const now = Date.now();
    const expiresAt = hours === 'never' ? null : now + hours * 3_600_000;
    // Signed in through the load balancer: the link records who made it.
    const createdBy = (ctx.state.person as { email?: string } | undefined)?.email ?? CREATED_BY;
    const link = await registry.create({ notebookId, notebookName: name, expiresAt, createdBy }, now);
    ctx.status = 201;
    // `version`: the file's version after the id was added, for the editor that has it open.
    ctx.body = { ...describe(link, new Map([[notebookId, name]]), base, signer, now), version };
  });

  router.get('/shares', async (ctx) => {
    const base = baseUrl(ctx, publicUrl);
    const [links, names] = await Promise.all([registry.all(), namesById()]);
    const now = Date.now();
    ctx.body = { shares: links.map((l) => describe(l, names, base, signer, now)) };
  });

  router.get('/notebooks/:name/shares', async (ctx) => {
    const name = checkName(ctx.params.name!);
    const base = baseUrl(ctx, publicUrl);
    const entry = (await store.list()).find((e) => e.name === name);
    if (!entry) throw new NotebookError(`Notebook "${name}" not found`, 404);
    const links = entry.id ? (await registry.all()).filter((l) => l.notebookId === entry.id) : [];
    const now = Date.now();
    ctx.body = { shares: links.map((l) => describe(l, new Map([[entry.id!, name]]), base, signer, now)) };
  });

  router.delete('/shares/:id', async (ctx) => {
    const revoked = await registry.revoke(String(ctx.params.id));
    if (!revoked) throw new NotebookError('No such share link', 404);
    ctx.status = 204;
  });
}
