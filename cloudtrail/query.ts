import { z } from 'zod';
import type { TrailEvent } from './event.ts';
import type { SkippedInput } from './skipped.ts';

/** Filters every source understands. Times are epoch milliseconds, inclusive start, exclusive end. */
export const EventQuery = z.object({
  start: z.number().optional(),
  end: z.number().optional(),
  /** Matches the principal's key, name, session, human name, ARN or access key id. */
  principal: z.string().optional(),
  eventName: z.string().optional(),
  eventSource: z.string().optional(),
  readOnly: z.boolean().optional(),
  errorsOnly: z.boolean().optional(),
  limit: z.number().int().positive().max(100_000).default(1000),
  /** Opaque cursor from a previous page. */
  cursor: z.string().optional(),
  /** Time order of results; AWS consoles show newest first, analysis wants oldest first. */
  order: z.enum(['asc', 'desc']).default('asc'),
});
export type EventQuery = z.input<typeof EventQuery>;
export type ResolvedEventQuery = z.output<typeof EventQuery>;
export type EventFilter = Omit<EventQuery, 'limit' | 'cursor' | 'order'>;

export interface EventPage {
  events: TrailEvent[];
  nextCursor?: string;
}

export const EventNamesQuery = z.object({
  start: z.number().optional(),
  end: z.number().optional(),
  principal: z.string().optional(),
  eventSource: z.string().optional(),
  top: z.number().int().positive().optional(),
});
export type EventNamesQuery = z.input<typeof EventNamesQuery>;

export interface EventNameCount {
  source: string;
  name: string;
  count: number;
}

export type SourceKind = 'files' | 'lookup' | 'athena' | 'memory';

export interface StoreStatus {
  kind: SourceKind;
  /** Where the data comes from: a directory, regions, an Athena table. */
  location: string;
  regions: string[];
  /** Epoch ms of the first and last event known, when known. */
  start?: number;
  end?: number;
  count?: number;
  version: string;
  /** What the source left out (unreadable files, unusable records), when it reads input it can count. */
  skipped?: SkippedInput;
}

export interface ProgressReport {
  phase: string;
  done: number;
  total?: number;
  detail?: string;
}

export interface QueryOptions {
  signal?: AbortSignal;
  onProgress?: (p: ProgressReport) => void;
}

/** One query interface over every place CloudTrail lives. */
export interface EventStore {
  readonly kind: SourceKind;
  query(q: EventQuery, opts?: QueryOptions): Promise<EventPage>;
  /** Every matching event in ascending time order (used for training and profiles). */
  scan(filter?: EventFilter, opts?: QueryOptions): AsyncIterable<TrailEvent>;
  eventNames(q?: EventNamesQuery, opts?: QueryOptions): Promise<EventNameCount[]>;
  status(): Promise<StoreStatus>;
  /** What the source left out when it opened, known without a query (the files source); status() includes it. */
  readonly skipped?: SkippedInput;
  close?(): Promise<void>;
}

export function principalMatches(e: TrailEvent, who: string): boolean {
  const p = e.principal;
  return p.key === who || p.name === who || p.session === who || p.human === who || p.arn === who || p.accessKeyId === who;
}

/** The client-side filter every source shares, so all sources agree on what a query means. */
export function matches(e: TrailEvent, f: EventFilter): boolean {
  if (f.start !== undefined && e.time < f.start) return false;
  if (f.end !== undefined && e.time >= f.end) return false;
  if (f.eventName !== undefined && e.name !== f.eventName) return false;
  if (f.eventSource !== undefined && e.source !== f.eventSource) return false;
  if (f.readOnly !== undefined && e.readOnly !== f.readOnly) return false;
  if (f.errorsOnly && !e.errorCode) return false;
  if (f.principal !== undefined && !principalMatches(e, f.principal)) return false;
  return true;
}

/** Ascending (time, id) order; ids break ties so paging is stable. */
export const byTime = (a: TrailEvent, b: TrailEvent): number => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function countEventNames(events: Iterable<TrailEvent>, q: EventNamesQuery = {}): EventNameCount[] {
  const counts = new Map<string, EventNameCount>();
  for (const e of events) {
    if (!matches(e, q)) continue;
    const k = `${e.source}:${e.name}`;
    const c = counts.get(k);
    if (c) c.count++;
    else counts.set(k, { source: e.source, name: e.name, count: 1 });
  }
  const sorted = [...counts.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return q.top ? sorted.slice(0, q.top) : sorted;
}
