import { fileURLToPath } from 'node:url';

/**
 * The parser worker as one script of plain JavaScript, bundled by esbuild once per process. A worker started on
 * the TypeScript entry (worker-entry.mjs) registers tsx and loads every module through it again: measured
 * ~0.85 CPU-s per worker before it parses anything, against ~0.25 for the bundle, esbuild included (issue #14).
 * Undefined when it cannot be built (esbuild missing from a deployment): callers then use worker-entry.mjs.
 */
let code: Promise<string | undefined> | undefined;

export function parserWorkerCode(): Promise<string | undefined> {
  code ??= (async () => {
    try {
      // Not a literal: bundlers (the Lambda function's esbuild) must leave esbuild out, not try to bundle it.
      const esbuild = 'esbuild';
      const { build } = (await import(esbuild)) as typeof import('esbuild');
      const out = await build({
        entryPoints: [fileURLToPath(new URL('./parse-worker.ts', import.meta.url))],
        bundle: true,
        platform: 'node',
        // Worker scripts given as code run as CommonJS.
        format: 'cjs',
        target: 'node20',
        write: false,
        logLevel: 'silent',
      });
      return out.outputFiles[0].text;
    } catch {
      return undefined;
    }
  })();
  return code;
}
