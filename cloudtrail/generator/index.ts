import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { DEFAULT_DATA_DIR } from '../config.ts';
import { DEFAULTS, generate, type GenerateOptions, type GenerateResult } from './generate.ts';

export { DEFAULTS, deliveryPath, generate, type GenerateOptions, type GenerateResult } from './generate.ts';
export { PERSONAS, type Persona } from './personas.ts';
export { END, transitionProbabilities, type PersonaTruth } from './truth.ts';
export { Rng } from './prng.ts';

/** The name of the truth file the generator writes beside the data (not a CloudTrail file). */
export const TRUTH_FILE = 'truth.json';

/** True when `dir` holds at least one CloudTrail delivery-style file (.json / .json.gz other than truth.json). */
export function hasDeliveryFiles(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) stack.push(join(d, entry.name));
      else if (/\.json(\.gz)?$/.test(entry.name) && !(d === dir && entry.name === TRUTH_FILE)) return true;
    }
  }
  return false;
}

/**
 * The embedded default: generates the default sample dataset into `dir` unless it already holds delivery files.
 * A new directory is generated beside it and renamed into place, so a half-written dataset is never picked up.
 */
export async function ensureSampleData(
  dir: string = DEFAULT_DATA_DIR,
  opts: Omit<GenerateOptions, 'outDir'> = {},
): Promise<{ dir: string; generated: boolean; result?: GenerateResult }> {
  if (hasDeliveryFiles(dir)) return { dir, generated: false };
  const settings = { ...DEFAULTS, ...opts };
  console.log(`Generating sample CloudTrail data (${settings.events} events over ${settings.days} days) into ${dir} ...`);
  if (existsSync(dir)) {
    const result = generate({ ...settings, outDir: dir });
    return { dir, generated: true, result };
  }
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  try {
    const result = generate({ ...settings, outDir: tmp });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process won the race: keep its data.
      if (!hasDeliveryFiles(dir)) throw err;
      return { dir, generated: false };
    }
    return { dir, generated: true, result: { ...result, dir, truthFile: join(dir, TRUTH_FILE) } };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
