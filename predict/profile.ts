import type { TrailEvent } from '../cloudtrail/event.ts';
import { groupByPrincipal, serviceOf } from './corpus.ts';
import { ActionIds } from './encoded.ts';
import { DEFAULT_SESSION_GAP_MS } from './sessions.ts';

export const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface Count {
  value: string;
  count: number;
}

/** What a principal usually does, where from and when. Times are UTC. */
export interface ActivityProfile {
  principal: string;
  type: string;
  name: string;
  events: number;
  firstSeen: string;
  lastSeen: string;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Distinct UTC calendar days with activity. */
  activeDays: number;
  /** hourOfWeek[day][hour]: event counts, day 0 = Sunday (UTC). */
  hourOfWeek: number[][];
  services: Count[];
  topApis: Count[];
  regions: Count[];
  sourceIps: Count[];
  userAgents: Count[];
  readOnly: number;
  mutating: number;
  /** Share of classified calls that were read-only (NaN-free: 0 when none are classified). */
  readRatio: number;
  errors: number;
  errorRate: number;
  accessDenied: number;
  sessions: number;
  meanSessionEvents: number;
  /** Every action with its count (for peer similarity and forecasting). */
  actions: Record<string, number>;
}

const ACCESS_DENIED = /AccessDenied|Unauthorized|Forbidden/i;
export const isAccessDenied = (e: Pick<TrailEvent, 'errorCode'>): boolean => !!e.errorCode && ACCESS_DENIED.test(e.errorCode);

const ranked = (m: Map<string, number>, top = Infinity): Count[] =>
  [...m]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([value, count]) => ({ value, count }));

export interface ProfileOptions {
  topApis?: number;
  sessionGapMs?: number;
  /** The events' action ids (index into `names`), when already encoded in the given order (the engine's). */
  encoded?: { ids: ArrayLike<number>; names: readonly string[] };
}

/** Counts per action id, zeroed again after each profile (shared: a profile touches few of the ids). */
let actionCounts = new Int32Array(0);

/**
 * A tally of consecutive equal values: events in time order mostly repeat the previous event's region, address and
 * agent, so one map update per run instead of one per event (runs reach the map in first-seen order, as before).
 */
class RunTally {
  private value = '';
  private run = 0;
  constructor(readonly counts = new Map<string, number>()) {}

  add(value: string): void {
    if (value === this.value) this.run++;
    else {
      this.flush();
      this.value = value;
      this.run = 1;
    }
  }

  flush(): Map<string, number> {
    if (this.value) this.counts.set(this.value, (this.counts.get(this.value) ?? 0) + this.run);
    this.value = '';
    this.run = 0;
    return this.counts;
  }
}

/** Builds one profile from a principal's events (any order). */
export function profileOf(principal: string, events: TrailEvent[], opts: ProfileOptions = {}): ActivityProfile {
  if (events.length === 0) throw new Error(`no events for principal "${principal}"`);
  const gap = opts.sessionGapMs ?? DEFAULT_SESSION_GAP_MS;
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i++) if (events[i - 1].time > events[i].time) sorted = false;
  const evs = sorted ? events : [...events].sort((a, b) => a.time - b.time);
  let { ids, names } = (sorted && opts.encoded) || { ids: undefined, names: undefined };
  if (!ids || !names) {
    const own = new ActionIds();
    ids = Int32Array.from(evs, (e) => own.of(e.source, e.name));
    names = own.names;
  }
  if (actionCounts.length < names.length) actionCounts = new Int32Array(Math.max(names.length, 2 * actionCounts.length));
  const counts = actionCounts;
  /** Action ids in order of first appearance. */
  const seen: number[] = [];
  const how = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const regions = new RunTally();
  const ips = new RunTally();
  const agents = new RunTally();
  let days = 0;
  let lastDay = Number.NaN;
  let readOnly = 0;
  let mutating = 0;
  let errors = 0;
  let denied = 0;
  let sessions = 0;
  for (let i = 0; i < evs.length; i++) {
    const e = evs[i];
    const day = Math.floor(e.time / 86_400_000);
    // 1970-01-01 was a Thursday (day 4 with Sunday = 0).
    how[(((day + 4) % 7) + 7) % 7][Math.floor((e.time - day * 86_400_000) / 3_600_000)]++;
    // Events are in time order, so a new day is a day not seen before.
    if (day !== lastDay) (days++, (lastDay = day));
    if (counts[ids[i]]++ === 0) seen.push(ids[i]);
    regions.add(e.region);
    ips.add(e.sourceIp);
    agents.add(e.userAgent);
    if (e.readOnly === true) readOnly++;
    else if (e.readOnly === false) mutating++;
    if (e.errorCode) errors++;
    if (isAccessDenied(e)) denied++;
    if (i === 0 || e.time - evs[i - 1].time > gap) sessions++;
  }
  // Actions (and their services) in order of first appearance, as a per-event tally would have met them.
  const actions = new Map<string, number>();
  const services = new Map<string, number>();
  for (const a of seen) {
    const c = counts[a];
    counts[a] = 0;
    actions.set(names[a], c);
    const svc = serviceOf(names[a]);
    if (svc) services.set(svc, (services.get(svc) ?? 0) + c);
  }
  const p = evs[evs.length - 1].principal;
  return {
    principal,
    type: p.type,
    name: p.name,
    events: evs.length,
    firstSeen: new Date(evs[0].time).toISOString(),
    lastSeen: new Date(evs[evs.length - 1].time).toISOString(),
    firstSeenMs: evs[0].time,
    lastSeenMs: evs[evs.length - 1].time,
    activeDays: days,
    hourOfWeek: how,
    services: ranked(services),
    topApis: ranked(actions, opts.topApis ?? 10),
    regions: ranked(regions.flush()),
    sourceIps: ranked(ips.flush()),
    userAgents: ranked(agents.flush()),
    readOnly,
    mutating,
    readRatio: readOnly + mutating === 0 ? 0 : readOnly / (readOnly + mutating),
    errors,
    errorRate: errors / evs.length,
    accessDenied: denied,
    sessions,
    meanSessionEvents: evs.length / sessions,
    actions: Object.fromEntries(actions),
  };
}

/** Profiles of every principal, most active first. */
export function buildProfiles(events: Iterable<TrailEvent>, opts: ProfileOptions = {}): ActivityProfile[] {
  return [...groupByPrincipal(events)].map(([k, list]) => profileOf(k, list, opts)).sort((a, b) => b.events - a.events || a.principal.localeCompare(b.principal));
}

/** Flat rows of the hour-of-week matrix: one row per (day, hour), good for tables and heatmaps. */
export function hourOfWeekRows(profile: Pick<ActivityProfile, 'principal' | 'hourOfWeek'>): { principal: string; day: string; dayIndex: number; hour: number; events: number }[] {
  const rows = [];
  for (let d = 0; d < 7; d++) for (let h = 0; h < 24; h++) rows.push({ principal: profile.principal, day: DAYS[d], dayIndex: d, hour: h, events: profile.hourOfWeek[d][h] });
  return rows;
}
