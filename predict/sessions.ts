import { actionOf, type TrailEvent } from '../cloudtrail/event.ts';
import { groupByPrincipal, MINUTE, serviceOf } from './corpus.ts';

export const DEFAULT_SESSION_GAP_MS = 30 * MINUTE;

/** One burst of a principal's activity: consecutive events with no gap longer than the session gap. */
export interface Session {
  principal: string;
  /** 1-based index of the session within the principal's history. */
  index: number;
  start: string;
  end: string;
  startMs: number;
  endMs: number;
  durationMinutes: number;
  events: number;
  errors: number;
  errorRate: number;
  services: string[];
  distinctActions: number;
  firstAction: string;
  lastAction: string;
}

export interface SessionOptions {
  gapMs?: number;
  principal?: string;
}

/** Splits each principal's time-ordered events wherever the inactivity gap exceeds `gapMs` (default 30 minutes). */
export function splitSessions(events: Iterable<TrailEvent>, opts: SessionOptions = {}): Session[] {
  const gap = opts.gapMs ?? DEFAULT_SESSION_GAP_MS;
  if (!(gap > 0)) throw new Error(`session gap must be a positive number of milliseconds, got ${gap}`);
  const out: Session[] = [];
  for (const [principal, list] of groupByPrincipal(events)) {
    if (opts.principal !== undefined && principal !== opts.principal) continue;
    let from = 0;
    let index = 0;
    for (let i = 1; i <= list.length; i++) {
      if (i < list.length && list[i].time - list[i - 1].time <= gap) continue;
      out.push(summarise(principal, ++index, list.slice(from, i)));
      from = i;
    }
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.principal.localeCompare(b.principal));
}

function summarise(principal: string, index: number, evs: TrailEvent[]): Session {
  const first = evs[0];
  const last = evs[evs.length - 1];
  const errors = evs.filter((e) => e.errorCode).length;
  return {
    principal,
    index,
    start: new Date(first.time).toISOString(),
    end: new Date(last.time).toISOString(),
    startMs: first.time,
    endMs: last.time,
    durationMinutes: Math.round(((last.time - first.time) / MINUTE) * 100) / 100,
    events: evs.length,
    errors,
    errorRate: errors / evs.length,
    services: [...new Set(evs.map((e) => serviceOf(e.source)))].sort(),
    distinctActions: new Set(evs.map(actionOf)).size,
    firstAction: actionOf(first),
    lastAction: actionOf(last),
  };
}
