import type { Principal, TrailEvent } from '../../cloudtrail/event.ts';
import { byTime, principalMatches, type EventFilter } from '../../cloudtrail/query.ts';
import { Vocab } from '../../predict/corpus.ts';

/** Distinct (key, value) pairs of two id columns, numbered, with each event's pair id. */
export interface PairColumn {
  ids: Uint32Array;
  key: Uint32Array;
  value: Uint32Array;
}

const DENSE_PAIR_LIMIT = 1 << 24;

function pairColumn(keys: Uint32Array, values: Uint32Array, nKeys: number, nValues: number): PairColumn {
  const n = keys.length;
  const ids = new Uint32Array(n);
  const pairKey: number[] = [];
  const pairValue: number[] = [];
  // A dense table when it is small enough (the usual case: tens of principals), a Map otherwise.
  const dense = nKeys * nValues <= DENSE_PAIR_LIMIT ? new Int32Array(nKeys * nValues).fill(-1) : undefined;
  const sparse = dense ? undefined : new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const code = keys[i] * nValues + values[i];
    let id = dense ? dense[code] : (sparse!.get(code) ?? -1);
    if (id < 0) {
      id = pairKey.length;
      pairKey.push(keys[i]);
      pairValue.push(values[i]);
      if (dense) dense[code] = id;
      else sparse!.set(code, id);
    }
    ids[i] = id;
  }
  return { ids, key: Uint32Array.from(pairKey), value: Uint32Array.from(pairValue) };
}

export const ERROR = 1;
export const READ_ONLY = 2;
export const MUTATING = 4;

/** A filter the index answers: the store filter plus the principal's userIdentity.type. */
export type IndexFilter = EventFilter & { principalType?: string };

/** A filter resolved to ids and a position range; `none` when nothing can match (an unknown name). */
export interface CompiledFilter {
  from: number;
  to: number;
  none: boolean;
  name: number;
  source: number;
  /** Accepted distinct principals, or undefined for all (shared between filters: never written to). */
  principals?: Uint8Array;
  /** Which principals those are, as a short key for kept answers. */
  principalsKey?: string;
  /** Bits of `flags` that must be set. */
  flags: number;
}

function hash32(s: string): number {
  // FNV-1a: cheap and spreads eventIDs (UUIDs) well; collisions are resolved by comparing the ids.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function lowerBound(a: Float64Array | Uint32Array, x: number, hi = a.length): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface IndexBuildProgress {
  (done: number): void;
}

/**
 * Columns over an immutable event set in (time, id) order: dictionary ids for action, name, source, region,
 * distinct principal and principal key, flag bits, and (key, value) pair ids for the per-principal
 * distinct counts. Built once per store version and shared by every request (the stateless transports
 * build a server per request), so aggregate tools loop over typed arrays instead of scanning events.
 */
export class EventIndex {
  readonly size: number;
  readonly time: Float64Array;
  readonly flags: Uint8Array;
  readonly action: Uint32Array;
  readonly name: Uint32Array;
  readonly source: Uint32Array;
  readonly region: Uint32Array;
  /** Distinct principal (by identity fields) of each event. */
  readonly principal: Uint32Array;
  /** Principal key of each event (the grouping key tools report). */
  readonly key: Uint32Array;
  readonly actions = new Vocab();
  readonly names = new Vocab();
  readonly sources = new Vocab();
  readonly regions = new Vocab();
  readonly keys = new Vocab();
  readonly ips = new Vocab();
  /** The distinct principals, and the key id of each. */
  readonly principals: Principal[] = [];
  readonly keyOfPrincipal: Uint32Array;
  readonly actionSource: string[] = [];
  readonly actionName: string[] = [];
  readonly keyAction: PairColumn;
  readonly keyIp: PairColumn;
  readonly keyRegion: PairColumn;
  /** Event positions sorted by the hash of their id, and those hashes. */
  private readonly idOrder: Uint32Array;
  private readonly idHash: Uint32Array;

  constructor(
    readonly events: TrailEvent[],
    progress?: IndexBuildProgress,
  ) {
    if (!isSorted(events)) events = [...events].sort(byTime);
    this.events = events;
    const n = (this.size = events.length);
    this.time = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.action = new Uint32Array(n);
    this.name = new Uint32Array(n);
    this.source = new Uint32Array(n);
    this.region = new Uint32Array(n);
    this.principal = new Uint32Array(n);
    this.key = new Uint32Array(n);
    const ip = new Uint32Array(n);
    const hashes = new Uint32Array(n);
    const byObject = new Map<Principal, number>();
    const bySignature = new Map<string, number>();
    const keyOf: number[] = [];
    const actionsBySource: Map<string, number>[] = [];
    for (let i = 0; i < n; i++) {
      const e = events[i];
      this.time[i] = e.time;
      this.flags[i] = (e.errorCode ? ERROR : 0) | (e.readOnly === true ? READ_ONLY : e.readOnly === false ? MUTATING : 0);
      const source = (this.source[i] = this.sources.add(e.source));
      this.name[i] = this.names.add(e.name);
      // Per-source maps of the (shared, already hashed) name strings: no `source:name` string built per event.
      const bySource = (actionsBySource[source] ??= new Map());
      let a = bySource.get(e.name);
      if (a === undefined) {
        a = this.actions.add(`${e.source}:${e.name}`);
        bySource.set(e.name, a);
        this.actionSource.push(e.source);
        this.actionName.push(e.name);
      }
      this.action[i] = a;
      this.region[i] = this.regions.add(e.region);
      ip[i] = this.ips.add(e.sourceIp);
      // Stores share Principal objects between events; others are grouped by the principal's fields.
      let p = byObject.get(e.principal);
      if (p === undefined) {
        const q = e.principal;
        const sig = `${q.type}\u0001${q.arn}\u0001${q.name}\u0001${q.session}\u0001${q.human}\u0001${q.accessKeyId}\u0001${q.key}`;
        p = bySignature.get(sig);
        if (p === undefined) {
          p = this.principals.length;
          bySignature.set(sig, p);
          this.principals.push(q);
          keyOf.push(this.keys.add(q.key));
        }
        byObject.set(e.principal, p);
      }
      this.principal[i] = p;
      this.key[i] = keyOf[p];
      hashes[i] = hash32(e.id);
      if (progress && (i & 0xffff) === 0xffff) progress(i + 1);
    }
    this.keyOfPrincipal = Uint32Array.from(keyOf);
    const nk = this.keys.size;
    this.keyAction = pairColumn(this.key, this.action, nk, this.actions.size);
    this.keyIp = pairColumn(this.key, ip, nk, this.ips.size);
    this.keyRegion = pairColumn(this.key, this.region, nk, this.regions.size);
    this.idOrder = hashOrder(hashes);
    this.idHash = new Uint32Array(n);
    for (let k = 0; k < n; k++) this.idHash[k] = hashes[this.idOrder[k]];
    progress?.(n);
  }

  /** Position of the first event (in time order) with this id inside the window, or -1. */
  find(id: string, window: { start?: number; end?: number } = {}): number {
    const h = hash32(id);
    let best = -1;
    for (let k = lowerBound(this.idHash, h); k < this.size && this.idHash[k] === h; k++) {
      const i = this.idOrder[k];
      const e = this.events[i];
      if (e.id !== id || (window.start !== undefined && e.time < window.start) || (window.end !== undefined && e.time >= window.end)) continue;
      if (best < 0 || i < best) best = i;
    }
    return best;
  }

  /** Resolves a filter once, so the loops below compare numbers only (same meaning as cloudtrail/query.ts `matches`). */
  compile(f: IndexFilter): CompiledFilter {
    const from = f.start === undefined ? 0 : lowerBound(this.time, f.start);
    const to = Math.max(from, f.end === undefined ? this.size : lowerBound(this.time, f.end));
    const name = f.eventName === undefined ? -1 : (this.names.id(f.eventName) ?? -2);
    const source = f.eventSource === undefined ? -1 : (this.sources.id(f.eventSource) ?? -2);
    let none = name === -2 || source === -2 || from === to;
    const flags = (f.errorsOnly ? ERROR : 0) | (f.readOnly === true ? READ_ONLY : f.readOnly === false ? MUTATING : 0);
    if (f.principal === undefined && f.principalType === undefined) return { from, to, none, name, source, flags };
    const { mask, key, any } = this.principalMask(f.principal, f.principalType);
    none ||= !any;
    return { from, to, none, name, source, principals: mask, principalsKey: key, flags };
  }

  /**
   * The distinct principals a principal filter accepts, kept per filter: at a million events there are ~20k
   * distinct principals (one per session and key), and matching them all took 10-16 ms, far more than a lookup.
   */
  private principalMask(principal: string | undefined, type: string | undefined): PrincipalMask {
    const id = JSON.stringify([principal, type]);
    let m = this.masks.get(id);
    if (m) {
      this.masks.delete(id); // most recently used last
    } else {
      const mask = new Uint8Array(this.principals.length);
      let any = false;
      this.principals.forEach((p, i) => {
        const ok = (principal === undefined || principalMatches({ principal: p } as TrailEvent, principal)) && (type === undefined || p.type === type);
        if (ok) mask[i] = 1;
        any ||= ok;
      });
      m = { mask, key: maskKey(mask), any };
      if (this.masks.size >= MASKS_KEPT) this.masks.delete(this.masks.keys().next().value!);
    }
    this.masks.set(id, m);
    return m;
  }

  private readonly masks = new Map<string, PrincipalMask>();

  /** Whether position `i` (inside the filter's range) matches. One small method, so the aggregate loops get it inlined. */
  accepts(f: CompiledFilter, i: number): boolean {
    return (
      (f.name < 0 || this.name[i] === f.name) &&
      (f.source < 0 || this.source[i] === f.source) &&
      (this.flags[i] & f.flags) === f.flags &&
      (f.principals === undefined || f.principals[this.principal[i]] === 1)
    );
  }

  /**
   * An aggregate of the matching events, computed once per distinct filter: the events never change, and a
   * filter is keyed by the positions it covers, so `-7d` asked again a minute later is the same answer.
   */
  cached<T>(what: string, f: CompiledFilter, compute: () => T): T {
    if (f.none) return compute();
    const key = `${what}\u0001${f.from}\u0001${f.to}\u0001${f.name}\u0001${f.source}\u0001${f.flags}\u0001${f.principals ? (f.principalsKey ?? maskKey(f.principals)) : ''}`;
    let hit = this.answers.get(key) as T | undefined;
    if (hit === undefined) {
      hit = compute();
      if (this.answers.size >= ANSWERS_KEPT) this.answers.delete(this.answers.keys().next().value!);
    } else {
      this.answers.delete(key); // most recently used last
    }
    this.answers.set(key, hit);
    return hit;
  }

  private readonly answers = new Map<string, unknown>();
}

const ANSWERS_KEPT = 64;
const MASKS_KEPT = 256;

interface PrincipalMask {
  mask: Uint8Array;
  key: string;
  any: boolean;
}

const maskKey = (mask: Uint8Array): string => {
  const on: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) on.push(i);
  return on.join(',');
};

function isSorted(events: TrailEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (byTime(events[i - 1], events[i]) > 0) return false;
  return true;
}

/** Positions ordered by hash (ties by position), through one native numeric sort of packed keys when they fit. */
function hashOrder(hashes: Uint32Array): Uint32Array {
  const n = hashes.length;
  const order = new Uint32Array(n);
  const bits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  if (32 + bits <= 53) {
    const scale = 2 ** bits;
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = hashes[i] * scale + i;
    packed.sort();
    for (let k = 0; k < n; k++) order[k] = packed[k] % scale;
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => hashes[a] - hashes[b] || a - b);
  }
  return order;
}
