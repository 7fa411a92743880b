import { z } from 'zod';
import type { TrailEvent } from '../../cloudtrail/event.ts';
import type { EventFilter, QueryOptions } from '../../cloudtrail/query.ts';
import { guarded, storeOptions, structuredResult, type ToolContext, type ToolRegistrar } from '../context.ts';
import { CompactEvent, compactEvent } from '../events.ts';
import { ArgumentError, resolveWindow, type TimeWindow } from '../time.ts';
import { indexedInMemory, storeIndex, withRecords } from '../index/for-store.ts';
import { endTime, startTime } from './args.ts';
import { toolInput } from './input.ts';

export const GET_EVENT = 'get_cloudtrail_event';

const input = toolInput({
  event_id: z.string({ error: 'event_id must be a string (the eventID of a CloudTrail record)' })
    .min(1, { error: 'event_id must not be empty' })
    .describe('The eventID, as returned in id by lookup_cloudtrail_events'),
  start_time: startTime.describe('Optional hint: search only from this time (faster on large sources)'),
  end_time: endTime.describe('Optional hint: search only before this time'),
  include_raw: z.boolean({ error: 'include_raw must be true or false' }).default(true).describe('Return the full CloudTrail record (default true)'),
});

const output = z.object({ event: CompactEvent });

export const registerGetEvent: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    GET_EVENT,
    {
      title: 'One CloudTrail event',
      description: 'Fetch one event by its id, with the full raw CloudTrail record (request parameters, response elements, identity details).',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) =>
      guarded(GET_EVENT, async () => {
        const window = resolveWindow(args, ctx.now());
        const opts = storeOptions(extra, ctx.log);
        const found = indexedInMemory(ctx.store) ? await fromIndex(ctx, args.event_id, window, opts) : await fromScan(ctx, args.event_id, window, opts);
        if (found) return structuredResult({ event: compactEvent(found, args.include_raw) });
        const where = args.start_time || args.end_time ? ' in the given time window' : '';
        throw new ArgumentError(`no event with event_id "${args.event_id}"${where}`);
      }),
  );
};

/** Local sources: the id index (the first event with that id in time order, as a scan would find it). */
async function fromIndex(ctx: ToolContext, id: string, window: TimeWindow, opts: QueryOptions): Promise<TrailEvent | undefined> {
  const index = await storeIndex(ctx, opts);
  const i = index.find(id, window);
  return i < 0 ? undefined : (await withRecords(ctx, [index.events[i]]))[0];
}

/** Remote sources: `eventId` lets the lookup source ask LookupEvents for the one event; others ignore it and we match here. */
async function fromScan(ctx: ToolContext, id: string, window: TimeWindow, opts: QueryOptions): Promise<TrailEvent | undefined> {
  const filter: EventFilter & { eventId: string } = { ...window, eventId: id };
  for await (const e of ctx.store.scan(filter, opts)) if (e.id === id) return e;
  return undefined;
}
