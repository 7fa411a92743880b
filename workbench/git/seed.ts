import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';

/**
 * Seeds a notebook folder (a fresh EFS volume) with the repository's saved notebooks, as the image carries
 * them. Never overwrites: a name that exists is left alone. Each name is seeded once per folder (recorded in
 * `.trailbook-seeded.json`), so a notebook someone deleted on purpose does not come back at the next start.
 */

export const SEED_MARKER = '.trailbook-seeded.json';

export interface SeedResult {
  copied: string[];
  /** A file of that name was already there (kept as it is). */
  existing: string[];
  /** Seeded before and since removed: not brought back. */
  removed: string[];
}

export async function seedNotebooks(from: string, to: string): Promise<SeedResult> {
  await mkdir(to, { recursive: true });
  const sources = (await readdir(from)).filter((name) => name.endsWith('.ipynb')).sort();
  const marker = join(to, SEED_MARKER);
  const seeded = new Set<string>(await readFile(marker, 'utf8').then((text) => JSON.parse(text).seeded as string[], () => []));
  const result: SeedResult = { copied: [], existing: [], removed: [] };
  for (const name of sources) {
    const target = join(to, name);
    if (seeded.has(name)) {
      const present = await readFile(target).then(() => true, () => false);
      if (!present) result.removed.push(name);
      continue;
    }
    try {
      // COPYFILE_EXCL: fails rather than replace a file that appeared meanwhile.
      await copyFile(join(from, name), target, constants.COPYFILE_EXCL);
      result.copied.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      result.existing.push(name);
    }
    seeded.add(name);
  }
  await writeFileAtomic(marker, `${JSON.stringify({ seeded: [...seeded].sort() }, null, 1)}\n`);
  return result;
}

/** One line for the log, counting every file (none is skipped silently). */
export function describeSeed(from: string, result: SeedResult): string {
  return (
    `seeded ${result.copied.length} notebook(s) from ${from}` +
    (result.existing.length ? `; ${result.existing.length} already there, kept as they are (${result.existing.join(', ')})` : '') +
    (result.removed.length ? `; ${result.removed.length} removed since the first seeding, not brought back` : '')
  );
}
