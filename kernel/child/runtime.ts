import { createRequire, isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RUNTIME } from './compile.ts';
import { executionContext, InterruptError } from './execution.ts';

/**
 * The object generated cell code calls (`__trailbook.import(...)`, `.check(...)`): module loading
 * relative to the notebook, and the interrupt check at every await.
 */

export function installRuntime(cwd: string) {
  const fromNotebook = createRequire(join(cwd, 'noop.js'));

  async function importModule(specifier: string): Promise<unknown> {
    if (isBuiltin(specifier)) return import(specifier);
    if (/^\.{0,2}\//.test(specifier)) return import(pathToFileURL(fromNotebook.resolve(specifier)).href);
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
      if (executionContext.getStore()?.aborted) throw new InterruptError();
      return value;
    },
    importMeta: { url: pathToFileURL(join(cwd, '<cell>')).href, dirname: cwd, filename: join(cwd, '<cell>') },
  };
  Object.defineProperty(globalThis, RUNTIME, { value: runtime, enumerable: false, configurable: false, writable: false });
}
