import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { LateAssets } from './ui/assets.ts';

/**
 * Builds the browser bundle (UI + Monaco + its editor and TypeScript workers, plus public/style.css)
 * into workbench/public/build with esbuild. Every file name carries a hash of its content, so the server
 * sends them `immutable` for a year, and each gets a brotli and a gzip copy beside it (compressed once
 * here, at a level too slow for every request). manifest.json maps logical names to hashed ones; the
 * server renders the shell page from it.
 *
 * Builders never delete what a running page may still load: files are written beside the previous
 * build (atomically, and only if absent: same name, same content), and only files in neither of the
 * last two manifests are removed. The server calls ensureUiBuild() at start: it rebuilds only when a
 * bundled source or style.css is newer than the manifest, so restarts stay fast.
 */

const WORKBENCH_DIR = import.meta.dirname;
const PROJECT_DIR = resolve(WORKBENCH_DIR, '..');
export const PUBLIC_DIR = join(WORKBENCH_DIR, 'public');
export const BUILD_DIR = join(PUBLIC_DIR, 'build');
const UI_DIR = join(WORKBENCH_DIR, 'ui');
const STYLE = join(PUBLIC_DIR, 'style.css');
export const MANIFEST = join(BUILD_DIR, 'manifest.json');

/** esbuild's `[hash]`: 8 characters of base32. Names with one are served immutable. */
export const HASHED_NAME = /-[A-Z2-7]{8}\.[a-z]+$/;
/** Worth compressing: the font too (TrueType is not compressed itself). */
const COMPRESSIBLE = /\.(js|css|ttf|svg|json)$/;
const COMPRESS_MIN_BYTES = 1024;
/** Files the last two builds did not name are removed only after this, so a concurrent builder's fresh files survive. */
const STALE_AFTER_MS = 10 * 60_000;

export interface AssetManifest {
  builtAt: string;
  monaco?: string;
  /** Logical name → path under /build/ of its hashed file. */
  assets: { 'app.js': string; 'style.css': string } & LateAssets;
  /** Chunks the app entry imports statically: the shell preloads them with the entry. */
  preload: string[];
  /** Every built file (path under /build/) with its size as sent: plain, brotli and gzip. */
  files: Record<string, { bytes: number; br?: number; gz?: number }>;
  /** Project sources bundled (relative to the project): a newer one means the build is stale. */
  inputs: string[];
}

async function monacoVersion(): Promise<string | undefined> {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(await readFile(require.resolve('monaco-editor/package.json', { paths: [WORKBENCH_DIR] }), 'utf8'));
    return pkg.version as string;
  } catch {
    // monaco-editor resolves only via exports; read the file directly.
    try {
      return JSON.parse(await readFile(join(PROJECT_DIR, 'node_modules/monaco-editor/package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  }
}

/** Writes `data` to `path` unless it is there already (a hashed name: same name, same content); never half-written. */
async function writeOnce(path: string, data: Uint8Array): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/**
 * Brotli at quality 11 for the small files, 9 with a 16 MB window for the big ones (Monaco's core and the
 * 7 MB TypeScript worker: 11 would add tens of seconds to a build for a few percent); gzip -9 for browsers
 * that do not send `br` (Chromium over plain http).
 */
async function precompress(path: string, data: Uint8Array): Promise<{ br: number; gz: number }> {
  const quality = data.length > 512 * 1024 ? 9 : 11;
  const [b, g] = await Promise.all([
    existsSync(`${path}.br`)
      ? readFile(`${path}.br`)
      : brotli(data, { params: { [zlib.BROTLI_PARAM_QUALITY]: quality, [zlib.BROTLI_PARAM_LGWIN]: 24, [zlib.BROTLI_PARAM_SIZE_HINT]: data.length } }),
    existsSync(`${path}.gz`) ? readFile(`${path}.gz`) : gz(data, { level: 9 }),
  ]);
  await Promise.all([writeOnce(`${path}.br`, b), writeOnce(`${path}.gz`, g)]);
  return { br: b.length, gz: g.length };
}

/** Base32 like esbuild's hashes, so HASHED_NAME recognises the stylesheet too. */
function contentHash(data: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(data).digest();
  let out = '';
  for (let i = 0; i < 8; i++) out += alphabet[digest[i]! % 32];
  return out;
}

export async function readManifest(): Promise<AssetManifest | undefined> {
  try {
    return JSON.parse(await readFile(MANIFEST, 'utf8')) as AssetManifest;
  } catch {
    return undefined;
  }
}

export async function buildUi(options: { minify?: boolean; log?: (line: string) => void } = {}): Promise<{ ms: number; bytes: number; manifest: AssetManifest }> {
  const started = performance.now();
  const esbuild = await import('esbuild');
  await mkdir(BUILD_DIR, { recursive: true });
  const previous = await readManifest();
  const common = {
    bundle: true,
    minify: options.minify ?? true,
    sourcemap: false as const,
    target: 'es2022',
    logLevel: 'warning' as const,
    legalComments: 'none' as const,
    define: { 'process.env.NODE_ENV': '"production"' },
    outdir: BUILD_DIR,
    format: 'esm' as const,
    write: false,
    metafile: true,
    entryNames: '[name]-[hash]',
    absWorkingDir: PROJECT_DIR,
  };
  const monacoDir = join(PROJECT_DIR, 'node_modules/monaco-editor/esm/vs');
  const [ui, workers] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: { app: join(UI_DIR, 'main.ts') },
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      assetNames: 'assets/[name]-[hash]',
      loader: { '.ttf': 'file' },
    }),
    esbuild.build({
      ...common,
      entryPoints: {
        'editor.worker': join(monacoDir, 'editor/editor.worker.js'),
        'ts.worker': join(monacoDir, 'languages/features/typescript/ts.worker.js'),
      },
    }),
  ]);
  const styleSource = await readFile(STYLE);
  const outputs = [...ui.outputFiles!, ...workers.outputFiles!].map((f) => ({ path: relative(BUILD_DIR, f.path), data: f.contents }));
  const stylePath = `style-${contentHash(styleSource)}.css`;
  outputs.push({ path: stylePath, data: styleSource });

  // Logical names from the metafiles: the entries, the static imports of the app, Monaco's stylesheet.
  const out = (p: string) => relative(BUILD_DIR, resolve(PROJECT_DIR, p));
  const byEntry = (meta: NonNullable<typeof ui.metafile>, suffix: string) => Object.entries(meta.outputs).find(([, o]) => o.entryPoint?.endsWith(suffix));
  const app = byEntry(ui.metafile!, 'workbench/ui/main.ts');
  const monacoChunk = byEntry(ui.metafile!, 'workbench/ui/monaco-editor.ts');
  const editorWorker = byEntry(workers.metafile!, 'editor/editor.worker.js');
  const tsWorker = byEntry(workers.metafile!, 'typescript/ts.worker.js');
  if (!app || !editorWorker || !tsWorker) throw new Error('the UI build is missing an entry point');
  const assets: AssetManifest['assets'] = {
    'app.js': out(app[0]),
    'style.css': stylePath,
    'editor.worker.js': out(editorWorker[0]),
    'ts.worker.js': out(tsWorker[0]),
    ...(monacoChunk?.[1].cssBundle ? { 'monaco.css': out(monacoChunk[1].cssBundle) } : {}),
  };
  const staticImports = (path: string, seen = new Set<string>()): Set<string> => {
    for (const i of ui.metafile!.outputs[path]?.imports ?? []) {
      if (i.kind === 'import-statement' && !i.external && !seen.has(i.path)) staticImports(i.path, seen.add(i.path));
    }
    return seen;
  };
  const preload = [...staticImports(app[0])].map(out);
  if (monacoChunk) {
    // Preloaded together when the editor loads, instead of one round trip per level of imports.
    assets['monaco.js'] = [monacoChunk[0], ...staticImports(monacoChunk[0])].map(out).filter((p) => !preload.includes(p));
  }
  const inputs = [...new Set([...Object.keys(ui.metafile!.inputs), ...Object.keys(workers.metafile!.inputs)])].filter((p) => !p.includes('node_modules/'));
  inputs.push(relative(PROJECT_DIR, STYLE));

  const files: AssetManifest['files'] = {};
  // Biggest first, two at a time (zlib works off the main thread; the machine may have two cores).
  const queue = outputs.sort((a, b) => b.data.length - a.data.length);
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const abs = join(BUILD_DIR, next.path);
      await writeOnce(abs, next.data);
      const compressed = COMPRESSIBLE.test(next.path) && next.data.length >= COMPRESS_MIN_BYTES ? await precompress(abs, next.data) : {};
      files[next.path] = { bytes: next.data.length, ...compressed };
    }
  };
  await Promise.all([worker(), worker()]);
  const manifest: AssetManifest = { builtAt: new Date().toISOString(), monaco: await monacoVersion(), assets, preload, files, inputs };
  const tmp = `${MANIFEST}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(manifest, null, 1) + '\n');
  await rename(tmp, MANIFEST);
  await removeStale(new Set([...Object.keys(files), ...Object.keys(previous?.files ?? {})]));

  const bytes = Object.values(files).reduce((n, f) => n + f.bytes, 0);
  const ms = Math.round(performance.now() - started);
  options.log?.(`built the workbench UI in ${ms} ms (${(bytes / 1024 / 1024).toFixed(1)} MB)`);
  return { ms, bytes, manifest };
}

/** Removes files (and their compressed copies) that neither of the last two builds produced, once they are old. */
async function removeStale(keep: Set<string>): Promise<void> {
  const now = Date.now();
  for (const entry of await readdir(BUILD_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const abs = join(entry.parentPath, entry.name);
    const path = relative(BUILD_DIR, abs);
    if (abs === MANIFEST || keep.has(path.replace(/\.(br|gz)$/, ''))) continue;
    try {
      if (now - (await stat(abs)).mtimeMs > STALE_AFTER_MS) await unlink(abs);
    } catch {
      // removed concurrently
    }
  }
}

/** Where the build stands: the newest bundled source (or style.css) against the manifest. */
async function isFresh(): Promise<boolean> {
  const manifest = await readManifest();
  if (!manifest?.inputs || !manifest.files) return false;
  const builtAt = (await stat(MANIFEST)).mtimeMs;
  for (const input of manifest.inputs) {
    try {
      if ((await stat(join(PROJECT_DIR, input))).mtimeMs > builtAt) return false;
    } catch {
      return false; // a bundled source was removed
    }
  }
  // A new file in ui/ shows up as a changed importer, but check the folder too (cheap).
  for (const entry of await readdir(UI_DIR, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && (await stat(join(entry.parentPath, entry.name))).mtimeMs > builtAt) return false;
  }
  return Object.keys(manifest.files).every((f) => existsSync(join(BUILD_DIR, f)));
}

let building: Promise<unknown> | undefined;

/** Builds when the bundle is missing or older than a UI source; a read-only image keeps its prebuilt bundle. */
export async function ensureUiBuild(log: (line: string) => void = () => {}): Promise<'fresh' | 'built'> {
  if (building) await building.catch(() => {});
  if (await isFresh()) return 'fresh';
  if ((await readManifest()) && !(await monacoVersion())) return 'fresh'; // production image without dev dependencies
  building ??= buildUi({ log }).finally(() => (building = undefined));
  await building;
  return 'built';
}

/** What the shell page loads, as URLs: from the manifest, cached until it changes; unhashed names before any build. */
export interface ShellAssets {
  script: string;
  styles: string[];
  preload: string[];
  late: LateAssets;
}

let cached: { mtimeMs: number; assets: ShellAssets } | undefined;

export async function shellAssets(): Promise<ShellAssets> {
  let mtimeMs = 0;
  try {
    mtimeMs = (await stat(MANIFEST)).mtimeMs;
  } catch {
    return { script: '/build/app.js', styles: ['/static/style.css'], preload: [], late: {} };
  }
  if (cached?.mtimeMs === mtimeMs) return cached.assets;
  const manifest = await readManifest();
  if (!manifest) return { script: '/build/app.js', styles: ['/static/style.css'], preload: [], late: {} };
  const url = (p: string) => `/build/${p}`;
  const { 'app.js': app, 'style.css': style, ...late } = manifest.assets;
  const assets: ShellAssets = {
    script: url(app),
    styles: [url(style)],
    preload: manifest.preload.map(url),
    late: Object.fromEntries(Object.entries(late).map(([k, v]) => [k, Array.isArray(v) ? v.map(url) : url(v)])),
  };
  cached = { mtimeMs, assets };
  return assets;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildUi({ log: console.log });
}
