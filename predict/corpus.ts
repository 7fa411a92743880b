import { actionOf, type TrailEvent } from '../cloudtrail/event.ts';

/** Interns strings as dense integers so counting works on numbers, not strings. */
export class Vocab {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  constructor(reserved: string[] = []) {
    for (const r of reserved) this.add(r);
  }

  add(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  id(name: string): number | undefined {
    return this.ids.get(name);
  }

  get size(): number {
    return this.names.length;
  }
}

/** Context-only marker for "a new session starts here"; never predicted. */
export const BOS = 0;
/** Stand-in for an action never seen in training; carries only the smoothing floor. */
export const UNK = 1;
export const RESERVED = ['<session-start>', '<unknown>'];

/** One principal's events in time order, reduced to what the sequence model needs. */
export interface Sequence {
  principal: string;
  actions: string[];
  times: number[];
}

/** Groups events by principal key, in ascending (time, id) order. */
export function groupByPrincipal(events: Iterable<TrailEvent>): Map<string, TrailEvent[]> {
  // Whether each list arrived in time order is noted while grouping: a second pass over a million events to check
  // would cost a cache miss per event.
  const groups = new Map<string, { list: TrailEvent[]; last: number; sorted: boolean }>();
  let lastKey: string | undefined;
  let g = { list: [] as TrailEvent[], last: -Infinity, sorted: true };
  for (const e of events) {
    const k = e.principal.key;
    if (k !== lastKey) {
      let found = groups.get(k);
      if (!found) groups.set(k, (found = { list: [], last: -Infinity, sorted: true }));
      g = found;
      lastKey = k;
    }
    if (e.time < g.last) g.sorted = false;
    else g.last = e.time;
    g.list.push(e);
  }
  const by = new Map<string, TrailEvent[]>();
  for (const [k, { list, sorted }] of groups) {
    if (!sorted) list.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    by.set(k, list);
  }
  return by;
}

/**
 * `actionOf`, returning the same string for every occurrence of an action, made once from the (interned) source
 * and name: a million events then make a few hundred strings, not a million, and a map lookup reuses its cached hash.
 */
export function actionInterner(): (e: Pick<TrailEvent, 'source' | 'name'>) => string {
  const bySource = new Map<string, Map<string, string>>();
  return (e) => {
    let names = bySource.get(e.source);
    if (!names) bySource.set(e.source, (names = new Map()));
    let a = names.get(e.name);
    if (a === undefined) names.set(e.name, (a = actionOf(e)));
    return a;
  };
}

export function toSequences(byPrincipal: Map<string, TrailEvent[]>): Sequence[] {
  const action = actionInterner();
  return [...byPrincipal].map(([principal, list]) => ({ principal, actions: list.map(action), times: list.map((e) => e.time) }));
}

/** Service name of an action or event source: `iam.amazonaws.com:GetUser` -> `iam`. */
export const serviceOf = (sourceOrAction: string): string => sourceOrAction.split(':')[0].replace(/\.amazonaws\.com$/, '');

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
export const WEEK = 7 * DAY;
