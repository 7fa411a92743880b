import type { TrailEvent } from '../cloudtrail/event.ts';
import { actionInterner, groupByPrincipal, serviceOf } from './corpus.ts';
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

function tally(m: Map<string, number>, k: string): void {
  if (k) m.set(k, (m.get(k) ?? 0) + 1);
}

const ranked = (m: Map<string, number>, top = Infinity): Count[] =>
  [...m]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([value, count]) => ({ value, count }));

export interface ProfileOptions {
  topApis?: number;
  sessionGapMs?: number;
}

/** Builds one profile from a principal's events (any order). */
export function profileOf(principal: string, events: TrailEvent[], opts: ProfileOptions = {}): ActivityProfile {
  if (events.length === 0) throw new Error(`no events for principal "${principal}"`);
  const gap = opts.sessionGapMs ?? DEFAULT_SESSION_GAP_MS;
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i++) if (events[i - 1].time > events[i].time) sorted = false;
  const evs = sorted ? events : [...events].sort((a, b) => a.time - b.time);
  // Per-source lookups: a million events come from a few hundred sources.
  const serviceBySource = new Map<string, string>();
  const actionOfEvent = actionInterner();
  const how = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const services = new Map<string, number>();
  const actions = new Map<string, number>();
  const regions = new Map<string, number>();
  const ips = new Map<string, number>();
  const agents = new Map<string, number>();
  const days = new Set<number>();
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
    days.add(day);
    let svc = serviceBySource.get(e.source);
    if (svc === undefined) serviceBySource.set(e.source, (svc = serviceOf(e.source)));
    tally(services, svc);
    tally(actions, actionOfEvent(e));
    tally(regions, e.region);
    tally(ips, e.sourceIp);
    tally(agents, e.userAgent);
    if (e.readOnly === true) readOnly++;
    else if (e.readOnly === false) mutating++;
    if (e.errorCode) errors++;
    if (isAccessDenied(e)) denied++;
    if (i === 0 || e.time - evs[i - 1].time > gap) sessions++;
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
    activeDays: days.size,
    hourOfWeek: how,
    services: ranked(services),
    topApis: ranked(actions, opts.topApis ?? 10),
    regions: ranked(regions),
    sourceIps: ranked(ips),
    userAgents: ranked(agents),
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
