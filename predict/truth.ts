import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Shape } from './shapes.ts';

/**
 * truth.json as the sample-data generator writes it (cloudtrail/generator/truth.ts): the burst templates it fires
 * (each action with the probability that a burst of the template contains it) and its teams. Evaluation uses it to
 * say how many of the generator's burst kinds the model found on its own.
 */
export const TruthFile = z.object({
  teams: z.array(z.object({ team: z.string(), role: z.string(), members: z.array(z.string()) })),
  templates: z.array(z.object({ name: z.string(), via: z.string(), actions: z.record(z.string(), z.number()) })),
});
export type Truth = z.infer<typeof TruthFile>;

/** How the learned burst shapes compare with the generator's templates. */
export interface ShapeTruth {
  templates: number;
  /** Templates whose best-matching learned shape is at least this similar. */
  threshold: number;
  /** Templates some learned shape matches (similarity >= threshold). */
  recovered: number;
  /** The most frequent learned shapes, each with the template it resembles most. */
  shapes: { shape: string; bursts: number; template: string; similarity: number }[];
}

/** Weighted Jaccard of two action -> share maps: sum of minima over sum of maxima. */
export function similarity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let min = 0;
  let max = 0;
  for (const [k, x] of a) {
    const y = b.get(k) ?? 0;
    min += Math.min(x, y);
    max += Math.max(x, y);
  }
  for (const [k, y] of b) if (!a.has(k)) max += y;
  return max === 0 ? 0 : min / max;
}

export function compareShapes(shapes: readonly Shape[], truth: Truth, threshold = 0.5, top = 15): ShapeTruth {
  const templates = truth.templates.map((t) => ({ name: t.name, actions: new Map(Object.entries(t.actions)) }));
  const best = new Map<string, number>();
  const matched = shapes.map((s) => {
    const mine = new Map(s.actions.map((a) => [a.action, a.share]));
    let template = '';
    let sim = 0;
    for (const t of templates) {
      const x = similarity(mine, t.actions);
      if (x > sim) (sim = x), (template = t.name);
      if (x > (best.get(t.name) ?? 0)) best.set(t.name, x);
    }
    return { shape: s.name, bursts: s.bursts, template, similarity: Math.round(sim * 1000) / 1000 };
  });
  return {
    templates: templates.length,
    threshold,
    recovered: [...best.values()].filter((x) => x >= threshold).length,
    shapes: matched.sort((a, b) => b.bursts - a.bursts || (a.shape < b.shape ? -1 : 1)).slice(0, top),
  };
}

/** The truth beside a generated dataset (`<dir>/truth.json`), or undefined for real data. */
export function loadTruth(dir: string): Truth | undefined {
  const path = join(dir, 'truth.json');
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = TruthFile.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a generator truth file (regenerate it with trailbook sample-data): ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
