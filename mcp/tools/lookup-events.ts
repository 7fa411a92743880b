import { createHash } from 'node:crypto';
import { z } from 'zod';
import { cursorCodec } from '../../cloudtrail/cursor.ts';
import type { EventPage, EventQuery, QueryOptions, ResolvedEventQuery } from '../../cloudtrail/query.ts';
import { guarded, storeOptions, structuredResult, type ToolContext, type ToolRegistrar } from '../context.ts';
import { CompactEvent, compactEvent, compactEventsJson, compactEventsQuoted } from '../events.ts';
import { jsonWithFirstValue, quotedWithFirstValue } from '../json-once.ts';
import { indexedInMemory, storeIndex, withRecords } from '../index/for-store.ts';
import { indexPage } from '../index/lookup.ts';
import { ArgumentError, iso, resolveWindow } from '../time.ts';
import { toolInput } from './input.ts';
import { boundedInt, endTime, errorsOnly, eventFilter, eventName, eventSource, readOnly, startTime, username } from './args.ts';

export const LOOKUP_EVENTS = 'lookup_cloudtrail_events';

const input = toolInput({
  start_time: startTime,
  end_time: endTime,
  username,
  event_name: eventName,
  event_source: eventSource,
  read_only: readOnly,
  errors_only: errorsOnly,
  max_results: boundedInt('max_results', 1000, 50, 'Events per page'),
  order: z
    .enum(['desc', 'asc'], { error: 'order must be "desc" (newest first) or "asc" (oldest first)' })
    .default('desc')
    .describe('desc: newest first like `aws cloudtrail lookup-events` (default); asc: oldest first'),
  cursor: z.string({ error: 'cursor must be the next_cursor string of a previous page' }).min(1).optional()
    .describe('next_cursor from the previous page, with the same filters'),
  include_raw: z.boolean({ error: 'include_raw must be true or false' }).default(false).describe('Also return each raw CloudTrail record'),
});

const output = z.object({
  events: z.array(CompactEvent),
  count: z.number().int(),
  order: z.enum(['desc', 'asc']),
  start_time: z.string().optional(),
  end_time: z.string().optional(),
  next_cursor: z.string().optional().describe('Pass as cursor to get the next page; absent on the last page'),
});

export const registerLookupEvents: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    LOOKUP_EVENTS,
    {
      title: 'Look up CloudTrail events',
      description:
        'Find CloudTrail management events by time window, principal, API action, service, read-only flag or failure. ' +
        'Newest first by default; page with next_cursor. Returns compact events (add include_raw for the full records).',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) =>
      guarded(LOOKUP_EVENTS, async () => {
        // Every argument that shapes the result set; a cursor only continues a query with the same ones.
        const f = fingerprint({
          username: args.username,
          event_name: args.event_name,
          event_source: args.event_source,
          read_only: args.read_only,
          errors_only: args.errors_only,
          order: args.order,
          start_time: args.start_time,
          end_time: args.end_time,
        });
        // A relative window (-24h) moves with the clock; later pages reuse the window of the first page.
        const pinned = args.cursor === undefined ? undefined : readCursor(args.cursor, f);
        const { start, end } = pinned ?? resolveWindow(args, ctx.now());
        const query = {
          ...eventFilter(args, { start, end }),
          limit: args.max_results,
          cursor: pinned?.store,
          order: args.order,
        } satisfies EventQuery;
        const page = await lookup(ctx, query, storeOptions(extra, ctx.log));
        if (args.include_raw) await withRecords(ctx, page.events);
        const events = page.events.map((e) => compactEvent(e, args.include_raw));
        const result: z.infer<typeof output> = { events, count: events.length, order: args.order };
        if (start !== undefined) result.start_time = iso(start);
        if (end !== undefined) result.end_time = iso(end);
        if (page.nextCursor) {
          result.next_cursor = pageCursor.encode({ store: page.nextCursor, start, end, f });
        }
        // The events' JSON is kept per event (compactEventsJson): a page asked again is not serialised again, nor
        // escaped again for the text content when an HTTP answer is written (compactEventsQuoted).
        const quoted = () => quotedWithFirstValue(result, compactEventsQuoted(page.events, events));
        return structuredResult(result, jsonWithFirstValue(result, compactEventsJson(page.events, events)), quoted);
      }),
  );
};

/** Local sources: a page from the shared index (the same events and cursors as the store's query); remote ones: the store. */
async function lookup(ctx: ToolContext, query: ResolvedEventQuery, opts: QueryOptions): Promise<EventPage> {
  if (!indexedInMemory(ctx.store)) return ctx.store.query(query, opts);
  const index = await storeIndex(ctx, opts);
  return indexPage(index, index.compile(query), query);
}

/** next_cursor: the store's own cursor plus the resolved window and a fingerprint of the arguments it belongs to. */
const pageCursor = cursorCodec(z.object({ store: z.string(), start: z.number().optional(), end: z.number().optional(), f: z.string() }));
type PageCursor = ReturnType<typeof pageCursor.decode>;

const fingerprint = (args: Record<string, unknown>): string =>
  createHash('sha256').update(JSON.stringify(Object.entries(args).filter(([, v]) => v !== undefined))).digest('base64url').slice(0, 12);

function readCursor(text: string, expected: string): PageCursor {
  let c: PageCursor;
  try {
    c = pageCursor.decode(text);
  } catch {
    throw new ArgumentError('cursor is not a next_cursor returned by lookup_cloudtrail_events: pass it back unchanged');
  }
  if (c.f !== expected) {
    throw new ArgumentError('cursor belongs to a query with different arguments: repeat the same filters, order and times as the first page (only max_results and include_raw may change)');
  }
  return c;
}
