import type { Principal, TrailEvent } from '../cloudtrail/event.ts';
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
 * Values are strings, or codes of a column read as codes (prediction's columns), turned into strings by `texts`.
 */
export class RunTally<V extends string | number = string> {
  private value: V | undefined;
  private run = 0;
  readonly counts = new Map<V, number>();

  add(value: V): void {
    if (value === this.value) this.run++;
    else {
      this.flush();
      this.value = value;
      this.run = 1;
    }
  }

  flush(): Map<V, number> {
    if (this.value !== undefined) this.counts.set(this.value, (this.counts.get(this.value) ?? 0) + this.run);
    this.value = undefined;
    this.run = 0;
    return this.counts;
  }

  /** The counts by text, absent ('') values left out, in the order their first run ended. */
  texts(textOf: (v: V) => string): Map<string, number> {
    const out = new Map<string, number>();
    for (const [v, c] of this.flush()) {
      const text = textOf(v);
      if (text) out.set(text, (out.get(text) ?? 0) + c);
    }
    return out;
  }
}

const asText = (v: string) => v;

/**
 * What a profile counts per event in time order, however the events are held (objects, or prediction's columns):
 * the hour-of-week matrix, active days, sessions, and the action tally by id.
 */
export class ProfileCounts {
  readonly how = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  days = 0;
  sessions = 0;
  readOnly = 0;
  mutating = 0;
  errors = 0;
  denied = 0;
  private lastDay = Number.NaN;
  private lastTime = Number.NaN;
  private added = 0;
  /** Action ids in order of first appearance. */
  private readonly seen: number[] = [];
  private readonly counts: Int32Array;

  constructor(
    private readonly names: readonly string[],
    private readonly gap: number,
  ) {
    if (actionCounts.length < names.length) actionCounts = new Int32Array(Math.max(names.length, 2 * actionCounts.length));
    this.counts = actionCounts;
  }

  /** One event, in time order: its time, action id and readOnly (true, false or unknown). */
  add(time: number, id: number, readOnly: boolean | undefined): void {
    const day = Math.floor(time / 86_400_000);
    // 1970-01-01 was a Thursday (day 4 with Sunday = 0).
    this.how[(((day + 4) % 7) + 7) % 7][Math.floor((time - day * 86_400_000) / 3_600_000)]++;
    // Events are in time order, so a new day is a day not seen before.
    if (day !== this.lastDay) (this.days++, (this.lastDay = day));
    if (this.counts[id]++ === 0) this.seen.push(id);
    if (readOnly === true) this.readOnly++;
    else if (readOnly === false) this.mutating++;
    if (this.added++ === 0 || time - this.lastTime > this.gap) this.sessions++;
    this.lastTime = time;
  }

  /** The profile, from the counts and the run tallies of the same events. */
  finish(
    principal: string,
    who: Pick<Principal, 'type' | 'name'>,
    times: { n: number; first: number; last: number },
    tallies: { regions: Map<string, number>; sourceIps: Map<string, number>; userAgents: Map<string, number> },
    topApis = 10,
  ): ActivityProfile {
    // Actions (and their services) in order of first appearance, as a per-event tally would have met them.
    const actions = new Map<string, number>();
    const services = new Map<string, number>();
    const { counts, names } = this;
    for (const a of this.seen) {
      const c = counts[a];
      counts[a] = 0;
      actions.set(names[a], c);
      const svc = serviceOf(names[a]);
      if (svc) services.set(svc, (services.get(svc) ?? 0) + c);
    }
    const { n, first, last } = times;
    const { readOnly, mutating, errors, sessions } = this;
    return {
      principal,
      type: who.type,
      name: who.name,
      events: n,
      firstSeen: new Date(first).toISOString(),
      lastSeen: new Date(last).toISOString(),
      firstSeenMs: first,
      lastSeenMs: last,
      activeDays: this.days,
      hourOfWeek: this.how,
      services: ranked(services),
      topApis: ranked(actions, topApis),
      regions: ranked(tallies.regions),
      sourceIps: ranked(tallies.sourceIps),
      userAgents: ranked(tallies.userAgents),
      readOnly,
      mutating,
      readRatio: readOnly + mutating === 0 ? 0 : readOnly / (readOnly + mutating),
      errors,
      errorRate: errors / n,
      accessDenied: this.denied,
      sessions,
      meanSessionEvents: n / sessions,
      actions: Object.fromEntries(actions),
    };
  }
}

/** Builds one profile from a principal's events (any order). */
export function profileOf(principal: string, events: TrailEvent[], opts: ProfileOptions = {}): ActivityProfile {
  if (events.length === 0) throw new Error(`no events for principal "${principal}"`);
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i++) if (events[i - 1].time > events[i].time) sorted = false;
  const evs = sorted ? events : [...events].sort((a, b) => a.time - b.time);
  let { ids, names } = (sorted && opts.encoded) || { ids: undefined, names: undefined };
  if (!ids || !names) {
    const own = new ActionIds();
    ids = Int32Array.from(evs, (e) => own.of(e.source, e.name));
    names = own.names;
  }
  const counts = new ProfileCounts(names, opts.sessionGapMs ?? DEFAULT_SESSION_GAP_MS);
  const regions = new RunTally();
  const ips = new RunTally();
  const agents = new RunTally();
  for (let i = 0; i < evs.length; i++) {
    const e = evs[i];
    counts.add(e.time, ids[i], e.readOnly);
    regions.add(e.region);
    ips.add(e.sourceIp);
    agents.add(e.userAgent);
    if (e.errorCode) counts.errors++;
    if (isAccessDenied(e)) counts.denied++;
  }
  const n = evs.length;
  return counts.finish(
    principal,
    evs[n - 1].principal,
    { n, first: evs[0].time, last: evs[n - 1].time },
    { regions: regions.texts(asText), sourceIps: ips.texts(asText), userAgents: agents.texts(asText) },
    opts.topApis,
  );
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
