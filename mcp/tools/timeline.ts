import { z } from 'zod';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
import type { CompiledFilter, EventIndex } from '../index/event-index.ts';
import { ERROR } from '../index/event-index.ts';
import { indexFor } from '../index/for-store.ts';
import { ArgumentError, iso, resolveWindow } from '../time.ts';
import { endTime, errorsOnly, eventFilter, eventName, eventSource, readOnly, startTime, username } from './args.ts';
import { toolInput } from './input.ts';

export const ACTIVITY_TIMELINE = 'get_cloudtrail_activity_timeline';

const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MAX_BUCKETS = 5000;

const input = toolInput({
  start_time: startTime,
  end_time: endTime,
  username,
  event_name: eventName,
  event_source: eventSource,
  read_only: readOnly,
  errors_only: errorsOnly,
  bucket: z.enum(['minute', 'hour', 'day'], { error: 'bucket must be minute, hour or day' }).default('hour').describe('Bucket width (default hour)'),
});

const output = z.object({
  bucket: z.enum(['minute', 'hour', 'day']),
  buckets: z.array(z.object({ start: z.string(), events: z.number().int(), errors: z.number().int(), principals: z.number().int() }))
    .describe('Only buckets with events, oldest first'),
  total_events: z.number().int(),
});

export const registerActivityTimeline: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    ACTIVITY_TIMELINE,
    {
      title: 'CloudTrail activity over time',
      description:
        'Event, error and distinct-principal counts per minute, hour or day (UTC) for the filters given: spot bursts, ' +
        'quiet periods and failure spikes before drilling in with lookup_cloudtrail_events.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) =>
      guarded(ACTIVITY_TIMELINE, async () => {
        const { index, filter } = await indexFor(ctx, eventFilter(args, resolveWindow(args, ctx.now())), storeOptions(extra, ctx.log));
        const { buckets, total } = index.cached(`timeline:${args.bucket}`, filter, () => timeline(index, filter, BUCKET_MS[args.bucket], args.bucket));
        return structuredResult({ bucket: args.bucket, buckets, total_events: total });
      }),
  );
};

/** Buckets with events, oldest first. Events come in time order, so each bucket is finished before the next starts. */
function timeline(index: EventIndex, filter: CompiledFilter, width: number, unit: string) {
  const buckets: { start: string; events: number; errors: number; principals: number }[] = [];
  // The bucket number each principal key was last counted in: distinct principals without a set per bucket.
  const counted = new Float64Array(index.keys.size).fill(NaN);
  const { time, flags, key } = index;
  let current = NaN;
  let b = { start: '', events: 0, errors: 0, principals: 0 };
  let total = 0;
  for (let i = filter.from; i < filter.to && !filter.none; i++) {
    if (!index.accepts(filter, i)) continue;
    const start = Math.floor(time[i] / width) * width;
    if (start !== current) {
      if (buckets.length >= MAX_BUCKETS) throw new ArgumentError(`more than ${MAX_BUCKETS} ${unit} buckets: use a wider bucket or a shorter start_time/end_time window`);
      current = start;
      buckets.push((b = { start: iso(start)!, events: 0, errors: 0, principals: 0 }));
    }
    b.events++;
    total++;
    if (flags[i] & ERROR) b.errors++;
    if (counted[key[i]] !== start) {
      counted[key[i]] = start;
      b.principals++;
    }
  }
  return { buckets, total };
}
