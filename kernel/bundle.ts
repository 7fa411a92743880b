import type { Plugin } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The kernel child runs plain `node` on a bundle of kernel/child/main.ts (no tsx in the child: it
 * would cost most of the cold start budget). The bundle is cached under
 * node_modules/.cache/trailbook and rebuilt when any bundled source changes. npm packages stay
 * external (resolved from the project's node_modules at run time); dynamic imports become chunks,
 * so heavy prelude parts load only when used.
 */

export const PROJECT_ROOT = resolve(import.meta.dirname, '..');
const ENTRY = join(PROJECT_ROOT, 'kernel/child/main.ts');
export const DEFAULT_CACHE_DIR = join(PROJECT_ROOT, 'node_modules/.cache/trailbook');

interface Manifest {
  entry: string;
  /** Project files bundled, with size and mtime, to tell when a rebuild is due. */
  inputs: Record<string, string>;
  /** Project files imported but missing at build time (e.g. another part still being written). */
  missing: string[];
}

const fingerprint = (file: string) => {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
};

function upToDate(cacheDir: string, m: Manifest): boolean {
  if (!existsSync(join(cacheDir, m.entry))) return false;
  for (const [file, fp] of Object.entries(m.inputs)) if (fingerprint(join(PROJECT_ROOT, file)) !== fp) return false;
  return m.missing.every((file) => !existsSync(join(PROJECT_ROOT, file)));
}

/**
 * Project sources use `import.meta.dirname` to find the project root; in a bundle that would be
 * the cache directory, so bake in each file's real directory.
 */
function projectFiles(missing: Set<string>): Plugin {
  return {
    name: 'trailbook-project-files',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        const path = resolve(args.resolveDir, args.path);
        if (existsSync(path) || !/\.(ts|js|mjs|json)$/.test(path)) return undefined;
        missing.add(relative(PROJECT_ROOT, path));
        return { path, namespace: 'trailbook-missing' };
      });
      b.onLoad({ filter: /.*/, namespace: 'trailbook-missing' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${relative(PROJECT_ROOT, args.path)} is not available in this build of Trailbook`)});`,
        loader: 'js',
      }));
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const source = readFileSync(args.path, 'utf8');
        const dir = JSON.stringify(dirname(args.path));
        const contents = source.replace(/\bimport\.meta\.dirname\b/g, dir).replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Builds in progress, per cache directory, so concurrent kernel starts share one build. */
const building = new Map<string, Promise<string>>();

/** Path of an up-to-date kernel bundle, building it if needed. Safe against concurrent builders (atomic rename). */
export async function kernelBundle(cacheDir = DEFAULT_CACHE_DIR, entry = ENTRY): Promise<string> {
  const manifestPath = join(cacheDir, 'kernel.json');
  let previous: string | undefined;
  try {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (upToDate(cacheDir, m)) return join(cacheDir, m.entry);
    if (existsSync(join(cacheDir, m.entry))) previous = join(cacheDir, m.entry);
  } catch {
    // no manifest yet, or unreadable: build
  }
  let build = building.get(cacheDir);
  if (!build) {
    build = buildBundle(cacheDir, manifestPath, entry).finally(() => building.delete(cacheDir));
    building.set(cacheDir, build);
  }
  try {
    return await build;
  } catch (err) {
    // A source caught mid-edit should not stop kernels from starting: keep using the last good build.
    if (!previous) throw new Error(`cannot build the kernel: ${(err as Error).message}`);
    process.stderr.write(`trailbook: kernel rebuild failed, using the previous build: ${(err as Error).message.split('\n')[0]}\n`);
    return previous;
  }
}

async function buildBundle(cacheDir: string, manifestPath: string, entry: string): Promise<string> {
  const outName = `kernel-${process.pid}-${Date.now().toString(36)}`;
  const outdir = join(cacheDir, outName);
  mkdirSync(outdir, { recursive: true });
  const missing = new Set<string>();
  // Loaded here, not at the top: most starts find the bundle current and never need esbuild (the Jupyter kernel's launch budget).
  const [{ build }, { preludeHelpPlugin }] = await Promise.all([import('esbuild'), import('./prelude/help-plugin.ts')]);
  const result = await build({
    entryPoints: { main: entry },
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir,
    outExtension: { '.js': '.mjs' },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    // The help cards' data, read from the prelude's declarations at build time (only when the entry imports it).
    plugins: [projectFiles(missing), preludeHelpPlugin()],
  });
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.startsWith('trailbook-missing:') || input.startsWith('trailbook-prelude-help:') || input.includes('node_modules/')) continue;
    const abs = resolve(PROJECT_ROOT, input);
    inputs[relative(PROJECT_ROOT, abs)] = fingerprint(abs);
  }
  const manifest: Manifest = { entry: `${outName}/main.mjs`, inputs, missing: [...missing] };
  const tmp = `${manifestPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 1));
  renameSync(tmp, manifestPath);
  removeOldBuilds(cacheDir, outName);
  return join(outdir, 'main.mjs');
}

/**
 * Old builds pile up while sources are being edited. A kernel still running an old build loads
 * lazy chunks from its directory, so only builds older than a day are removed.
 */
function removeOldBuilds(cacheDir: string, keep: string) {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(cacheDir)) {
    if (!name.startsWith('kernel-') || name === keep) continue;
    try {
      if (statSync(join(cacheDir, name)).mtimeMs < dayAgo) rmSync(join(cacheDir, name), { recursive: true, force: true });
    } catch {
      // removed concurrently
    }
  }
}
