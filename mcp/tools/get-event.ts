import { z } from 'zod';
import type { EventFilter } from '../../cloudtrail/query.ts';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
import { CompactEvent, compactEvent } from '../events.ts';
import { ArgumentError, resolveWindow } from '../time.ts';
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
        // `eventId` lets the lookup source ask LookupEvents for the one event; other sources ignore it and we match here.
        const filter: EventFilter & { eventId: string } = { ...resolveWindow(args, ctx.now()), eventId: args.event_id };
        for await (const e of ctx.store.scan(filter, storeOptions(extra))) {
          if (e.id === args.event_id) return structuredResult({ event: compactEvent(e, args.include_raw) });
        }
        const where = args.start_time || args.end_time ? ' in the given time window' : '';
        throw new ArgumentError(`no event with event_id "${args.event_id}"${where}`);
      }),
  );
};
