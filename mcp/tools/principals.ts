import { z } from 'zod';
import { guarded, storeOptions, structuredResult, type ToolRegistrar } from '../context.ts';
import { ERROR, MUTATING, READ_ONLY, type CompiledFilter, type EventIndex } from '../index/event-index.ts';
import { indexFor } from '../index/for-store.ts';
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
        const window = resolveWindow(args, ctx.now());
        const { index, filter } = await indexFor(ctx, { ...eventFilter(args, window), principalType: args.principal_type }, storeOptions(extra, ctx.log));
        const answer = index.cached('principals', filter, () => principalRows(index, filter));
        const rows = [...answer.rows];
        const total = answer.total;
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

/** One row per principal key over the matching events: counters in typed arrays, distinct values through (key, value) pair ids. */
function principalRows(index: EventIndex, filter: CompiledFilter): { rows: Principal[]; total: number } {
  const nk = index.keys.size;
  const events = new Uint32Array(nk);
  const errors = new Uint32Array(nk);
  const readOnly = new Uint32Array(nk);
  const mutating = new Uint32Array(nk);
  const first = new Float64Array(nk);
  const last = new Float64Array(nk);
  // Distinct principals per key in order of first use (their ARNs and access keys) with their event counts, distinct IPs and regions, action counts.
  const principalEvents = new Uint32Array(index.principals.length);
  const principalsOf: number[][] = Array.from({ length: nk }, () => []);
  const actionCount = new Uint32Array(index.keyAction.key.length);
  const ipSeen = new Uint8Array(index.keyIp.key.length);
  const ips = new Uint32Array(nk);
  const regionSeen = new Uint8Array(index.keyRegion.key.length);
  const { time, flags, key, principal } = index;
  const ka = index.keyAction.ids;
  const ki = index.keyIp.ids;
  const kr = index.keyRegion.ids;
  let total = 0;
  for (let i = filter.from; i < filter.to && !filter.none; i++) {
    if (!index.accepts(filter, i)) continue;
    const k = key[i];
    total++;
    if (events[k]++ === 0) first[k] = time[i];
    last[k] = time[i];
    const f = flags[i];
    if (f & ERROR) errors[k]++;
    if (f & READ_ONLY) readOnly[k]++;
    else if (f & MUTATING) mutating[k]++;
    const p = principal[i];
    if (principalEvents[p]++ === 0) principalsOf[k].push(p);
    actionCount[ka[i]]++;
    if (ipSeen[ki[i]] === 0) {
      ipSeen[ki[i]] = 1;
      if (index.ips.names[index.keyIp.value[ki[i]]]) ips[k]++;
    }
    regionSeen[kr[i]] = 1;
  }
  const actionsOf: [string, number][][] = Array.from({ length: nk }, () => []);
  for (let pair = 0; pair < actionCount.length; pair++) {
    if (actionCount[pair] > 0) actionsOf[index.keyAction.key[pair]].push([index.actions.names[index.keyAction.value[pair]], actionCount[pair]]);
  }
  const regionsOf: string[][] = Array.from({ length: nk }, () => []);
  for (let pair = 0; pair < regionSeen.length; pair++) {
    const region = index.regions.names[index.keyRegion.value[pair]];
    if (regionSeen[pair] && region) regionsOf[index.keyRegion.key[pair]].push(region);
  }
  const rows: Principal[] = [];
  for (let k = 0; k < nk; k++) {
    if (events[k] === 0) continue;
    const who = index.principals[representative(index, principalsOf[k], principalEvents)];
    const arns = new Set<string>();
    const accessKeys = new Set<string>();
    for (const p of principalsOf[k]) {
      const { arn, accessKeyId } = index.principals[p];
      if (arn && arns.size < 5) arns.add(arn);
      if (accessKeyId) accessKeys.add(accessKeyId);
    }
    rows.push({
      // Key order as the rows have always been written, so the JSON text stays the same.
      key: who.key,
      type: who.type,
      name: who.name,
      events: events[k],
      errors: errors[k],
      read_only: readOnly[k],
      mutating: mutating[k],
      ...(who.human ? { human: who.human } : {}),
      arns: [...arns],
      access_key_ids: accessKeys.size,
      distinct_actions: actionsOf[k].length,
      regions: regionsOf[k].sort(),
      source_ips: ips[k],
      first_seen: iso(first[k])!,
      last_seen: iso(last[k])!,
      top_actions: actionsOf[k]
        .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
        .slice(0, 5)
        .map(([action, count]) => ({ action, count })),
    });
  }
  return { rows, total };
}

/**
 * The identity a row describes (its type, name and person): the key's principal with the most events among
 * those of a known type, the first seen on a tie. Not simply the first event's: an IAM Identity Center user's
 * first event is often a sign-in, whose userIdentity.type is "Unknown", before the role sessions that do the work.
 */
function representative(index: EventIndex, principals: number[], counts: Uint32Array): number {
  let best = principals[0];
  let bestKnown = false;
  for (const p of principals) {
    const known = isKnownType(index.principals[p].type);
    if ((known && !bestKnown) || (known === bestKnown && counts[p] > counts[best])) {
      best = p;
      bestKnown = known;
    }
  }
  return best;
}

const isKnownType = (type: string): boolean => type !== '' && type !== 'Unknown';
