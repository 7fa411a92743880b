import { resolveAction } from './catalog.ts';
import { PERSONAS, type Persona } from './personas.ts';

/** The symbol truth uses for "the session ends here". */
export const END = '<end>';

export interface PersonaTruth {
  persona: string;
  description: string;
  /** Principal.key of this persona's events (two personas may share one: the compromised key). */
  principalKey: string;
  /** Calls made under another identity before the chain starts (not part of the chain). */
  preamble: string[];
  /** P(first action of a session). */
  start: Record<string, number>;
  /** P(next action | current action), actions as `eventSource:eventName`; `<end>` ends the session. */
  next: Record<string, Record<string, number>>;
}

const full = (short: string): string => {
  if (short === 'END') return END;
  const a = resolveAction(short);
  return `${a.source}:${a.name}`;
};

function normalised(weights: Record<string, number>): Record<string, number> {
  const total = Object.values(weights).reduce((s, w) => s + w, 0);
  const out: Record<string, number> = {};
  for (const [k, w] of Object.entries(weights)) out[full(k)] = w / total;
  return out;
}

/** The generator's true transition probabilities per persona, exactly as it samples them. */
export function transitionProbabilities(personas: Persona[] = PERSONAS): PersonaTruth[] {
  return personas.map((p) => ({
    persona: p.id,
    description: p.description,
    principalKey: p.principalKey,
    preamble: (p.preamble ?? []).map(full),
    start: normalised(p.chain.start),
    next: Object.fromEntries(Object.entries(p.chain.next).map(([from, to]) => [full(from), normalised(to)])),
  }));
}

/** Checks every chain is closed (each reachable action has outgoing weights) so sampling never dead-ends. */
export function validateChains(personas: Persona[] = PERSONAS): void {
  for (const p of personas) {
    const targets = [...Object.keys(p.chain.start), ...Object.values(p.chain.next).flatMap((n) => Object.keys(n))];
    for (const t of targets) {
      if (t !== 'END' && !p.chain.next[t]) throw new Error(`persona ${p.id}: action ${t} has no outgoing transitions`);
      if (t !== 'END') resolveAction(t);
    }
  }
}
