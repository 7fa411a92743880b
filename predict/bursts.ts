import { actionOf, type TrailEvent } from '../cloudtrail/event.ts';
import { groupByPrincipal } from './corpus.ts';

/**
 * Bursts: a principal's events that share one second of `eventTime`. A console page load, an SDK paginator or a CI
 * step fires several calls at once, and CloudTrail records them to the second, so the order inside a burst is not
 * knowable (sorting breaks the tie by eventID, which is random). A burst is therefore a set of actions; what comes
 * after it is the next burst.
 */
export interface Burst {
  /** Epoch milliseconds of the burst's second. */
  time: number;
  /** Distinct actions (`eventSource:eventName`) in first-seen order. */
  actions: string[];
  /** Events in the burst (at least actions.length). */
  events: number;
}

export const SECOND = 1000;

/** The bursts of one principal's events, given in time order. */
export function burstsOf(events: readonly Pick<TrailEvent, 'time' | 'source' | 'name'>[]): Burst[] {
  const out: Burst[] = [];
  let current: Burst | undefined;
  let second = Number.NaN;
  for (const e of events) {
    const s = Math.floor(e.time / SECOND);
    const a = actionOf(e);
    if (current && s === second) {
      current.events++;
      if (!current.actions.includes(a)) current.actions.push(a);
    } else {
      second = s;
      current = { time: s * SECOND, actions: [a], events: 1 };
      out.push(current);
    }
  }
  return out;
}

/** Every principal's bursts in time order. */
export function burstsByPrincipal(byPrincipal: Map<string, TrailEvent[]>): Map<string, Burst[]> {
  const out = new Map<string, Burst[]>();
  for (const [k, list] of byPrincipal) out.set(k, burstsOf(list));
  return out;
}

/**
 * Statistics that tell real CloudTrail activity from a naive simulation, computed the same way on any event set:
 * the realism test compares the generated sample with vendored real records on these.
 */
export interface ActivityStats {
  events: number;
  principals: number;
  /** Share of a principal's consecutive events that fall in the same second. */
  sameSecondShare: number;
  /** Mean events per burst (same principal, same second). */
  meanBurstEvents: number;
  /** Distinct `eventSource:eventName`. */
  distinctActions: number;
  /** Share of events recorded as read-only (of those that say). */
  readOnlyShare: number;
  /** Share of events with an errorCode. */
  errorShare: number;
  /** Events per principal-hour with any activity. */
  callsPerActiveHour: number;
  /** Share of events per userIdentity.type, largest first. */
  identityTypes: Record<string, number>;
}

export function activityStats(events: Iterable<TrailEvent> | Map<string, TrailEvent[]>): ActivityStats {
  const by = events instanceof Map ? events : groupByPrincipal(events);
  let n = 0;
  let pairs = 0;
  let same = 0;
  let bursts = 0;
  let classified = 0;
  let readOnly = 0;
  let errors = 0;
  let activeHours = 0;
  const actions = new Set<string>();
  const types = new Map<string, number>();
  for (const list of by.values()) {
    let lastHour = Number.NaN;
    const hours = new Set<number>();
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      n++;
      actions.add(actionOf(e));
      types.set(e.principal.type, (types.get(e.principal.type) ?? 0) + 1);
      if (e.readOnly !== undefined) (classified++, e.readOnly && readOnly++);
      if (e.errorCode) errors++;
      const hour = Math.floor(e.time / 3_600_000);
      if (hour !== lastHour) (hours.add(hour), (lastHour = hour));
      if (i > 0) {
        pairs++;
        if (Math.floor(e.time / SECOND) === Math.floor(list[i - 1].time / SECOND)) same++;
        else bursts++;
      } else bursts++;
    }
    activeHours += hours.size;
  }
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  const identityTypes = Object.fromEntries([...types].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t, c]) => [t, r4(c / (n || 1))]));
  return {
    events: n,
    principals: by.size,
    sameSecondShare: r4(same / (pairs || 1)),
    meanBurstEvents: r4(n / (bursts || 1)),
    distinctActions: actions.size,
    readOnlyShare: r4(readOnly / (classified || 1)),
    errorShare: r4(errors / (n || 1)),
    callsPerActiveHour: Math.round((n / (activeHours || 1)) * 10) / 10,
    identityTypes,
  };
}
