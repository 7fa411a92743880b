/**
 * A local CloudTrail endpoint speaking the JSON 1.1 wire protocol for LookupEvents, so the real
 * @aws-sdk/client-cloudtrail runs unmodified against it. It serves the records it is given (per region, by
 * each record's awsRegion and the request's SigV4 region), newest first, and enforces what AWS enforces:
 * at most one lookup attribute, MaxResults 1..50, and a NextToken only valid with the same attribute and
 * StartTime/EndTime it was issued for. Tests can inject errors (throttling, access denied) and read the
 * recorded requests with their arrival times.
 */
import type { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { awsError, startJsonFake, type JsonFake, type JsonReply, type JsonRequest } from './http-fake.ts';

/** The SDK sends the short form; AWS documents the long one. Both are accepted. */
export const CLOUDTRAIL_TARGETS = ['CloudTrail_20131101', 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101'];

export interface FakeCloudTrail extends JsonFake {
  /** LookupEvents requests only, in arrival order. */
  lookups(): JsonRequest[];
  /** Replies to force, in order, before normal service (e.g. throttling), consumed one per request. */
  inject: JsonReply[];
}

const epochSeconds = (iso: string) => Date.parse(iso) / 1000;

/** What LookupEvents reports as Username: the IAM user name, or the session name of a role session. */
function usernameOf(r: CloudTrailRecord): string | undefined {
  const id = r.userIdentity;
  if (!id) return undefined;
  if (id.userName) return id.userName;
  const m = /:(assumed-role|federated-user)\/(.+)$/.exec(id.arn ?? '');
  if (m) return m[2].split('/').pop();
  return id.type === 'Root' ? 'root' : undefined;
}

function toLookupEvent(r: CloudTrailRecord) {
  return {
    EventId: r.eventID,
    EventName: r.eventName,
    ReadOnly: r.readOnly === undefined ? undefined : String(r.readOnly),
    AccessKeyId: r.userIdentity?.accessKeyId,
    EventTime: epochSeconds(r.eventTime),
    EventSource: r.eventSource,
    Username: usernameOf(r),
    Resources: (r.resources ?? []).map((x) => ({ ResourceType: x.type, ResourceName: x.ARN ?? x.arn })),
    CloudTrailEvent: JSON.stringify(r),
  };
}

function attributeMatches(r: CloudTrailRecord, key: string, value: string): boolean {
  switch (key) {
    case 'EventId':
      return r.eventID === value;
    case 'EventName':
      return r.eventName === value;
    case 'EventSource':
      return r.eventSource === value;
    case 'ReadOnly':
      return String(r.readOnly) === value;
    case 'Username':
      return usernameOf(r) === value;
    case 'AccessKeyId':
      return r.userIdentity?.accessKeyId === value;
    case 'ResourceName':
      return (r.resources ?? []).some((x) => x.ARN === value || x.ARN?.split(/[:/]/).pop() === value);
    case 'ResourceType':
      return (r.resources ?? []).some((x) => x.type === value);
    default:
      return false;
  }
}

export type LookupEventJson = ReturnType<typeof toLookupEvent>;

/** `edit` may change an event as served (e.g. corrupt its CloudTrailEvent) to test defensive parsing. */
export async function startFakeCloudTrail(records: CloudTrailRecord[], opts: { edit?: (e: LookupEventJson) => LookupEventJson } = {}): Promise<FakeCloudTrail> {
  const inject: JsonReply[] = [];
  // Newest first, as AWS returns them; ties broken by id so pages are stable.
  const sorted = [...records].sort((a, b) => epochSeconds(b.eventTime) - epochSeconds(a.eventTime) || String(b.eventID).localeCompare(String(a.eventID)));

  function lookupEvents(req: JsonRequest): JsonReply {
    const b = req.body as { LookupAttributes?: { AttributeKey: string; AttributeValue: string }[]; StartTime?: number; EndTime?: number; MaxResults?: number; NextToken?: string };
    const attrs = b.LookupAttributes ?? [];
    if (attrs.length > 1) return awsError('InvalidLookupAttributesException', 'You can specify only one lookup attribute per request.');
    const max = b.MaxResults ?? 50;
    if (max < 1 || max > 50) return awsError('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
    if (b.StartTime !== undefined && b.EndTime !== undefined && b.StartTime > b.EndTime) return awsError('InvalidTimeRangeException', 'StartTime must be before EndTime.');
    const fingerprint = JSON.stringify([req.region, attrs, b.StartTime ?? null, b.EndTime ?? null]);
    let offset = 0;
    if (b.NextToken) {
      const token = JSON.parse(Buffer.from(b.NextToken, 'base64').toString('utf8')) as { f: string; o: number };
      if (token.f !== fingerprint) return awsError('InvalidNextTokenException', 'A token was used with different lookup attributes or time range than the request that issued it.');
      offset = token.o;
    }
    const hits = sorted.filter((r) => {
      if ((r.awsRegion ?? 'us-east-1') !== req.region) return false;
      const t = epochSeconds(r.eventTime);
      if (b.StartTime !== undefined && t < b.StartTime) return false;
      if (b.EndTime !== undefined && t > b.EndTime) return false;
      return attrs.every((a) => attributeMatches(r, a.AttributeKey, a.AttributeValue));
    });
    const page = hits.slice(offset, offset + max);
    const next = offset + max < hits.length ? Buffer.from(JSON.stringify({ f: fingerprint, o: offset + max })).toString('base64') : undefined;
    return { body: { Events: page.map((r) => (opts.edit ?? ((e) => e))(toLookupEvent(r))), NextToken: next } };
  }

  const fake = await startJsonFake({
    targetPrefix: CLOUDTRAIL_TARGETS,
    handle: (req) => {
      const forced = inject.shift();
      if (forced) return forced;
      if (req.operation === 'LookupEvents') return lookupEvents(req);
      return awsError('UnknownOperationException', `operation ${req.operation} is not faked`);
    },
  });
  return Object.assign(fake, { inject, lookups: () => fake.requests.filter((r) => r.operation === 'LookupEvents') });
}
