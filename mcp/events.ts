import { z } from 'zod';
import type { TrailEvent } from '../cloudtrail/event.ts';

/** The event shape tools return: everything an analyst reads, without the bulky raw record unless asked. */
export const CompactPrincipal = z.object({
  type: z.string(),
  name: z.string(),
  arn: z.string().optional(),
  human: z.string().optional(),
  session: z.string().optional(),
  accessKeyId: z.string().optional(),
});

export const CompactEvent = z.object({
  id: z.string(),
  time: z.string().describe('ISO 8601, UTC'),
  source: z.string(),
  name: z.string(),
  region: z.string(),
  account: z.string(),
  principal: CompactPrincipal,
  sourceIp: z.string(),
  userAgent: z.string(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  readOnly: z.boolean().optional(),
  resources: z.array(z.object({ arn: z.string().optional(), type: z.string().optional(), accountId: z.string().optional() })),
  raw: z.record(z.string(), z.unknown()).optional().describe('The CloudTrail record as delivered (include_raw)'),
});
export type CompactEvent = z.infer<typeof CompactEvent>;

/** Drops undefined keys so JSON output and structuredContent stay small and identical. */
function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

export function compactEvent(e: TrailEvent, includeRaw = false): CompactEvent {
  const p = e.principal;
  return defined({
    id: e.id,
    time: new Date(e.time).toISOString(),
    source: e.source,
    name: e.name,
    region: e.region,
    account: e.account,
    principal: defined({ type: p.type, name: p.name, arn: p.arn, human: p.human, session: p.session, accessKeyId: p.accessKeyId }),
    sourceIp: e.sourceIp,
    userAgent: e.userAgent,
    errorCode: e.errorCode,
    errorMessage: e.errorMessage,
    readOnly: e.readOnly,
    resources: e.resources.map((r) => defined({ ...r })),
    raw: includeRaw ? (e.raw as Record<string, unknown>) : undefined,
  });
}
