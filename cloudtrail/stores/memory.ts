import { decodeCursor, encodeCursor } from '../cursor.ts';
import type { Principal, TrailEvent } from '../event.ts';
import {
  byTime,
  EventQuery,
  matches,
  principalMatches,
  type EventFilter,
  type EventNameCount,
  type EventNamesQuery,
  type EventPage,
  type EventStore,
  type SourceKind,
  type StoreStatus,
} from '../query.ts';
import type { SkippedInput } from '../skipped.ts';

/** Index of the first of `count` sorted events (event i is `at(i)`) after (t, id); `inclusive` also accepts (t, id) itself. */
function firstAfter(at: (i: number) => TrailEvent, count: number, t: number, id: string, inclusive = false): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = at(mid);
    const before = e.time < t || (e.time === t && (inclusive ? e.id < id : e.id <= id));
    if (before) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with time >= t. */
function lowerBound(at: (i: number) => TrailEvent, count: number, t: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(mid).time < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First k with positions[k] >= i. */
function lowerBoundPos(positions: Uint32Array, i: number): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (positions[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface PrincipalGroup {
  principal: Principal;
  positions: number[];
}

const EMPTY = new Uint32Array(0);

export interface MemoryStoreInfo {
  kind?: SourceKind;
  location?: string;
  version?: string;
  /** The events are already in (time, id) order: skip the copy and sort. */
  sorted?: boolean;
  /** What the loader left out, reported by status(). */
  skipped?: SkippedInput;
}

/**
 * An event store over events held in memory, sorted once; the base of the files source.
 * Time filters use binary search; eventName and principal filters use position lists built on first use.
 */
export class MemoryStore implements EventStore {
  readonly kind: SourceKind;
  #events?: TrailEvent[];
  #makeEvents?: () => TrailEvent[];
  private nameIndex?: Map<string, Uint32Array>;
  private principalGroups?: PrincipalGroup[];
  private readonly principalCache = new Map<string, Uint32Array>();
  private cachedStatus?: StoreStatus;

  /** `events` may be a function making them, called on first use: the files source's reopen makes no event objects until a query needs them. */
  constructor(events: TrailEvent[] | (() => TrailEvent[]), private readonly info: MemoryStoreInfo = {}) {
    this.kind = info.kind ?? 'memory';
    if (typeof events === 'function') this.#makeEvents = events;
    else this.#events = info.sorted ? events : [...events].sort(byTime);
  }

  protected get events(): TrailEvent[] {
    if (this.#events) return this.#events;
    const made = this.#makeEvents!();
    this.#makeEvents = undefined;
    return (this.#events = this.info.sorted ? made : made.sort(byTime));
  }

  get size(): number {
    return this.events.length;
  }

  /**
   * Event `i` in (time, id) order. Queries read events through this, not `events`: a store that makes its events
   * on first use (the files source) then makes only the ones a query visits, instead of every event for a first
   * query by principal (a million views promoted by the collector were ~0.6 s after a cold load, issue #14).
   */
  protected eventAt(i: number): TrailEvent {
    return this.events[i];
  }

  readonly #at = (i: number) => this.eventAt(i);

  /** Positions (ascending) of events with this eventName. */
  protected namePositions(name: string): Uint32Array {
    if (!this.nameIndex) {
      const lists = new Map<string, number[]>();
      this.events.forEach((e, i) => {
        let l = lists.get(e.name);
        if (!l) lists.set(e.name, (l = []));
        l.push(i);
      });
      this.nameIndex = new Map([...lists].map(([k, v]) => [k, Uint32Array.from(v)]));
    }
    return this.nameIndex.get(name) ?? EMPTY;
  }

  /** Positions (ascending) of events whose principal matches `who` (same rule as `matches`). */
  protected principalPositions(who: string): Uint32Array {
    const cached = this.principalCache.get(who);
    if (cached) return cached;
    if (!this.principalGroups) {
      // Stores that share Principal objects group by identity; others fall back to the principal's fields.
      const byObject = new Map<Principal, PrincipalGroup>();
      const bySignature = new Map<string, PrincipalGroup>();
      this.events.forEach((e, i) => {
        let g = byObject.get(e.principal);
        if (!g) {
          const p = e.principal;
          const sig = `${p.type}\u0001${p.arn}\u0001${p.name}\u0001${p.session}\u0001${p.human}\u0001${p.accessKeyId}\u0001${p.key}`;
          g = bySignature.get(sig);
          if (!g) bySignature.set(sig, (g = { principal: p, positions: [] }));
          byObject.set(p, g);
        }
        g.positions.push(i);
      });
      this.principalGroups = [...bySignature.values()];
    }
    const groups = this.principalGroups.filter((g) => principalMatches({ principal: g.principal } as TrailEvent, who));
    const out = groups.length === 1 ? Uint32Array.from(groups[0].positions) : Uint32Array.from(groups.flatMap((g) => g.positions)).sort();
    if (this.principalCache.size > 256) this.principalCache.clear();
    this.principalCache.set(who, out);
    return out;
  }

  /** The smallest position list that covers every match, or undefined for "all events". */
  private candidates(f: EventFilter): Uint32Array | undefined {
    let best: Uint32Array | undefined;
    if (f.eventName !== undefined) best = this.namePositions(f.eventName);
    if (f.principal !== undefined) {
      const p = this.principalPositions(f.principal);
      if (!best || p.length < best.length) best = p;
    }
    return best;
  }

  /** Visits matching positions in [from, to) in the given direction until `visit` returns false; returns the last position visited + step. */
  private walk(f: EventFilter, from: number, to: number, step: 1 | -1, visit: (i: number) => boolean): void {
    const cand = this.candidates(f);
    if (!cand) {
      if (step === 1) {
        for (let i = from; i < to; i++) if (matches(this.eventAt(i), f) && !visit(i)) return;
      } else {
        for (let i = to - 1; i >= from; i--) if (matches(this.eventAt(i), f) && !visit(i)) return;
      }
      return;
    }
    if (step === 1) {
      for (let k = lowerBoundPos(cand, from); k < cand.length && cand[k] < to; k++) {
        if (matches(this.eventAt(cand[k]), f) && !visit(cand[k])) return;
      }
    } else {
      for (let k = lowerBoundPos(cand, to) - 1; k >= 0 && cand[k] >= from; k--) {
        if (matches(this.eventAt(cand[k]), f) && !visit(cand[k])) return;
      }
    }
  }

  private range(f: EventFilter): [number, number] {
    const from = f.start === undefined ? 0 : lowerBound(this.#at, this.size, f.start);
    const to = f.end === undefined ? this.size : lowerBound(this.#at, this.size, f.end);
    return [from, Math.max(from, to)];
  }

  async query(input: EventQuery): Promise<EventPage> {
    const q = EventQuery.parse(input);
    let [from, to] = this.range(q);
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (cursor) {
      if (q.order === 'asc') from = Math.max(from, firstAfter(this.#at, this.size, cursor.t, cursor.id));
      else to = Math.min(to, firstAfter(this.#at, this.size, cursor.t, cursor.id, true));
    }
    const out: TrailEvent[] = [];
    let more = false;
    // Take one extra match to learn whether another page exists.
    this.walk(q, from, to, q.order === 'asc' ? 1 : -1, (i) => {
      if (out.length === q.limit) {
        more = true;
        return false;
      }
      out.push(this.eventAt(i));
      return true;
    });
    const last = out[out.length - 1];
    return { events: out, nextCursor: more && last ? encodeCursor({ t: last.time, id: last.id }) : undefined };
  }

  async *scan(filter: EventFilter = {}): AsyncIterable<TrailEvent> {
    const [from, to] = this.range(filter);
    const positions: number[] = [];
    this.walk(filter, from, to, 1, (i) => (positions.push(i), true));
    for (const i of positions) yield this.eventAt(i);
  }

  async eventNames(q: EventNamesQuery = {}): Promise<EventNameCount[]> {
    const [from, to] = this.range(q);
    const counts = new Map<string, EventNameCount>();
    this.walk(q, from, to, 1, (i) => {
      const e = this.eventAt(i);
      const k = `${e.source}:${e.name}`;
      const c = counts.get(k);
      if (c) c.count++;
      else counts.set(k, { source: e.source, name: e.name, count: 1 });
      return true;
    });
    const sorted = [...counts.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
    return q.top ? sorted.slice(0, q.top) : sorted;
  }

  get skipped(): SkippedInput | undefined {
    return this.info.skipped;
  }

  async status(): Promise<StoreStatus> {
    if (!this.cachedStatus) {
      const regions = new Set<string>();
      for (const e of this.events) regions.add(e.region);
      this.cachedStatus = {
        kind: this.kind,
        location: this.info.location ?? 'memory',
        regions: [...regions].filter(Boolean).sort(),
        start: this.events[0]?.time,
        end: this.events[this.events.length - 1]?.time,
        count: this.events.length,
        version: this.info.version ?? '0',
        ...(this.info.skipped ? { skipped: this.info.skipped } : {}),
      };
    }
    return { ...this.cachedStatus, regions: [...this.cachedStatus.regions] };
  }
}
