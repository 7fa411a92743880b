import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Context } from 'koa';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Serves files under `root` only; no directory listing, no dotfiles. */
export async function serveFile(ctx: Context, root: string, relative: string): Promise<boolean> {
  const clean = normalize(relative).replace(/^([/\\])+/, '');
  if (clean.split(sep).some((part) => part.startsWith('.') || part === '')) return false;
  const path = join(root, clean);
  if (!path.startsWith(root + sep)) return false;
  const type = CONTENT_TYPES[extname(path)];
  if (!type) return false;
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = type;
    ctx.lastModified = info.mtime;
    ctx.etag = `W/"${info.size.toString(16)}-${info.mtimeMs.toString(16)}"`;
    if (ctx.fresh) {
      ctx.status = 304;
      return true;
    }
    ctx.body = await readFile(path);
    return true;
  } catch {
    return false;
  }
}
