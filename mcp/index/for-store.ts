import type { TrailEvent } from '../../cloudtrail/event.ts';
import type { EventStore, QueryOptions } from '../../cloudtrail/query.ts';
import type { ToolContext } from '../context.ts';
import { EventIndex, type CompiledFilter, type IndexFilter } from './event-index.ts';

/**
 * Sources whose events sit in this process and never change once open: their index is built once and kept.
 * Remote sources (LookupEvents, Athena) are asked per request, and only the events they return are indexed.
 */
export const indexedInMemory = (store: EventStore): boolean => store.kind === 'files' || store.kind === 'memory';

async function collect(events: AsyncIterable<TrailEvent>): Promise<TrailEvent[]> {
  const out: TrailEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** Resolves when `p` does, or rejects when the caller gives up; the shared work itself goes on for the next caller. */
function until<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

/**
 * A store that hands out its events as views over columns (the engine-backed `files` store): the index is built
 * from those, and the few events a tool returns get their records fetched first (`withRecords`).
 */
interface ColumnarStore {
  indexEvents(): Promise<TrailEvent[]>;
  withRecords(events: readonly TrailEvent[]): Promise<void>;
}
const columnar = (store: EventStore): store is EventStore & ColumnarStore => typeof (store as Partial<ColumnarStore>).indexEvents === 'function';

/** `events` with their records and resources readable: what a tool returning index events calls first. */
export async function withRecords<T extends TrailEvent | undefined>(ctx: ToolContext, events: T[]): Promise<T[]> {
  if (columnar(ctx.store)) await ctx.store.withRecords(events.filter((e): e is NonNullable<T> => e !== undefined));
  return events;
}

const PAGE = 100_000;

/** Every event in time order, read in pages: far cheaper than a million steps of an async iterator. */
async function allEvents(store: EventStore, total: number | undefined, opts: QueryOptions): Promise<TrailEvent[]> {
  const out: TrailEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query({ limit: PAGE, cursor, order: 'asc' });
    for (const e of page.events) out.push(e);
    cursor = page.nextCursor;
    opts.onProgress?.({ phase: 'read', done: out.length, total });
  } while (cursor);
  return out;
}

/** The store's shared index (built on first use, reporting its progress to that first caller). */
export async function storeIndex(ctx: ToolContext, opts: QueryOptions = {}): Promise<EventIndex> {
  const { version, count } = await ctx.store.status();
  const built = ctx.memo(`event-index:${version}`, async () => {
    const store = ctx.store;
    const events = columnar(store) ? await store.indexEvents() : await allEvents(store, count, { onProgress: opts.onProgress });
    opts.onProgress?.({ phase: 'index', done: 0, total: events.length });
    return new EventIndex(events, (done) => opts.onProgress?.({ phase: 'index', done, total: events.length }));
  });
  return until(built, opts.signal);
}

/** An index holding at least the events matching `filter`, and the filter compiled against it. */
export async function indexFor(ctx: ToolContext, filter: IndexFilter, opts: QueryOptions): Promise<{ index: EventIndex; filter: CompiledFilter }> {
  const { principalType: _, ...storeFilter } = filter;
  const index = indexedInMemory(ctx.store) ? await storeIndex(ctx, opts) : new EventIndex(await collect(ctx.store.scan(storeFilter, opts)));
  return { index, filter: index.compile(filter) };
}

/** Starts building a local store's index now, so the first call does not wait for it; a failure surfaces on that call. */
export function warmIndex(ctx: ToolContext, onProgress?: QueryOptions['onProgress']): void {
  if (indexedInMemory(ctx.store)) storeIndex(ctx, { onProgress }).catch(() => undefined);
}
