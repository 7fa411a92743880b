import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { actionOf, type TrailEvent } from '../cloudtrail/event.ts';
import { DEFAULT_SESSION_GAP_MS } from './sessions.ts';
import type { Truth } from './evaluate.ts';

/** truth.json as the sample-data generator writes it (cloudtrail/generator): per persona, a Markov chain. */
const Probabilities = z.record(z.string(), z.number());
export const TruthFile = z.object({
  personas: z.array(
    z.object({
      persona: z.string(),
      principalKey: z.string(),
      start: Probabilities,
      next: z.record(z.string(), Probabilities),
    }),
  ),
});
export type TruthFile = z.infer<typeof TruthFile>;

const END = '<end>';

/**
 * The generator's true next-action law, as observed in CloudTrail: after a gap longer than a session gap the next
 * action is a session start; otherwise it follows P(next | current), with the end-of-session mass spread over session starts. Where two
 * personas share a principal (a stolen key), the persona whose chain knows the current action answers, and
 * ambiguous events are left out rather than guessed.
 */
export function truthFromFile(file: TruthFile, sessionGapMs = DEFAULT_SESSION_GAP_MS): Truth {
  const byKey = new Map<string, TruthFile['personas']>();
  for (const p of file.personas) (byKey.get(p.principalKey) ?? byKey.set(p.principalKey, []).get(p.principalKey)!).push(p);
  const asMap = (r: Record<string, number>) => {
    const m = new Map<string, number>();
    let z = 0;
    for (const [a, p] of Object.entries(r)) if (a !== END && p > 0) (m.set(a, p), (z += p));
    for (const [a, p] of m) m.set(a, p / z);
    return m;
  };
  return {
    next(principal: string, history: TrailEvent[], i: number) {
      const personas = byKey.get(principal);
      if (!personas) return undefined;
      const newSession = i === 0 || history[i].time - history[i - 1].time > sessionGapMs;
      if (newSession) return personas.length === 1 ? asMap(personas[0].start) : undefined;
      const prev = actionOf(history[i - 1]);
      const knowing = personas.filter((p) => p.next[prev]);
      if (knowing.length !== 1) return undefined;
      // A session that ends may be followed within the gap by the next session's first action.
      const { next, start } = knowing[0];
      const row = next[prev];
      const end = row[END] ?? 0;
      const mixed: Record<string, number> = { ...row };
      delete mixed[END];
      for (const [a, p] of Object.entries(start)) mixed[a] = (mixed[a] ?? 0) + end * p;
      return asMap(mixed);
    },
  };
}

/** The truth beside a generated dataset (`<dir>/truth.json`), or undefined for real data. */
export function loadTruth(dir: string, sessionGapMs?: number): Truth | undefined {
  const path = join(dir, 'truth.json');
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = TruthFile.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a generator truth file: ${parsed.error.issues[0]?.message}`);
  return truthFromFile(parsed.data, sessionGapMs);
}
