import { z } from 'zod';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
import { CompactEvent, compactEvent } from '../events.ts';
import { iso, resolveWindow } from '../time.ts';
import { toolInput } from './input.ts';
import { boundedInt, endTime, errorsOnly, eventName, eventSource, readOnly, startTime, username } from './args.ts';

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
        const { start, end } = resolveWindow(args, ctx.now());
        const page = await ctx.store.query({
          start,
          end,
          principal: args.username,
          eventName: args.event_name,
          eventSource: args.event_source,
          readOnly: args.read_only,
          errorsOnly: args.errors_only,
          limit: args.max_results,
          cursor: args.cursor,
          order: args.order,
        }, storeOptions(extra));
        const events = page.events.map((e) => compactEvent(e, args.include_raw));
        const result: z.infer<typeof output> = { events, count: events.length, order: args.order };
        if (start !== undefined) result.start_time = iso(start);
        if (end !== undefined) result.end_time = iso(end);
        if (page.nextCursor) result.next_cursor = page.nextCursor;
        return structuredResult(result);
      }),
  );
};
