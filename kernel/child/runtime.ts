import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { RUNTIME } from './compile.ts';
import { executionContext, InterruptError } from './execution.ts';
import { interruptFlag, isInterrupted } from './interrupt-pipe.ts';
import { sqlCellTag } from '../prelude/sql.ts';

/**
 * The object generated cell code calls (`__trailbook.import(...)`, `.check(...)`): module loading
 * relative to the notebook, and the interrupt check at every await.
 */

export function installRuntime(cwd: string) {
  const fromNotebook = createRequire(join(cwd, 'noop.js'));

  async function importModule(specifier: string): Promise<unknown> {
    if (isBuiltin(specifier)) return import(specifier);
    if (/^\.{0,2}\//.test(specifier)) {
      const file = fromNotebook.resolve(specifier);
      return /\.[cm]?tsx?$/.test(file) ? importTypeScript(file) : import(pathToFileURL(file).href);
    }
    try {
      // The kernel bundle lives under the project's node_modules, so this resolves project packages (ESM conditions).
      return await import(specifier);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
      // Packages installed next to the notebook but not in the project.
      try {
        return await import(pathToFileURL(fromNotebook.resolve(specifier)).href);
      } catch {
        throw err;
      }
    }
  }

  const runtime = {
    import: importModule,
    /** `import { x } from 'cjs-package'`: named exports Node could not detect live on the default export. */
    pick(mod: Record<string, unknown>, name: string): unknown {
      if (name in mod) return mod[name];
      const fallback = mod.default as Record<string, unknown> | undefined;
      if (name !== 'default' && fallback && typeof fallback === 'object' && name in fallback) return fallback[name];
      return undefined;
    },
    check<T>(value: T): T {
      const execution = executionContext.getStore();
      if (execution && (execution.aborted || isInterrupted(execution.exec))) {
        execution.abort();
        throw new InterruptError();
      }
      return value;
    },
    /** Called at the top of every loop body in cell code: one shared-memory read unless an interrupt is pending. */
    tick(): void {
      if (interruptFlag[0] === 0) return;
      const execution = executionContext.getStore();
      if (execution && (execution.aborted || isInterrupted(execution.exec))) {
        execution.abort();
        throw new InterruptError();
      }
    },
    /** `%%sql` cells: the prelude's tag, even when a cell has reused the name `sql` for something else. */
    sql: (strings: TemplateStringsArray, ...values: unknown[]) => sqlCellTag()(strings, ...(values as never[])),
    importMeta: { url: pathToFileURL(join(cwd, '<cell>')).href, dirname: cwd, filename: join(cwd, '<cell>') },
  };
  Object.defineProperty(globalThis, RUNTIME, { value: runtime, enumerable: false, configurable: false, writable: false });
  // CommonJS packages and TypeScript's `import x = require('y')` (which esbuild leaves as a require call).
  Object.defineProperty(globalThis, 'require', { value: fromNotebook, enumerable: false, configurable: true, writable: true });
}

/** Where compiled local TypeScript modules go: beside the kernel bundle, so their package imports resolve from the project. */
const modulesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'modules');

/**
 * `import { f } from './helpers.ts'` next to a notebook: Node cannot load TypeScript, so bundle the
 * file (and its local imports) with esbuild; the content hash in the name makes an edited file load anew.
 */
async function importTypeScript(file: string): Promise<unknown> {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  const name = `${createHash('sha256').update(file).update(code).digest('hex').slice(0, 16)}.mjs`;
  mkdirSync(modulesDir, { recursive: true });
  const out = join(modulesDir, name);
  writeFileSync(out, code);
  return import(pathToFileURL(out).href);
}
