import { resolve } from 'node:path';
import { z } from 'zod';
import type { EventStore } from './query.ts';

/** Where the project keeps generated and cached data unless told otherwise. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..');
export const DEFAULT_DATA_DIR = resolve(PROJECT_ROOT, '.data/sample');

/** Data-plane settings, read from the environment (documented in the README). */
export const DataConfig = z.object({
  TRAILBOOK_SOURCE: z.enum(['files', 'lookup', 'athena']).default('files'),
  TRAILBOOK_DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
});
export type DataConfig = z.infer<typeof DataConfig>;

export function loadDataConfig(env: NodeJS.ProcessEnv = process.env): DataConfig {
  const parsed = DataConfig.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid Trailbook configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Opens the configured source behind the one query interface. */
export async function openStore(config: DataConfig = loadDataConfig()): Promise<EventStore> {
  switch (config.TRAILBOOK_SOURCE) {
    case 'files': {
      const { openFilesStore } = await import('./stores/files.ts');
      return openFilesStore(config.TRAILBOOK_DATA_DIR);
    }
    default:
      throw new Error(`TRAILBOOK_SOURCE=${config.TRAILBOOK_SOURCE} is not available yet`);
  }
}
