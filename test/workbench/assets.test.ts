import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_DIR, ensureUiBuild, HASHED_NAME, readManifest, type AssetManifest } from '../../workbench/build.ts';
import { IMMUTABLE } from '../../workbench/http/static-files.ts';
import { ASSETS_META, type LateAssets } from '../../workbench/ui/assets.ts';
import { startTestWorkbench, type TestWorkbench } from './helpers.ts';
import { rawGet, type RawResponse } from './http/raw-get.ts';

/**
 * The built UI as a browser receives it: content-hashed names in the shell, immutable caching of hashed
 * files, revalidation of the shell, precompressed brotli/gzip, and what a first open and a reopen cost.
 */

let wb: TestWorkbench;
let manifest: AssetManifest;
let shell: RawResponse;
let html: string;

const MB = 1024 * 1024;
const BROWSER = 'gzip, deflate, br, zstd';
/** Chromium over plain http (localhost, or an ALB without a certificate) does not offer brotli. */
const HTTP_CHROMIUM = 'gzip, deflate';

const links = (rel: string) => [...html.matchAll(new RegExp(`<link rel="${rel}" href="([^"]+)">`, 'g'))].map((m) => m[1]!);
const late = (): Required<LateAssets> => JSON.parse(new RegExp(`<meta name="${ASSETS_META}" content="([^"]*)">`).exec(html)![1]!.replaceAll('&quot;', '"'));

beforeAll(async () => {
  await ensureUiBuild();
  manifest = (await readManifest())!;
  wb = await startTestWorkbench();
  shell = await rawGet(wb.url, '/notebooks/any.ipynb', { cookie: wb.cookie, 'accept-encoding': BROWSER });
  html = (shell.headers['content-encoding'] === 'br' ? brotliDecompressSync(shell.body) : shell.body).toString();
}, 600_000);
afterAll(() => wb?.stop());

describe('the app shell', () => {
  it('loads only content-hashed assets: the stylesheet, and the app entry preloaded with its chunks', () => {
    expect(shell.status).toBe(200);
    const script = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
    expect(script).toBe(`/build/${manifest.assets['app.js']}`);
    expect(links('stylesheet')).toEqual([`/build/${manifest.assets['style.css']}`]);
    expect(links('modulepreload')).toEqual([script, ...manifest.preload.map((p) => `/build/${p}`)]);
    for (const url of [script!, ...links('stylesheet'), ...links('modulepreload')]) expect(url).toMatch(HASHED_NAME);
    // Monaco's stylesheet and the workers come later, named in the meta tag, not linked.
    const assets = late();
    expect(html).not.toContain(`href="${assets['monaco.css']}"`);
    for (const key of ['editor.worker.js', 'ts.worker.js', 'monaco.css'] as const) expect(assets[key]).toMatch(HASHED_NAME);
    expect(assets['monaco.js'].length).toBeGreaterThan(0);
  });

  it('is revalidated on every load: private, no-cache, and 304 without a body when unchanged', async () => {
    expect(shell.headers['cache-control']).toBe('private, no-cache');
    const etag = String(shell.headers.etag);
    expect(etag).toMatch(/^"/);
    const again = await rawGet(wb.url, '/notebooks/any.ipynb', { cookie: wb.cookie, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const list = await rawGet(wb.url, '/', { cookie: wb.cookie, 'if-none-match': '"something-else"' });
    expect(list.status).toBe(200);
  });
});

describe('hashed files', () => {
  it('are cached for a year without revalidation, brotli or gzip from the copies written at build time', async () => {
    const path = `/build/${manifest.assets['app.js']}`;
    const raw = await readFile(join(BUILD_DIR, manifest.assets['app.js']));
    const br = await rawGet(wb.url, path, { 'accept-encoding': BROWSER });
    expect(br.status).toBe(200);
    expect(br.headers['cache-control']).toBe(IMMUTABLE);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.body.equals(await readFile(join(BUILD_DIR, `${manifest.assets['app.js']}.br`)))).toBe(true);
    expect(brotliDecompressSync(br.body).equals(raw)).toBe(true);
    const gz = await rawGet(wb.url, path, { 'accept-encoding': HTTP_CHROMIUM });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(raw)).toBe(true);
    const plain = await rawGet(wb.url, path);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(raw)).toBe(true);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('include the font and the stylesheet, compressed too', async () => {
    const font = Object.keys(manifest.files).find((f) => f.endsWith('.ttf'))!;
    const res = await rawGet(wb.url, `/build/${font}`, { 'accept-encoding': BROWSER });
    expect(res.headers['content-type']).toBe('font/ttf');
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.body.length).toBeLessThan(manifest.files[font]!.bytes * 0.75);
    const css = await rawGet(wb.url, `/build/${manifest.assets['style.css']}`, { 'accept-encoding': BROWSER });
    expect(css.headers['cache-control']).toBe(IMMUTABLE);
    expect(brotliDecompressSync(css.body).equals(await readFile(join(BUILD_DIR, manifest.assets['style.css'])))).toBe(true);
  });

  it('leave unhashed files under /build (the manifest) revalidated, and refuse the compressed copies by name', async () => {
    const m = await rawGet(wb.url, '/build/manifest.json');
    expect(m.headers['cache-control']).toBe('no-cache');
    expect((await rawGet(wb.url, `/build/${manifest.assets['app.js']}.br`)).status).toBe(404);
  });

  it('send the 7 MB TypeScript worker in under 1.3 MB with brotli and 1.7 MB with gzip', async () => {
    const worker = manifest.assets['ts.worker.js']!;
    const path = `/build/${worker}`;
    const raw = manifest.files[worker]!.bytes;
    expect(raw).toBeGreaterThan(5 * MB);
    const br = await rawGet(wb.url, path, { 'accept-encoding': BROWSER });
    const gz = await rawGet(wb.url, path, { 'accept-encoding': HTTP_CHROMIUM });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.body.length).toBeLessThan(1.3 * MB);
    expect(gz.body.length).toBeLessThan(1.7 * MB);
    expect(br.headers['cache-control']).toBe(IMMUTABLE);
  });
});

describe('bytes on the wire', () => {
  /** Everything a first open of a notebook fetches from /build: the shell's assets, Monaco, its stylesheet and font, both workers. */
  async function firstOpen(acceptEncoding: string): Promise<number> {
    const assets = late();
    const font = Object.keys(manifest.files).filter((f) => f.endsWith('.ttf')).map((f) => `/build/${f}`);
    const urls = new Set([...links('stylesheet'), ...links('modulepreload'), ...assets['monaco.js'], assets['monaco.css'], assets['editor.worker.js'], assets['ts.worker.js'], ...font]);
    let bytes = 0;
    for (const url of urls) {
      const res = await rawGet(wb.url, url, { 'accept-encoding': acceptEncoding });
      expect(res.status, url).toBe(200);
      bytes += res.body.length;
    }
    return bytes;
  }

  it('first open under 3 MB (brotli or gzip); a reopen fetches only the shell, answered 304', async () => {
    const page = await rawGet(wb.url, '/notebooks/any.ipynb', { cookie: wb.cookie, 'accept-encoding': HTTP_CHROMIUM });
    const br = shell.body.length + (await firstOpen(BROWSER));
    const gz = page.body.length + (await firstOpen(HTTP_CHROMIUM));
    console.log(`first open from /build: ${(br / MB).toFixed(2)} MB with brotli, ${(gz / MB).toFixed(2)} MB with gzip`);
    expect(br).toBeLessThan(3 * MB);
    expect(gz).toBeLessThan(3 * MB);
    // Reopen: every asset above is immutable in the browser's cache; the shell revalidates.
    const reopen = await rawGet(wb.url, '/notebooks/any.ipynb', { cookie: wb.cookie, 'if-none-match': String(shell.headers.etag) });
    expect(reopen.status).toBe(304);
    expect(reopen.body.length).toBe(0);
  });
});
