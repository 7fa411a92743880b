import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Builds the browser bundle (UI + Monaco + its editor and TypeScript workers) into
 * workbench/public/build with esbuild. The server calls ensureUiBuild() at start: it rebuilds only
 * when a UI source is newer than the build stamp, so restarts stay fast.
 */

const WORKBENCH_DIR = import.meta.dirname;
export const PUBLIC_DIR = join(WORKBENCH_DIR, 'public');
export const BUILD_DIR = join(PUBLIC_DIR, 'build');
const UI_DIR = join(WORKBENCH_DIR, 'ui');
const STAMP = join(BUILD_DIR, 'build.json');

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

async function monacoVersion(): Promise<string | undefined> {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(await readFile(require.resolve('monaco-editor/package.json', { paths: [WORKBENCH_DIR] }), 'utf8'));
    return pkg.version as string;
  } catch {
    // monaco-editor resolves only via exports; read the file directly.
    try {
      return JSON.parse(await readFile(resolve(WORKBENCH_DIR, '../node_modules/monaco-editor/package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  }
}

export async function buildUi(options: { minify?: boolean; log?: (line: string) => void } = {}): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const esbuild = await import('esbuild');
  await rm(BUILD_DIR, { recursive: true, force: true });
  await mkdir(BUILD_DIR, { recursive: true });
  const common = {
    bundle: true,
    minify: options.minify ?? true,
    sourcemap: false as const,
    target: 'es2022',
    logLevel: 'warning' as const,
    legalComments: 'none' as const,
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  const monacoDir = resolve(WORKBENCH_DIR, '../node_modules/monaco-editor/esm/vs');
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: { app: join(UI_DIR, 'main.ts') },
      outdir: BUILD_DIR,
      format: 'esm',
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
      outdir: BUILD_DIR,
      format: 'esm',
    }),
  ]);
  const version = await monacoVersion();
  await writeFile(STAMP, JSON.stringify({ builtAt: new Date().toISOString(), monaco: version }) + '\n');
  let bytes = 0;
  for (const f of await readdir(BUILD_DIR, { recursive: true, withFileTypes: true })) {
    if (f.isFile()) bytes += (await stat(join(f.parentPath, f.name))).size;
  }
  const ms = Math.round(performance.now() - started);
  options.log?.(`built the workbench UI in ${ms} ms (${(bytes / 1024 / 1024).toFixed(1)} MB)`);
  return { ms, bytes };
}

/** Builds when the bundle is missing or older than a UI source; a read-only image keeps its prebuilt bundle. */
export async function ensureUiBuild(log: (line: string) => void = () => {}): Promise<'fresh' | 'built'> {
  let builtAt = 0;
  try {
    builtAt = (await stat(STAMP)).mtimeMs;
  } catch {
    builtAt = 0;
  }
  if (builtAt > 0 && builtAt >= (await newestSource(UI_DIR))) return 'fresh';
  if (builtAt > 0 && !(await monacoVersion())) return 'fresh'; // production image without dev dependencies
  await buildUi({ log });
  return 'built';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildUi({ log: console.log });
}
