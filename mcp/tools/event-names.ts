import { z } from 'zod';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
import { resolveWindow } from '../time.ts';
import { toolInput } from './input.ts';
import { boundedInt, endTime, eventSource, startTime, username } from './args.ts';

export const EVENT_NAMES = 'get_cloudtrail_event_names';

const input = toolInput({
  start_time: startTime,
  end_time: endTime,
  username,
  event_source: eventSource,
  top: boundedInt('top', 1000, 50, 'How many of the most frequent actions to return'),
});

const output = z.object({
  event_names: z.array(z.object({ source: z.string(), name: z.string(), count: z.number().int() })),
  distinct: z.number().int().describe('Distinct (source, name) pairs matching, before top'),
  total_events: z.number().int().describe('Events matching the filters'),
});

export const registerEventNames: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    EVENT_NAMES,
    {
      title: 'CloudTrail API actions by frequency',
      description:
        'Count events per API action (event source + event name), most frequent first, optionally for one principal, ' +
        'one service and a time window. Use it to see what a principal does or which APIs are busy.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) =>
      guarded(EVENT_NAMES, async () => {
        const { start, end } = resolveWindow(args, ctx.now());
        const all = await ctx.store.eventNames({ start, end, principal: args.username, eventSource: args.event_source }, storeOptions(extra));
        return structuredResult({
          event_names: all.slice(0, args.top).map(({ source, name, count }) => ({ source, name, count })),
          distinct: all.length,
          total_events: all.reduce((n, c) => n + c.count, 0),
        });
      }),
  );
};
