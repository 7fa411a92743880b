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

/**
 * Built key by key, only the keys that have a value, in one fixed order: the JSON text stays small and the
 * same for equal events, and the objects keep V8's fast shape (deleting keys from a finished object made it a
 * dictionary, and both the SDK's output check and JSON.stringify of a 50-event page ~25% slower).
 */
export function compactEvent(e: TrailEvent, includeRaw = false): CompactEvent {
  const p = e.principal;
  const principal: CompactEvent['principal'] = { type: p.type, name: p.name };
  if (p.arn !== undefined) principal.arn = p.arn;
  if (p.human !== undefined) principal.human = p.human;
  if (p.session !== undefined) principal.session = p.session;
  if (p.accessKeyId !== undefined) principal.accessKeyId = p.accessKeyId;
  // Typed as complete once `resources` is set below, after the optional fields, where the JSON has always had it.
  const out = {
    id: e.id,
    time: new Date(e.time).toISOString(),
    source: e.source,
    name: e.name,
    region: e.region,
    account: e.account,
    principal,
    sourceIp: e.sourceIp,
    userAgent: e.userAgent,
  } as CompactEvent;
  if (e.errorCode !== undefined) out.errorCode = e.errorCode;
  if (e.errorMessage !== undefined) out.errorMessage = e.errorMessage;
  if (e.readOnly !== undefined) out.readOnly = e.readOnly;
  out.resources = e.resources.map(resource);
  if (includeRaw) {
    const raw = e.raw;
    if (raw !== undefined) out.raw = raw as Record<string, unknown>;
  }
  return out;
}

function resource(r: TrailEvent['resources'][number]): CompactEvent['resources'][number] {
  const out: CompactEvent['resources'][number] = {};
  if (r.arn !== undefined) out.arn = r.arn;
  if (r.type !== undefined) out.type = r.type;
  if (r.accountId !== undefined) out.accountId = r.accountId;
  return out;
}

/** Events whose compact JSON is kept: a few pages' worth, so that pages asked again are not serialised again. */
const KEEP_JSON = 8192;

/** An event's compact JSON, and that JSON as the inside of a JSON string (made when an answer is first written as text). */
interface Kept {
  json: string;
  quoted?: string;
}
const jsonOf = new Map<TrailEvent, Kept>();

/** JSON.stringify(json) without its quotes: how the text content carries the JSON. */
export const quotedInside = (json: string): string => JSON.stringify(json).slice(1, -1);

/** The kept entry of events[i] (made and kept when missing), or undefined when it carries its record (large, asked for rarely: not kept). */
function kept(e: TrailEvent, compact: CompactEvent): Kept | undefined {
  if (compact.raw !== undefined) return undefined;
  let k = jsonOf.get(e);
  if (k === undefined) {
    k = { json: JSON.stringify(compact) };
    if (jsonOf.size >= KEEP_JSON) jsonOf.delete(jsonOf.keys().next().value!);
    jsonOf.set(e, k);
  }
  return k;
}

/**
 * JSON.stringify(compact) where compact[i] is compactEvent(events[i]): each event's JSON joined as an array, keeping each event's text (without the
 * raw record) for the next page that holds it: the events of local stores are the same objects on every call and
 * never change. Oldest first out, so remote stores' one-off events only pass through.
 */
export function compactEventsJson(events: readonly TrailEvent[], compact: readonly CompactEvent[]): string {
  const parts = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) parts[i] = kept(events[i], compact[i])?.json ?? JSON.stringify(compact[i]);
  return `[${parts.join(',')}]`;
}

/**
 * quotedInside(compactEventsJson(events, compact)), from each event's kept text: escaping JSON text is
 * character by character (it has no lone surrogates or control characters), so the array's is its parts' joined.
 * The HTTP transport writes a lookup page's text content with it instead of escaping the whole page (~35 KB for
 * 50 events) on every request; the first request of an event escapes and keeps it.
 */
export function compactEventsQuoted(events: readonly TrailEvent[], compact: readonly CompactEvent[]): string {
  const parts = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const k = kept(events[i], compact[i]);
    parts[i] = k ? (k.quoted ??= quotedInside(k.json)) : quotedInside(JSON.stringify(compact[i]));
  }
  return `[${parts.join(',')}]`;
}
