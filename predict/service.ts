import { actionOf } from '../cloudtrail/event.ts';
import { principalMatches } from '../cloudtrail/query.ts';
import { MINUTE, serviceOf } from './corpus.ts';
import type { Engine } from './engine.ts';
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
  predictions: { rank: number; action: string; service: string; p: number }[];
}

export function nextActions(engine: Engine, req: NextActionsRequest): NextActionsResult {
  const k = req.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new Error(`k must be an integer from 1 to 100, got ${req.k}`);
  const key = resolvePrincipal(engine, req.principal) ?? req.principal;
  const model = engine.model;
  const recent = req.recent ?? (engine.events.get(key) ?? []).slice(-model.options.cacheWindow).map(actionOf);
  const gapMs = req.gapMinutes === undefined ? undefined : req.gapMinutes * MINUTE;
  const newSession = recent.length === 0 || (gapMs !== undefined && gapMs > model.options.sessionGapMs);
  const predictions = model.predict(key, k, { recent, gapMs }).map((p, i) => ({ rank: i + 1, action: p.action, service: serviceOf(p.action), p: Math.round(p.p * 1e5) / 1e5 }));
  return { principal: key, known: model.knows(key), newSession, context: recent.slice(-model.options.order), predictions };
}

/** Accepts `iam.amazonaws.com:GetUser` or the short `iam:GetUser`; returns the `eventSource:eventName` form. */
export function normaliseAction(text: string): string {
  const s = text.trim();
  const i = s.lastIndexOf(':');
  if (i <= 0 || i === s.length - 1) throw new Error(`"${text}" is not an action: use eventSource:eventName, e.g. iam.amazonaws.com:GetUser or iam:GetUser`);
  const source = s.slice(0, i);
  return source.includes('.') ? s : `${source}.amazonaws.com:${s.slice(i + 1)}`;
}
