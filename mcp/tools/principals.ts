import { z } from 'zod';
import { actionOf } from '../../cloudtrail/event.ts';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
import { iso, resolveWindow } from '../time.ts';
import { boundedInt, endTime, errorsOnly, eventFilter, eventName, eventSource, startTime } from './args.ts';
import { toolInput } from './input.ts';

export const LIST_PRINCIPALS = 'list_cloudtrail_principals';

const input = toolInput({
  start_time: startTime,
  end_time: endTime,
  event_source: eventSource,
  event_name: eventName,
  errors_only: errorsOnly,
  principal_type: z.string({ error: 'principal_type must be a string' }).min(1, { error: 'principal_type must not be empty' }).optional()
    .describe('Only this userIdentity.type, e.g. IAMUser, AssumedRole, AWSService, Root'),
  sort_by: z
    .enum(['events', 'errors', 'last_seen', 'first_seen', 'actions'], { error: 'sort_by must be one of events, errors, last_seen, first_seen, actions' })
    .default('events')
    .describe('Order of the list, largest or latest first (default events)'),
  top: boundedInt('top', 1000, 50, 'How many principals to return'),
});

const Principal = z.object({
  key: z.string().describe('Grouping key: the person behind the calls when known, otherwise the principal name; usable as username'),
  type: z.string(),
  name: z.string(),
  human: z.string().optional(),
  arns: z.array(z.string()).describe('Distinct ARNs seen (up to 5)'),
  access_key_ids: z.number().int().describe('Distinct access keys used'),
  events: z.number().int(),
  errors: z.number().int(),
  read_only: z.number().int().describe('Read-only calls'),
  mutating: z.number().int().describe('Calls that changed something'),
  distinct_actions: z.number().int(),
  regions: z.array(z.string()),
  source_ips: z.number().int().describe('Distinct source IPs'),
  first_seen: z.string(),
  last_seen: z.string(),
  top_actions: z.array(z.object({ action: z.string(), count: z.number().int() })).describe('Most frequent eventSource:eventName (up to 5)'),
});
type Principal = z.infer<typeof Principal>;

const output = z.object({
  principals: z.array(Principal),
  total_principals: z.number().int(),
  total_events: z.number().int(),
});

interface Acc {
  p: Omit<Principal, 'arns' | 'access_key_ids' | 'distinct_actions' | 'regions' | 'source_ips' | 'first_seen' | 'last_seen' | 'top_actions'>;
  first: number;
  last: number;
  arns: Set<string>;
  keys: Set<string>;
  regions: Set<string>;
  ips: Set<string>;
  actions: Map<string, number>;
}

export const registerListPrincipals: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    LIST_PRINCIPALS,
    {
      title: 'CloudTrail principals and their activity',
      description:
        'Who called AWS: one row per principal (person behind role sessions when known) with event and error counts, ' +
        'read-only vs mutating calls, first and last seen, regions, source IPs and top actions.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args, extra) =>
      guarded(LIST_PRINCIPALS, async () => {
        const byKey = new Map<string, Acc>();
        let total = 0;
        for await (const e of ctx.store.scan(eventFilter(args, resolveWindow(args, ctx.now())), storeOptions(extra))) {
          if (args.principal_type !== undefined && e.principal.type !== args.principal_type) continue;
          total++;
          const pr = e.principal;
          let a = byKey.get(pr.key);
          if (!a) {
            a = {
              p: { key: pr.key, type: pr.type, name: pr.name, events: 0, errors: 0, read_only: 0, mutating: 0 },
              first: e.time,
              last: e.time,
              arns: new Set(),
              keys: new Set(),
              regions: new Set(),
              ips: new Set(),
              actions: new Map(),
            };
            if (pr.human) a.p.human = pr.human;
            byKey.set(pr.key, a);
          }
          a.p.events++;
          if (e.errorCode) a.p.errors++;
          if (e.readOnly === true) a.p.read_only++;
          else if (e.readOnly === false) a.p.mutating++;
          a.first = Math.min(a.first, e.time);
          a.last = Math.max(a.last, e.time);
          if (pr.arn && a.arns.size < 5) a.arns.add(pr.arn);
          if (pr.accessKeyId) a.keys.add(pr.accessKeyId);
          if (e.region) a.regions.add(e.region);
          if (e.sourceIp) a.ips.add(e.sourceIp);
          const act = actionOf(e);
          a.actions.set(act, (a.actions.get(act) ?? 0) + 1);
        }
        const rows: Principal[] = [...byKey.values()].map((a) => ({
          ...a.p,
          arns: [...a.arns],
          access_key_ids: a.keys.size,
          distinct_actions: a.actions.size,
          regions: [...a.regions].sort(),
          source_ips: a.ips.size,
          first_seen: iso(a.first)!,
          last_seen: iso(a.last)!,
          top_actions: [...a.actions]
            .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
            .slice(0, 5)
            .map(([action, count]) => ({ action, count })),
        }));
        const metric: Record<typeof args.sort_by, (p: Principal) => number | string> = {
          events: (p) => p.events,
          errors: (p) => p.errors,
          actions: (p) => p.distinct_actions,
          last_seen: (p) => p.last_seen,
          first_seen: (p) => p.first_seen,
        };
        const m = metric[args.sort_by];
        rows.sort((x, y) => {
          const a = m(x);
          const b = m(y);
          return a < b ? 1 : a > b ? -1 : x.key.localeCompare(y.key);
        });
        return structuredResult({ principals: rows.slice(0, args.top), total_principals: rows.length, total_events: total });
      }),
  );
};
