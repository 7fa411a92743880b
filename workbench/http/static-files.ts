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

/**
 * Serves `relative` (still URL-encoded, as in the request path) from under `root` with koa-send, which
 * refuses traversal and dotfiles. Revalidated on every load (the bundle names are not content-hashed):
 * a weak ETag from size and mtime answers 304 when nothing changed. False when there is no such file.
 */
export async function serveFile(ctx: Context, root: string, relative: string): Promise<boolean> {
  const type = CONTENT_TYPES[extname(relative).toLowerCase()];
  if (!type) return false;
  ctx.type = type;
  ctx.set('Cache-Control', 'no-cache');
  let served: string | undefined;
  try {
    served = await send(ctx, relative, {
      root,
      hidden: false,
      index: false,
      brotli: false, // compression happens in koa-compress; no precompressed files to look for
      gzip: false,
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
    return false;
  }
  if (ctx.fresh) {
    ctx.status = 304;
    ctx.body = null; // Koa destroys the file stream it replaces
  }
  return true;
}
