import type { Plugin } from 'esbuild';
import type { PreludeHelp } from './help-data.ts';

/**
 * Build step of the kernel bundle (kernel/bundle.ts): `import help from 'trailbook:prelude-help'` in the
 * kernel becomes the help data read from the prelude's declarations now, with TypeScript, which the
 * kernel itself then never loads. Without TypeScript (a production install) the data is empty and says
 * why; help() still describes values from what they are at run time.
 */

export const PRELUDE_HELP_MODULE = 'trailbook:prelude-help';

export async function buildPreludeHelp(): Promise<PreludeHelp> {
  try {
    const [{ generatePreludeTypes }, { extractPreludeHelp }, ts] = await Promise.all([import('./index.ts'), import('./help-data.ts'), import('typescript')]);
    return extractPreludeHelp(ts.default, await generatePreludeTypes());
  } catch (err) {
    return { globals: {}, unavailable: (err as Error).message.split('\n')[0] };
  }
}

export function preludeHelpPlugin(): Plugin {
  return {
    name: 'trailbook-prelude-help',
    setup(b) {
      b.onResolve({ filter: /^trailbook:prelude-help$/ }, () => ({ path: 'prelude-help', namespace: 'trailbook-prelude-help' }));
      b.onLoad({ filter: /.*/, namespace: 'trailbook-prelude-help' }, async () => ({ contents: `export default ${JSON.stringify(await buildPreludeHelp())};`, loader: 'js' }));
    },
  };
}
