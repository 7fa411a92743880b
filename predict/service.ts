import { actionOf } from '../cloudtrail/event.ts';
import { principalMatches } from '../cloudtrail/query.ts';
import { burstContext, type BurstContext } from './burst-model.ts';
import { MINUTE, serviceOf } from './corpus.ts';
import type { Engine } from './engine.ts';
import { BLEND_CANDIDATES, blendedTopIds } from './next-event.ts';
import type { ActivityProfile } from './profile.ts';

/** Questions the MCP tools and the kernel helpers both ask of a trained engine. */

/** The principal key for a name, ARN, session, person or access key id; undefined when nobody matches. */
export function resolvePrincipal(engine: Engine, who: string): string | undefined {
  if (engine.profiles.has(who)) return who;
  for (const [key, list] of engine.events) if (list.some((e) => principalMatches(e, who))) return key;
  return undefined;
}

export function requireProfile(engine: Engine, who: string): ActivityProfile {
  const key = resolvePrincipal(engine, who);
  if (key === undefined) {
    const known = [...engine.profiles.keys()].slice(0, 10);
    throw new Error(`unknown principal "${who}"; known principals include: ${known.join(', ') || '(none: no events)'}`);
  }
  return engine.profiles.get(key)!;
}

export interface NextActionsRequest {
  principal: string;
  k?: number;
  /** Recent actions, oldest first (`eventSource:eventName`); default: the principal's latest actions. */
  recent?: string[];
  /** Minutes since the last action; beyond the session gap the prediction is for a new session. */
  gapMinutes?: number;
}

export interface NextActionsResult {
  principal: string;
  /** Whether the model has history for this principal (otherwise it backs off to peers and the account). */
  known: boolean;
  newSession: boolean;
  context: string[];
  /** Next action: a distribution over actions (the probabilities of all actions sum to 1). */
  predictions: RankedAction[];
  /** The next burst (the calls of the principal's next second of activity), when a burst model was trained. */
  nextBurst?: NextBurst;
}

export interface RankedAction {
  rank: number;
  action: string;
  service: string;
  p: number;
}

export interface NextBurst {
  /** The latest burst the prediction continues from, and its learned shape (when it has one). */
  latest: { actions: string[]; shape?: string };
  /** Most likely shapes of the next burst, with probabilities and their core actions. */
  shapes: { shape: string; p: number; actions: string[] }[];
  /** Actions with the probability that each occurs in the next burst (independent events: they need not sum to 1). */
  actions: RankedAction[];
  /** Expected number of distinct actions in the next burst. */
  expectedActions: number;
}

export function nextActions(engine: Engine, req: NextActionsRequest): NextActionsResult {
  const k = req.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new Error(`k must be an integer from 1 to 100, got ${req.k}`);
  const key = resolvePrincipal(engine, req.principal) ?? req.principal;
  const model = engine.model;
  const history = engine.events.get(key) ?? [];
  const recent = req.recent ?? history.slice(-model.options.cacheWindow).map(actionOf);
  const gapMs = req.gapMinutes === undefined ? undefined : req.gapMinutes * MINUTE;
  const newSession = recent.length === 0 || (gapMs !== undefined && gapMs > model.options.sessionGapMs);
  const bursts = engine.bursts;
  // Given actions carry no times: each counts as a burst of its own. Recorded history is cut into its real bursts.
  const context: BurstContext = req.recent
    ? { bursts: req.recent.slice(-(bursts?.options.window ?? 1)).map((a) => [a]), newSession }
    : { ...burstContext(history, bursts?.options.window ?? 1), newSession };
  const ranked = (xs: { action: string; p: number }[]) => xs.map((p, i) => ({ rank: i + 1, action: p.action, service: serviceOf(p.action), p: round(p.p) }));
  const hist = model.encodeContext({ recent, gapMs });
  // One burst prediction serves both levels: its top actions feed the next-action blend and the next burst.
  const b = bursts?.predict(key, context, Math.max(k, BLEND_CANDIDATES));
  const predictions = ranked(blendedTopIds(model, b?.actions, key, hist, k).map(({ id, p }) => ({ action: model.nameOf(id), p })));
  const result: NextActionsResult = { principal: key, known: model.knows(key), newSession, context: recent.slice(-model.options.order), predictions };
  if (b) {
    result.nextBurst = {
      latest: { actions: context.bursts[context.bursts.length - 1] ?? [], ...(b.current ? { shape: b.current.name } : {}) },
      shapes: b.shapes.map(({ shape, p }) => ({ shape: shape.name, p: round(p), actions: coreActions(shape.actions) })),
      actions: ranked(b.actions.slice(0, k)),
      expectedActions: Math.round(b.expectedActions * 100) / 100,
    };
  }
  return result;
}

const round = (p: number) => Math.round(p * 1e5) / 1e5;

/** A shape's core: the actions in at least half of its bursts. */
const coreActions = (actions: { action: string; share: number }[]) => actions.filter((a) => a.share >= 0.5).map((a) => a.action);

/** Accepts `iam.amazonaws.com:GetUser` or the short `iam:GetUser`; returns the `eventSource:eventName` form. */
export function normaliseAction(text: string): string {
  const s = text.trim();
  const i = s.lastIndexOf(':');
  if (i <= 0 || i === s.length - 1) throw new Error(`"${text}" is not an action: use eventSource:eventName, e.g. iam.amazonaws.com:GetUser or iam:GetUser`);
  const source = s.slice(0, i);
  return source.includes('.') ? s : `${source}.amazonaws.com:${s.slice(i + 1)}`;
}
