import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { TrailEvent } from '../event.ts';
import {
  byTime,
  countEventNames,
  EventQuery,
  matches,
  type EventFilter,
  type EventNameCount,
  type EventNamesQuery,
  type EventPage,
  type EventStore,
  type SourceKind,
  type StoreStatus,
} from '../query.ts';

/** Index of the first event after (t, id) in a sorted array; `inclusive` also accepts (t, id) itself. */
function firstAfter(events: TrailEvent[], t: number, id: string, inclusive = false): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = events[mid];
    const before = e.time < t || (e.time === t && (inclusive ? e.id < id : e.id <= id));
    if (before) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with time >= t. */
function lowerBound(events: TrailEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].time < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An event store over events held in memory, sorted once; the base of the files source. */
export class MemoryStore implements EventStore {
  readonly kind: SourceKind;
  private readonly events: TrailEvent[];

  constructor(events: TrailEvent[], private readonly info: { kind?: SourceKind; location?: string; version?: string } = {}) {
    this.kind = info.kind ?? 'memory';
    this.events = [...events].sort(byTime);
  }

  get size(): number {
    return this.events.length;
  }

  async query(input: EventQuery): Promise<EventPage> {
    const q = EventQuery.parse(input);
    const from = q.start === undefined ? 0 : lowerBound(this.events, q.start);
    const to = q.end === undefined ? this.events.length : lowerBound(this.events, q.end);
    const out: TrailEvent[] = [];
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.order === 'asc') {
      let i = cursor ? Math.max(from, firstAfter(this.events, cursor.t, cursor.id)) : from;
      for (; i < to && out.length < q.limit; i++) if (matches(this.events[i], q)) out.push(this.events[i]);
      const more = out.length === q.limit && this.hasMatch(i, to, 1, q);
      return this.page(out, more);
    }
    // Newest first: continue strictly before the cursor's event.
    let i = cursor ? Math.min(to, firstAfter(this.events, cursor.t, cursor.id, true)) - 1 : to - 1;
    for (; i >= from && out.length < q.limit; i--) if (matches(this.events[i], q)) out.push(this.events[i]);
    const more = out.length === q.limit && this.hasMatch(i, from - 1, -1, q);
    return this.page(out, more);
  }

  private hasMatch(i: number, stop: number, step: 1 | -1, f: EventFilter): boolean {
    for (; i !== stop; i += step) if (matches(this.events[i], f)) return true;
    return false;
  }

  private page(events: TrailEvent[], more: boolean): EventPage {
    const last = events[events.length - 1];
    return { events, nextCursor: more && last ? encodeCursor({ t: last.time, id: last.id }) : undefined };
  }

  async *scan(filter: EventFilter = {}): AsyncIterable<TrailEvent> {
    const from = filter.start === undefined ? 0 : lowerBound(this.events, filter.start);
    const to = filter.end === undefined ? this.events.length : lowerBound(this.events, filter.end);
    for (let i = from; i < to; i++) if (matches(this.events[i], filter)) yield this.events[i];
  }

  async eventNames(q: EventNamesQuery = {}): Promise<EventNameCount[]> {
    return countEventNames(this.events, q);
  }

  async status(): Promise<StoreStatus> {
    const regions = [...new Set(this.events.map((e) => e.region))].filter(Boolean).sort();
    return {
      kind: this.kind,
      location: this.info.location ?? 'memory',
      regions,
      start: this.events[0]?.time,
      end: this.events[this.events.length - 1]?.time,
      count: this.events.length,
      version: this.info.version ?? '0',
    };
  }
}
