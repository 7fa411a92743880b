import {
  CloudTrailClient,
  LookupEventsCommand,
  type CloudTrailClientConfig,
  type Event as LookupEvent,
  type LookupAttribute,
  type LookupAttributeKey,
} from '@aws-sdk/client-cloudtrail';
import { z } from 'zod';
import { normalise, type TrailEvent } from '../event.ts';
import {
  countEventNames,
  EventQuery,
  matches,
  type EventFilter,
  type EventNameCount,
  type EventNamesQuery,
  type EventPage,
  type EventStore,
  type QueryOptions,
  type StoreStatus,
} from '../query.ts';
import { checkCursorOrder, cursorCodec, OrderedCursor } from '../cursor.ts';
import { CloudTrailRecord } from '../record.ts';
import { DiskCache } from './disk-cache.ts';
import { isAfter, mergeByTime } from './merge.ts';
import { sleep, TokenBucket } from './token-bucket.ts';

/**
 * The `lookup` source: CloudTrail's LookupEvents API (management events of the last 90 days, per region).
 *
 * - LookupEvents takes one lookup attribute per call: the most selective one the query allows is sent, the rest
 *   of the query is applied client-side with `matches`, so every source agrees on what a query means.
 * - The window is cut into UTC-aligned chunks (a day by default). Each chunk is fetched with one fixed
 *   StartTime/EndTime for all of its NextToken pages, then cached on disk under
 *   (region, attribute, absolute chunk bounds). Chunks that ended before `now - settleMs` never change and are
 *   cached forever; a chunk touching "now" expires after `ttlMs`. Relative windows ("last 7 days") must be
 *   resolved to absolute times by the caller: the cache key is made of absolute times only.
 * - A window spanning several chunks is first tried with one request for the whole window: a quiet region
 *   answers everything without NextToken, saving one request per chunk.
 * - AWS returns newest first; results are merged across regions and put in the query's order.
 * - Requests go through a token bucket per region (2 requests/s, LookupEvents' quota), applied to every HTTP
 *   attempt including the SDK's own retries; throttling that survives the SDK's retries is retried here with
 *   backoff and then reported with a clear error.
 */

export const LOOKUP_RETENTION_MS = 90 * 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export interface LookupStoreOptions {
  regions: string[];
  /** Disk cache directory; undefined disables the disk cache (an in-process cache remains). */
  cacheDir?: string;
  /** Endpoint override (tests, VPC endpoints). */
  endpoint?: string;
  credentials?: CloudTrailClientConfig['credentials'];
  /** Requests per second per region (LookupEvents allows 2; default 1.95). */
  ratePerSecond?: number;
  /** Token bucket size: how many requests may go out back to back. */
  burst?: number;
  /** The SDK's own attempts per request (its standard retry strategy). */
  sdkMaxAttempts?: number;
  /** Extra retries here when throttling survives the SDK's attempts. */
  throttleRetries?: number;
  /** First backoff delay for those retries; doubles each time, with jitter. */
  retryBaseMs?: number;
  /** MaxResults per LookupEvents page (1..50). */
  pageSize?: number;
  /** Size of the aligned time chunks the window is cut into. */
  chunkMs?: number;
  /** How long after its end a chunk is considered final (CloudTrail delivers events late). */
  settleMs?: number;
  /** Lifetime of cache entries for chunks that touch "now". */
  ttlMs?: number;
  now?: () => number;
}

/** Extra filters only LookupEvents can use server-side; other sources ignore them. */
export interface LookupEventQuery extends EventQuery {
  eventId?: string;
  accessKeyId?: string;
  resourceName?: string;
}

const ACCESS_KEY = /^(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}$/;

/** The Username LookupEvents records for a principal given as an ARN (IAM user name or role session name). */
function usernameOf(principal: string): string | undefined {
  if (!principal.startsWith('arn:')) return principal;
  const m = /:(user|assumed-role|federated-user)\/(.+)$/.exec(principal);
  if (!m) return undefined;
  const parts = m[2].split('/');
  return parts[parts.length - 1];
}

/**
 * Picks the most selective lookup attribute the query allows:
 * EventId > AccessKeyId > Username > ResourceName > EventName > EventSource > ReadOnly.
 * The principal filter maps to AccessKeyId when it is an access key id, otherwise to Username. Note that
 * LookupEvents' Username is the IAM user name or the role *session* name: a principal given as a role name
 * only matches sessions named after the role.
 */
export function chooseLookupAttribute(q: LookupEventQuery): LookupAttribute | undefined {
  const attr = (AttributeKey: LookupAttributeKey, AttributeValue: string): LookupAttribute => ({ AttributeKey, AttributeValue });
  if (q.eventId) return attr('EventId', q.eventId);
  if (q.accessKeyId) return attr('AccessKeyId', q.accessKeyId);
  if (q.principal && ACCESS_KEY.test(q.principal)) return attr('AccessKeyId', q.principal);
  const username = q.principal ? usernameOf(q.principal) : undefined;
  if (username) return attr('Username', username);
  if (q.resourceName) return attr('ResourceName', q.resourceName);
  if (q.eventName) return attr('EventName', q.eventName);
  if (q.eventSource) return attr('EventSource', q.eventSource);
  if (q.readOnly !== undefined) return attr('ReadOnly', String(q.readOnly));
  return undefined;
}

/** Client-side filter: the shared `matches` plus the lookup-only fields. */
function lookupMatches(e: TrailEvent, q: LookupEventQuery): boolean {
  if (!matches(e, q)) return false;
  if (q.eventId !== undefined && e.id !== q.eventId) return false;
  if (q.accessKeyId !== undefined && e.principal.accessKeyId !== q.accessKeyId) return false;
  // LookupEvents' ResourceName matches a resource's name or ARN; names are the last ARN segment.
  if (q.resourceName !== undefined && !e.resources.some((r) => r.arn === q.resourceName || r.arn?.split(/[:/]/).pop() === q.resourceName)) return false;
  return true;
}

/** The fixed window of a query: absolute ms; `open` when the end was "now" at the first call. */
const Window = z.object({ s: z.number(), e: z.number(), open: z.boolean() });
type Window = z.infer<typeof Window>;
const inWindow = (e: TrailEvent, w: Window) => e.time >= w.s && e.time < w.e;

/** The window rides along in the cursor so later pages of an open window ("until now") see the same range. */
const lookupCursor = cursorCodec(OrderedCursor.extend({ w: Window }), 'lookup');

type Progress = { pages: number; events: number };

interface Chunk {
  /** Bounds used for the request and the cache key. */
  start: number;
  end: number;
}

/** Turns an SDK error into one that says which call failed, where, and what to do. */
export class LookupError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly region: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LookupError';
  }
}

function errorCode(err: unknown): string {
  const e = err as { name?: string; Code?: string; __type?: string };
  return e?.name ?? e?.Code ?? 'Error';
}

const isThrottle = (err: unknown) => {
  const code = errorCode(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return /Throttl|TooManyRequests|RequestLimitExceeded/.test(code) || status === 429;
};

function hintFor(code: string): string {
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(code)) return ' The caller needs the cloudtrail:LookupEvents permission in this region.';
  if (/InvalidLookupAttributes/.test(code)) return ' LookupEvents accepts one attribute (EventId, EventName, EventSource, ReadOnly, Username, ResourceType, ResourceName, AccessKeyId) per call.';
  if (/InvalidTimeRange/.test(code)) return ' LookupEvents only covers the last 90 days and needs start < end.';
  if (/ExpiredToken|InvalidClientTokenId|UnrecognizedClient|CredentialsProviderError/.test(code)) return ' Check the AWS credentials (AWS_PROFILE / AWS_ACCESS_KEY_ID).';
  return '';
}

/** A record from a LookupEvents entry: the CloudTrailEvent JSON when present, otherwise the summary fields. */
function recordOf(ev: LookupEvent, region: string): CloudTrailRecord {
  if (ev.CloudTrailEvent) {
    let json: unknown;
    try {
      json = JSON.parse(ev.CloudTrailEvent);
    } catch {
      json = undefined; // Malformed detail: fall back to the summary fields rather than lose the event.
    }
    const parsed = CloudTrailRecord.safeParse(json);
    if (parsed.success) return parsed.data;
  }
  return CloudTrailRecord.parse({
    eventID: ev.EventId,
    eventName: ev.EventName ?? 'Unknown',
    eventSource: ev.EventSource ?? 'unknown',
    eventTime: (ev.EventTime ?? new Date(0)).toISOString().replace('.000Z', 'Z'),
    awsRegion: region,
    readOnly: ev.ReadOnly,
    userIdentity: { userName: ev.Username, accessKeyId: ev.AccessKeyId },
    resources: ev.Resources?.map((r) => ({ ARN: r.ResourceName, type: r.ResourceType })),
  });
}

const sharedBuckets = new Map<string, TokenBucket>();

export class LookupStore implements EventStore {
  readonly kind = 'lookup' as const;
  readonly regions: string[];
  private readonly clients = new Map<string, CloudTrailClient>();
  private readonly cache?: DiskCache<CloudTrailRecord[]>;
  /** In-process cache so paging through one query re-reads nothing; same expiry rules as the disk cache. */
  private readonly memo = new Map<string, { at: number; immutable: boolean; events: TrailEvent[] }>();
  /** Whole-window probes that needed more than one page. */
  private readonly tooBig = new Map<string, { at: number; immutable: boolean }>();
  private readonly o: Required<Omit<LookupStoreOptions, 'cacheDir' | 'endpoint' | 'credentials' | 'regions'>>;
  /** Requests sent (HTTP attempts, including retries), for progress and benchmarks. */
  requestCount = 0;
  private cacheWarned = false;

  constructor(private readonly options: LookupStoreOptions) {
    if (!options.regions.length) throw new Error('The lookup source needs at least one region (TRAILBOOK_REGIONS or AWS_REGION).');
    this.regions = [...new Set(options.regions)];
    this.o = {
      // Just under the 2/s quota, so network jitter never puts 3 calls inside one second at AWS's end.
      ratePerSecond: options.ratePerSecond ?? 1.95,
      burst: options.burst ?? 1,
      sdkMaxAttempts: options.sdkMaxAttempts ?? 3,
      throttleRetries: options.throttleRetries ?? 4,
      retryBaseMs: options.retryBaseMs ?? 1000,
      pageSize: Math.min(50, Math.max(1, options.pageSize ?? 50)),
      chunkMs: options.chunkMs ?? DAY_MS,
      settleMs: options.settleMs ?? 15 * 60_000,
      ttlMs: options.ttlMs ?? 60_000,
      now: options.now ?? Date.now,
    };
    if (options.cacheDir) this.cache = new DiskCache(options.cacheDir, this.o.ttlMs);
  }

  private client(region: string): CloudTrailClient {
    let c = this.clients.get(region);
    if (c) return c;
    c = new CloudTrailClient({
      region,
      endpoint: this.options.endpoint,
      credentials: this.options.credentials,
      maxAttempts: this.o.sdkMaxAttempts,
    });
    // The quota is per account and region, so stores in one process share a bucket per endpoint and region.
    const bucketKey = `${this.options.endpoint ?? 'aws'}|${region}|${this.o.ratePerSecond}|${this.o.burst}`;
    let bucket = sharedBuckets.get(bucketKey);
    if (!bucket) sharedBuckets.set(bucketKey, (bucket = new TokenBucket(this.o.ratePerSecond, this.o.burst)));
    // Innermost (deserialize step, low priority): every HTTP attempt, SDK retries included, waits for a token
    // right before it is sent, so waiting adds no delay between the token and the wire.
    c.middlewareStack.add(
      (next) => async (args) => {
        await bucket.take();
        this.requestCount++;
        return next(args);
      },
      { step: 'deserialize', priority: 'low', name: 'trailbookLookupRateLimit' },
    );
    this.clients.set(region, c);
    return c;
  }

  /** Resolves the query's window to absolute times within LookupEvents' 90-day retention. */
  private resolveWindow(q: { start?: number; end?: number }): Window {
    const now = this.o.now();
    // Aligned up to a chunk boundary so "everything retained" has the same cache keys all day.
    const floor = Math.ceil((now - LOOKUP_RETENTION_MS) / this.o.chunkMs) * this.o.chunkMs;
    const s = Math.max(q.start ?? floor, floor);
    const open = q.end === undefined || q.end >= now;
    const e = Math.min(q.end ?? now, now);
    return { s, e: Math.max(s, e), open };
  }

  /** Aligned chunks covering the window, in the given order. */
  private chunks(w: Window, order: 'asc' | 'desc'): Chunk[] {
    const size = this.o.chunkMs;
    const out: Chunk[] = [];
    if (w.e <= w.s) return out;
    for (let a = Math.floor(w.s / size) * size; a < w.e; a += size) {
      const b = a + size;
      // An open window's last chunk keeps its aligned end in the key so re-runs within the TTL hit the cache.
      const end = w.open && b >= w.e ? b : Math.min(b, w.e);
      out.push({ start: Math.max(a, w.s), end });
    }
    return order === 'asc' ? out : out.reverse();
  }

  /** The range a whole-window probe covers: an open window extends to its last chunk's aligned end (stable key). */
  private probeRange(w: Window): Chunk {
    const size = this.o.chunkMs;
    return { start: w.s, end: w.open ? Math.ceil(w.e / size) * size : w.e };
  }

  /**
   * One region's events in a chunk. When the window spans several chunks, one request over the whole window
   * comes first: if it needs no NextToken (a quiet account), it answers every chunk and saves a request per day.
   */
  private async fetchChunk(region: string, chunk: Chunk, window: Window, attr: LookupAttribute | undefined, opts: QueryOptions, progress: Progress): Promise<TrailEvent[]> {
    // More than one chunk: the first aligned chunk ends before the window does (no chunk list built per call).
    if ((Math.floor(window.s / this.o.chunkMs) + 1) * this.o.chunkMs < window.e) {
      const whole = await this.fetchRange(region, this.probeRange(window), attr, opts, progress, 1);
      if (whole) return whole.filter((e) => e.time >= chunk.start && e.time < chunk.end);
    }
    return (await this.fetchRange(region, chunk, attr, opts, progress))!;
  }

  /**
   * Every page of one region and range, all with the same StartTime/EndTime, cached. Returns events in
   * [start, end), or undefined when `maxPages` ran out first (remembered for the TTL so it is not retried).
   */
  private async fetchRange(region: string, range: Chunk, attr: LookupAttribute | undefined, opts: QueryOptions, progress: Progress, maxPages = Infinity): Promise<TrailEvent[] | undefined> {
    const key = JSON.stringify({ v: 1, region, attr: attr ? [attr.AttributeKey, attr.AttributeValue] : null, start: new Date(range.start).toISOString(), end: new Date(range.end).toISOString() });
    const now = this.o.now();
    const fresh = (m: { at: number; immutable: boolean } | undefined) => m && (m.immutable || now - m.at <= this.o.ttlMs);
    const memo = this.memo.get(key);
    if (fresh(memo)) return memo!.events;
    if (maxPages !== Infinity && fresh(this.tooBig.get(key))) return undefined;
    const immutable = range.end <= now - this.o.settleMs;
    const cached = await this.cache?.get(key, now);
    const parsed = cached?.map((r) => CloudTrailRecord.safeParse(r));
    if (parsed?.every((p) => p.success)) {
      const events = parsed.map((p) => normalise(p.data!));
      // A mutable disk entry keeps its own expiry; only final ranges are worth holding in memory too.
      if (immutable) this.memo.set(key, { at: now, immutable, events });
      return events;
    }
    // Fixed at the first call: every NextToken page of this range uses exactly these bounds.
    const StartTime = new Date(range.start);
    const EndTime = new Date(Math.min(range.end, now));
    const records: CloudTrailRecord[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      if (pages === maxPages) {
        this.tooBig.set(key, { at: now, immutable });
        return undefined;
      }
      const res = await this.send(region, new LookupEventsCommand({ LookupAttributes: attr ? [attr] : undefined, StartTime, EndTime, MaxResults: this.o.pageSize, NextToken }), opts.signal);
      for (const ev of res.Events ?? []) records.push(recordOf(ev, region));
      NextToken = res.NextToken;
      pages++;
      progress.pages++;
      progress.events += res.Events?.length ?? 0;
      opts.onProgress?.({ phase: 'lookup', done: progress.pages, detail: `${progress.events} events from ${progress.pages} LookupEvents pages (last: ${region})` });
    } while (NextToken);
    const events = records.map(normalise).filter((e) => e.time >= range.start && e.time < range.end);
    // A read-only or full disk must not fail the query: the cache is an optimisation.
    await this.cache?.set(key, events.map((e) => e.raw), immutable, now).catch((err: Error) => {
      if (!this.cacheWarned) console.warn(`trailbook: lookup cache disabled (${err.message})`);
      this.cacheWarned = true;
    });
    this.memo.set(key, { at: now, immutable, events });
    return events;
  }

  private async send(region: string, command: LookupEventsCommand, signal?: AbortSignal) {
    const client = this.client(region);
    for (let retry = 0; ; retry++) {
      try {
        return await client.send(command, { abortSignal: signal });
      } catch (err) {
        if (signal?.aborted) throw err;
        const code = errorCode(err);
        if (isThrottle(err)) {
          if (retry < this.o.throttleRetries) {
            const delay = this.o.retryBaseMs * 2 ** retry * (0.5 + Math.random() * 0.5);
            await sleep(delay, signal);
            continue;
          }
          throw new LookupError(
            `CloudTrail LookupEvents in ${region} is still throttled after ${retry + 1} tries (each with ${this.o.sdkMaxAttempts} SDK attempts): ${(err as Error).message}. LookupEvents allows 2 requests per second per account and region; narrow the time window, add a filter, or try again later.`,
            code,
            region,
            { cause: err },
          );
        }
        throw new LookupError(`CloudTrail LookupEvents failed in ${region} (${code}): ${(err as Error).message}.${hintFor(code)}`, code, region, { cause: err });
      }
    }
  }

  /** One chunk across every region, merged into the given order. */
  private async fetchMerged(chunk: Chunk, window: Window, attr: LookupAttribute | undefined, order: 'asc' | 'desc', opts: QueryOptions, progress: Progress): Promise<TrailEvent[]> {
    // Regions have separate quotas, so they are fetched in parallel.
    const lists = await Promise.all(this.regions.map((r) => this.fetchChunk(r, chunk, window, attr, opts, progress)));
    return mergeByTime(lists, order);
  }

  async query(input: LookupEventQuery, opts: QueryOptions = {}): Promise<EventPage> {
    const q = { ...input, ...EventQuery.parse(input) } as LookupEventQuery & ReturnType<typeof EventQuery.parse>;
    const cur = q.cursor ? lookupCursor.decode(q.cursor) : undefined;
    checkCursorOrder(cur, q.order);
    const window = cur?.w ?? this.resolveWindow(q);
    const attr = chooseLookupAttribute(q);
    const progress = { pages: 0, events: 0 };
    const out: TrailEvent[] = [];
    let more = false;
    for (const chunk of this.chunks(window, q.order)) {
      // Skip chunks wholly before the cursor position.
      if (cur && (q.order === 'asc' ? chunk.end <= cur.t : chunk.start > cur.t)) continue;
      for (const e of await this.fetchMerged(chunk, window, attr, q.order, opts, progress)) {
        if (!inWindow(e, window) || (cur && !isAfter(e, cur.t, cur.id, q.order)) || !lookupMatches(e, q)) continue;
        if (out.length === q.limit) {
          more = true;
          break;
        }
        out.push(e);
      }
      if (more) break;
    }
    const last = out[out.length - 1];
    return { events: out, nextCursor: more && last ? lookupCursor.encode({ w: window, o: q.order, t: last.time, id: last.id }) : undefined };
  }

  async *scan(filter: EventFilter & Partial<LookupEventQuery> = {}, opts: QueryOptions = {}): AsyncIterable<TrailEvent> {
    const window = this.resolveWindow(filter);
    const attr = chooseLookupAttribute(filter as LookupEventQuery);
    const progress = { pages: 0, events: 0 };
    for (const chunk of this.chunks(window, 'asc')) {
      for (const e of await this.fetchMerged(chunk, window, attr, 'asc', opts, progress)) {
        if (inWindow(e, window) && lookupMatches(e, filter as LookupEventQuery)) yield e;
      }
    }
  }

  async eventNames(q: EventNamesQuery = {}, opts: QueryOptions = {}): Promise<EventNameCount[]> {
    const events: TrailEvent[] = [];
    for await (const e of this.scan({ start: q.start, end: q.end, principal: q.principal, eventSource: q.eventSource }, opts)) events.push(e);
    return countEventNames(events, q);
  }

  async status(): Promise<StoreStatus> {
    const now = this.o.now();
    return {
      kind: 'lookup',
      location: `CloudTrail LookupEvents in ${this.regions.join(', ')}${this.options.endpoint ? ` via ${this.options.endpoint}` : ''}`,
      regions: this.regions,
      start: now - LOOKUP_RETENTION_MS,
      end: now,
      version: 'lookup-events-2013-11-01',
    };
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
