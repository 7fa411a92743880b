import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { Context } from 'koa';
import send from 'koa-send';

/** Only these types are served; anything else under the roots (build stamps, sources) is a 404. */
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** A year: a content-hashed name never changes meaning, so browsers need not even revalidate it. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface ServeOptions {
  /** The name carries a hash of the content (build.ts): cache it for a year without revalidation. */
  immutable?: boolean;
  /** Serve `name.br` / `name.gz` written beside the file at build time when the client accepts them. */
  precompressed?: boolean;
}

/**
 * Serves `relative` (still URL-encoded, as in the request path) from under `root` with koa-send, which
 * refuses traversal and dotfiles. Content-hashed files are immutable; others are revalidated on every
 * load: a weak ETag from size and mtime answers 304 when nothing changed. A precompressed copy is sent
 * as is (koa-compress leaves a response with a Content-Encoding alone). False when there is no such file.
 */
export async function serveFile(ctx: Context, root: string, relative: string, options: ServeOptions = {}): Promise<boolean> {
  const type = CONTENT_TYPES[extname(relative).toLowerCase()];
  if (!type) return false;
  ctx.type = type;
  ctx.set('Cache-Control', options.immutable ? IMMUTABLE : 'no-cache');
  let served: string | undefined;
  try {
    served = await send(ctx, relative, {
      root,
      hidden: false,
      index: false,
      brotli: options.precompressed ?? false,
      gzip: options.precompressed ?? false,
      // Per variant: the .br and .gz copies have their own size, so their own ETag.
      setHeaders: (res, _path, stats) => res.setHeader('ETag', `W/"${stats.size.toString(16)}-${stats.mtimeMs.toString(16)}"`),
    });
  } catch (err) {
    // 400 undecodable, 403 outside the root, 404 missing: all just "not here".
    if ((err as { status?: number }).status! < 500) served = undefined;
    else throw err;
  }
  if (!served) {
    ctx.remove('Content-Type');
    ctx.remove('Cache-Control');
    ctx.remove('ETag');
    ctx.remove('Content-Encoding');
    return false;
  }
  if (options.precompressed) ctx.vary('Accept-Encoding');
  if (ctx.fresh) {
    ctx.status = 304;
    ctx.body = null; // Koa destroys the file stream it replaces
  }
  return true;
}

/**
 * A generated page that must always be current (the app shell): revalidated on every load with an ETag
 * of its content, so an unchanged shell costs a 304 and no body. `private`: it is only served logged in.
 */
export function sendRevalidated(ctx: Context, body: string, type: string): void {
  ctx.set('Cache-Control', 'private, no-cache');
  ctx.etag = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  ctx.type = type;
  ctx.body = body;
  if (ctx.fresh) {
    ctx.status = 304;
    ctx.body = null;
  }
}
