/**
 * Content-hashed asset URLs the browser loads after the shell (workers, Monaco's stylesheet): the shell
 * page carries them in one meta tag, written by workbench/pages.ts from the build manifest. No imports:
 * both the server and the UI bundle use it.
 */

export const ASSETS_META = 'trailbook-assets';

export interface LateAssets {
  'editor.worker.js'?: string;
  'ts.worker.js'?: string;
  'monaco.css'?: string;
  /** Monaco's chunk and every chunk it imports, preloaded in parallel when the editor loads. */
  'monaco.js'?: string[];
}

/** The URLs from the shell's meta tag; unhashed defaults when the page has none (an old shell, a test page). */
export function lateAssets(): Required<LateAssets> {
  let given: LateAssets = {};
  try {
    given = JSON.parse(document.querySelector(`meta[name="${ASSETS_META}"]`)?.getAttribute('content') ?? '{}') as LateAssets;
  } catch {
    // a malformed tag: fall back to the defaults below
  }
  return {
    'editor.worker.js': given['editor.worker.js'] ?? '/build/editor.worker.js',
    'ts.worker.js': given['ts.worker.js'] ?? '/build/ts.worker.js',
    'monaco.css': given['monaco.css'] ?? '/build/app.css',
    'monaco.js': given['monaco.js'] ?? [],
  };
}
