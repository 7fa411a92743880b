import { lateAssets } from './assets.ts';

/**
 * The editor, loaded on demand: the notebook paints its cells as plain text first, then calls
 * loadMonaco(), which fetches Monaco's code (a separate chunk) and its stylesheet together. The
 * TypeScript worker starts later still, once the page is idle (see monaco-editor.ts).
 */

export type MonacoApi = typeof import('./monaco-editor.ts');

let loading: Promise<MonacoApi> | undefined;

function loadStylesheet(href: string): Promise<void> {
  if (document.querySelector(`link[rel="stylesheet"][href="${CSS.escape(href)}"]`)) return Promise.resolve();
  return new Promise((resolve) => {
    const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href });
    // An editor without its stylesheet is unusable, but a failed load should not block editing either.
    link.addEventListener('load', () => resolve(), { once: true });
    link.addEventListener('error', () => resolve(), { once: true });
    document.head.append(link);
  });
}

export function loadMonaco(): Promise<MonacoApi> {
  loading ??= start();
  return loading;
}

function start(): Promise<MonacoApi> {
  const assets = lateAssets();
  for (const href of assets['monaco.js']) document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', href }));
  const loaded = Promise.all([import('./monaco-editor.ts'), loadStylesheet(assets['monaco.css'])]).then(([api]) => api);
  loaded.catch(() => (loading = undefined)); // a network error: the next call retries
  return loaded;
}
