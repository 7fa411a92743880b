import type { Server } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFile } from '../../../workbench/http/static-files.ts';
import { startTestWorkbench, type TestWorkbench } from '../helpers.ts';
import { rawGet } from './raw-get.ts';

const get = rawGet;

describe('serveFile', () => {
  let root: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'trailbook-static-'));
    await mkdir(join(root, 'sub', '.git'), { recursive: true });
    await writeFile(join(root, 'app.js'), 'export const x = 1;\n');
    await writeFile(join(root, 'sub', 'font.ttf'), Buffer.from([0, 1, 0, 0]));
    await writeFile(join(root, '.env.js'), 'secret');
    await writeFile(join(root, 'sub', '.git', 'config.js'), 'secret');
    await writeFile(join(root, 'notes.txt'), 'not a served type');
    await writeFile(join(tmpdir(), 'trailbook-outside.js'), 'outside');
    const app = new Koa();
    app.use(async (ctx) => {
      if (!(await serveFile(ctx, root, ctx.path.slice(1)))) {
        ctx.status = 404;
        ctx.body = 'Not found';
      }
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server?.close();
    await rm(root, { recursive: true, force: true });
    await rm(join(tmpdir(), 'trailbook-outside.js'), { force: true });
  });

  it('serves files under the root with their type, revalidated by ETag', async () => {
    const js = await get(base, '/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('no-cache');
    expect(js.body.toString()).toBe('export const x = 1;\n');
    const again = await get(base, '/app.js', { 'if-none-match': String(js.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await get(base, '/sub/font.ttf')).headers['content-type']).toBe('font/ttf');
    expect((await get(base, '/sub%2Ffont.ttf')).status).toBe(200);
  });

  it('refuses dotfiles, traversal, undecodable paths and unknown types as "not found"', async () => {
    for (const path of [
      '/.env.js',
      '/sub/.git/config.js',
      '/sub/%2Egit/config.js',
      '/../trailbook-outside.js',
      '/%2e%2e/trailbook-outside.js',
      '/..%2Ftrailbook-outside.js',
      '/sub/..%2F..%2Ftrailbook-outside.js',
      '/%E0%A4%A.js',
      '/app.js%00.js',
      '/notes.txt',
      '/sub',
      '/missing.js',
    ]) {
      const res = await get(base, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).toBe('Not found');
    }
  });
});

describe('static files on the workbench', () => {
  let wb: TestWorkbench;
  beforeAll(async () => {
    wb = await startTestWorkbench();
  });
  afterAll(() => wb?.stop());

  it('compresses text with brotli or gzip as the client accepts, keeping the security headers', async () => {
    const plain = await get(wb.url, '/static/style.css');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const br = await get(wb.url, '/static/style.css', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
    const gz = await get(wb.url, '/static/style.css', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(br.headers['x-content-type-options']).toBe('nosniff');
    expect(String(br.headers['content-security-policy'])).toContain("default-src 'self'");
  });

  it('answers traversal and undecodable paths under /static and /build with 404', async () => {
    for (const path of ['/static/..%2F..%2Fpackage.json', '/build/../../package.json', '/build/%2e%2e/%2e%2e/package.json', '/build/%E0%A4%A.js', '/static/.trailbook-share-secret']) {
      expect((await get(wb.url, path)).status, path).toBe(404);
    }
  });
});
