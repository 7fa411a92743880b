import { z } from 'zod';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
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
        const width = BUCKET_MS[args.bucket];
        const acc = new Map<number, { events: number; errors: number; who: Set<string> }>();
        let total = 0;
        for await (const e of ctx.store.scan(eventFilter(args, resolveWindow(args, ctx.now())), storeOptions(extra))) {
          const b = Math.floor(e.time / width) * width;
          let a = acc.get(b);
          if (!a) {
            if (acc.size >= MAX_BUCKETS) throw new ArgumentError(`more than ${MAX_BUCKETS} ${args.bucket} buckets: use a wider bucket or a shorter start_time/end_time window`);
            acc.set(b, (a = { events: 0, errors: 0, who: new Set() }));
          }
          a.events++;
          total++;
          if (e.errorCode) a.errors++;
          a.who.add(e.principal.key);
        }
        const buckets = [...acc]
          .sort((x, y) => x[0] - y[0])
          .map(([t, a]) => ({ start: iso(t)!, events: a.events, errors: a.errors, principals: a.who.size }));
        return structuredResult({ bucket: args.bucket, buckets, total_events: total });
      }),
  );
};
