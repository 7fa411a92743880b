import { chmod, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The per-user state directory: the generated share secret and the share-link registry live here,
 * outside the notebooks directory, so they are never committed with notebooks, never served and never
 * copied along with a notebooks folder. `TRAILBOOK_STATE_DIR`, else `$XDG_STATE_HOME/trailbook`, else
 * `~/.local/state/trailbook` (the XDG default).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TRAILBOOK_STATE_DIR) return resolve(env.TRAILBOOK_STATE_DIR);
  if (env.XDG_STATE_HOME) return join(resolve(env.XDG_STATE_HOME), 'trailbook');
  return join(homedir(), '.local', 'state', 'trailbook');
}

/** Creates the state directory readable by its owner only (0700), tightening one that already exists. */
export async function ensureStateDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return dir;
}
