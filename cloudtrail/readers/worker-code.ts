import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The parser worker as one script of plain JavaScript, bundled by esbuild. A worker started on the TypeScript entry
 * (worker-entry.mjs) registers tsx and loads every module through it again: measured ~0.85 CPU-s per worker before
 * it parses anything, against ~0.25 for the bundle, esbuild included (issue #14).
 *
 * The bundle is kept under the cache directory, so a load does not wait for esbuild (~0.3 s when zod was in it,
 * ~0.1 s since): its first line records every input esbuild read (its metafile) with a hash of each one's contents
 * and a hash of the code below it. A cached bundle is used only when every input still hashes the same and the code
 * is whole; anything else (a changed, added or removed import, a damaged or cut file) builds it again and rewrites it.
 * Contents, not sizes and mtimes: hashing the ~16 inputs (~150 KB) costs about a millisecond, and an edit that keeps
 * the size within the file system's mtime tick, or a copy that keeps mtimes (tar, rsync -t), cannot serve stale code.
 *
 * Undefined when there is neither a valid cached bundle nor esbuild (a deployment without it): callers then use
 * worker-entry.mjs.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./parse-worker.ts', import.meta.url));
/** What the build is given besides the inputs: a change here must not be answered by an older build. */
const OPTIONS = { bundle: true, platform: 'node', format: 'cjs', target: 'node20' } as const;
const HEADER = '// trailbook parser worker ';

interface Header {
  /** Hash of OPTIONS. */
  options: string;
  /** Each input as esbuild named it (relative to the root) and the sha256 of its contents. */
  inputs: [path: string, sha256: string][];
  /** sha256 of the code after the header line. */
  code: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const OPTIONS_HASH = sha256(JSON.stringify(OPTIONS));

/** The cached bundle's file for this checkout (two checkouts sharing a cache directory do not overwrite each other). */
export const cachedBundlePath = (cacheRoot: string): string => join(cacheRoot, 'parser-worker', `${sha256(ENTRY).slice(0, 16)}.cjs`);

const built = new Map<string, Promise<string | undefined>>();

/**
 * The worker's code, from `cacheRoot`'s cached bundle when it is current, else built (and cached there when
 * `cacheRoot` is given). Once per process and cache directory.
 */
export function parserWorkerCode(cacheRoot?: string): Promise<string | undefined> {
  const key = cacheRoot ?? '';
  let code = built.get(key);
  if (!code) built.set(key, (code = (cacheRoot === undefined ? build(ENTRY, ROOT) : cachedBundle(ENTRY, ROOT, cachedBundlePath(cacheRoot))).then((b) => b?.code)));
  return code;
}

/**
 * The bundle of `entry` (a module under `root`) from the file `path` when it is current, else built and written
 * there (`built` says which). Undefined when neither can be had.
 */
export async function cachedBundle(entry: string, root: string, path: string): Promise<{ code: string; built: boolean } | undefined> {
  const cached = await readCached(root, path);
  if (cached !== undefined) return { code: cached, built: false };
  const fresh = await build(entry, root);
  if (!fresh) return undefined;
  // A failed write (read-only cache) only costs the next process a build.
  await writeCached(path, fresh).catch(() => undefined);
  return { code: fresh.code, built: true };
}

/** The cached code when every input and the code itself hash as recorded; undefined otherwise (missing, stale, damaged). */
async function readCached(root: string, path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const eol = text.indexOf('\n');
  if (!text.startsWith(HEADER) || eol < 0) return undefined;
  let header: Header;
  try {
    header = JSON.parse(text.slice(HEADER.length, eol)) as Header;
    if (header.options !== OPTIONS_HASH || !Array.isArray(header.inputs) || !header.inputs.length) return undefined;
  } catch {
    return undefined;
  }
  const code = text.slice(eol + 1);
  if (sha256(code) !== header.code) return undefined;
  const current = await Promise.all(header.inputs.map(([input]) => readFile(resolve(root, input)).then(sha256, () => undefined)));
  return current.every((hash, i) => hash === header.inputs[i][1]) ? code : undefined;
}

async function writeCached(path: string, { code, inputs }: Built): Promise<void> {
  const header: Header = { options: OPTIONS_HASH, inputs, code: sha256(code) };
  await mkdir(join(path, '..'), { recursive: true });
  // Written whole under another name, then renamed: a reader never sees half a bundle.
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, `${HEADER}${JSON.stringify(header)}\n${code}`);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

interface Built {
  code: string;
  /** Each input (relative to the root) with the hash of the very contents bundled. */
  inputs: [path: string, sha256: string][];
}

const LOADERS: Record<string, 'ts' | 'json' | 'js'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.json': 'json' };

/** A fresh bundle; undefined without esbuild. */
async function build(entry: string, root: string): Promise<Built | undefined> {
  try {
    // Not a literal: bundlers (the Lambda function's esbuild) must leave esbuild out, not try to bundle it.
    const esbuild = 'esbuild';
    const { build } = (await import(esbuild)) as typeof import('esbuild');
    const hashes = new Map<string, string>();
    const out = await build({
      ...OPTIONS,
      entryPoints: [entry],
      absWorkingDir: root,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          // Every file read here and hashed as read: a file edited during the build cannot be recorded with the
          // hash of contents other than those bundled.
          name: 'hash-inputs',
          setup(b) {
            b.onLoad({ filter: /.*/ }, async ({ path }) => {
              const contents = await readFile(path);
              hashes.set(path, sha256(contents));
              return { contents, loader: LOADERS[extname(path)] ?? 'js' };
            });
          },
        },
      ],
    });
    const inputs = Object.keys(out.metafile.inputs).map((input): [string, string] => {
      const hash = hashes.get(resolve(root, input));
      if (!hash) throw new Error(`esbuild read ${input} without the hash-inputs plugin`);
      return [input, hash];
    });
    return { code: out.outputFiles[0].text, inputs };
  } catch {
    return undefined;
  }
}
