import { z } from 'zod';
import type { EventNameCount } from '../../cloudtrail/query.ts';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
import type { CompiledFilter, EventIndex } from '../index/event-index.ts';
import { indexedInMemory, indexFor } from '../index/for-store.ts';
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
        const filter = { start, end, principal: args.username, eventSource: args.event_source };
        const opts = storeOptions(extra, ctx.log);
        // Remote sources count where the data is (Athena GROUP BY); local ones from the shared index.
        let all: EventNameCount[];
        if (indexedInMemory(ctx.store)) {
          const { index, filter: compiled } = await indexFor(ctx, filter, opts);
          all = index.cached('event-names', compiled, () => countNames(index, compiled));
        } else {
          all = await ctx.store.eventNames(filter, opts);
        }
        return structuredResult({
          event_names: all.slice(0, args.top).map(({ source, name, count }) => ({ source, name, count })),
          distinct: all.length,
          total_events: all.reduce((n, c) => n + c.count, 0),
        });
      }),
  );
};

/** Counts per action, most frequent first; ties by name, then by first occurrence (as cloudtrail/query.ts countEventNames). */
export function countNames(index: EventIndex, filter: CompiledFilter): EventNameCount[] {
  const counts = new Uint32Array(index.actions.size);
  const first = new Int32Array(index.actions.size).fill(-1);
  const action = index.action;
  if (filter.none) return [];
  for (let i = filter.from; i < filter.to; i++) {
    if (!index.accepts(filter, i)) continue;
    const a = action[i];
    if (counts[a]++ === 0) first[a] = i;
  }
  const seen: number[] = [];
  for (let a = 0; a < counts.length; a++) if (counts[a] > 0) seen.push(a);
  seen.sort((a, b) => first[a] - first[b]);
  return seen
    .map((a) => ({ source: index.actionSource[a], name: index.actionName[a], count: counts[a] }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}
