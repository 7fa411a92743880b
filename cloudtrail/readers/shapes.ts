/**
 * Recognises every shape CloudTrail arrives in, from the content (not the file name):
 * S3 delivery files `{"Records":[...]}`, LookupEvents results `{"Events":[{"CloudTrailEvent":"<json>"}]}`,
 * JSON arrays of records and NDJSON (one record per line). Digest and Insight files are recognised and skipped.
 */

export type Shape = 'delivery' | 'lookup' | 'array' | 'ndjson' | 'record';
export type SkippedShape = 'digest' | 'insight';

export const NOT_CLOUDTRAIL =
  'not CloudTrail: expected {"Records":[...]}, a LookupEvents result, an array or NDJSON of records with eventTime/eventSource/eventName';

/** A file that cannot be read as CloudTrail; the message names the file. */
export class CloudTrailFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'CloudTrailFileError';
  }
}

export type Extracted =
  | { shape: Shape; records: unknown[]; /** lines of NDJSON that were not JSON */ badLines: number }
  | { shape: SkippedShape; records: []; badLines: 0 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const looksLikeRecord = (v: unknown): boolean =>
  isObject(v) && typeof v.eventTime === 'string' && typeof v.eventSource === 'string' && typeof v.eventName === 'string';

/** LookupEvents wraps each record as a JSON string; older or trimmed outputs may only have the PascalCase fields. */
function fromLookupEvent(e: unknown): unknown {
  if (!isObject(e)) return e;
  if (typeof e.CloudTrailEvent === 'string') {
    try {
      return JSON.parse(e.CloudTrailEvent);
    } catch {
      return { invalidCloudTrailEvent: true };
    }
  }
  const t = e.EventTime;
  const time = typeof t === 'number' ? new Date(t * 1000).toISOString() : typeof t === 'string' ? t : undefined;
  return {
    eventID: e.EventId,
    eventName: e.EventName,
    eventSource: e.EventSource,
    eventTime: time,
    readOnly: e.ReadOnly,
    userIdentity: typeof e.Username === 'string' ? { userName: e.Username, accessKeyId: e.AccessKeyId } : undefined,
    resources: Array.isArray(e.Resources)
      ? e.Resources.filter(isObject).map((r) => ({ type: r.ResourceType, ARN: r.ResourceName }))
      : undefined,
  };
}

/** Insight deliveries share the `{"Records":[...]}` shape; their first record says what they are. */
export const isInsight = (first: unknown): boolean => isObject(first) && (first.eventType === 'AwsCloudTrailInsight' || first.eventCategory === 'Insight');

function fromObject(doc: Record<string, unknown>): Extracted | undefined {
  if (Array.isArray(doc.Records)) {
    if (isInsight(doc.Records[0])) {
      return { shape: 'insight', records: [], badLines: 0 };
    }
    return { shape: 'delivery', records: doc.Records, badLines: 0 };
  }
  if (typeof doc.digestStartTime === 'string' && Array.isArray(doc.logFiles)) return { shape: 'digest', records: [], badLines: 0 };
  if (Array.isArray(doc.Events) && doc.Events.every((e) => isObject(e) && ('CloudTrailEvent' in e || 'EventName' in e))) {
    return { shape: 'lookup', records: doc.Events.map(fromLookupEvent), badLines: 0 };
  }
  if (looksLikeRecord(doc)) return { shape: 'record', records: [doc], badLines: 0 };
  return undefined;
}

function ndjson(text: string): Extracted | undefined {
  const records: unknown[] = [];
  let badLines = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (!line) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      badLines++;
    }
  }
  if (!records.some(looksLikeRecord)) return undefined;
  return { shape: 'ndjson', records, badLines };
}

/** Finds the records in a file's text; throws CloudTrailFileError naming `file` when it is not CloudTrail. */
export function extractRecords(text: string, file: string): Extracted {
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < text.length && /\s/.test(text[i])) i++;
  const c = text[i];
  if (c !== '{' && c !== '[') throw new CloudTrailFileError(file, i >= text.length ? `empty file; ${NOT_CLOUDTRAIL}` : NOT_CLOUDTRAIL);
  let doc: unknown;
  try {
    doc = JSON.parse(i ? text.slice(i) : text);
  } catch (err) {
    if (c === '{' && text.indexOf('\n', i) > 0) {
      const lines = ndjson(text);
      if (lines) return lines;
    }
    throw new CloudTrailFileError(file, `invalid JSON (${(err as Error).message}); ${NOT_CLOUDTRAIL}`);
  }
  if (Array.isArray(doc)) {
    if (doc.length === 0 || doc.slice(0, 20).some(looksLikeRecord)) return { shape: 'array', records: doc, badLines: 0 };
    throw new CloudTrailFileError(file, NOT_CLOUDTRAIL);
  }
  const found = isObject(doc) ? fromObject(doc) : undefined;
  if (!found) throw new CloudTrailFileError(file, NOT_CLOUDTRAIL);
  return found;
}

/**
 * Why a record cannot be used, or undefined when it can. A fast structural check matching CloudTrailRecord's
 * requirements, in which null means absent for the optional fields (as in the schema).
 */
export function invalidReason(r: unknown, time?: number): string | undefined {
  if (!isObject(r)) return 'not an object';
  if (typeof r.eventTime !== 'string') return 'eventTime missing or not a string';
  // `time`, when given, is Date.parse(r.eventTime) already computed by the caller.
  if (!Number.isFinite(time ?? Date.parse(r.eventTime))) return `eventTime "${r.eventTime.slice(0, 40)}" is not a date`;
  if (typeof r.eventSource !== 'string') return 'eventSource missing or not a string';
  if (typeof r.eventName !== 'string') return 'eventName missing or not a string';
  if (r.userIdentity != null && !isObject(r.userIdentity)) return 'userIdentity is not an object';
  for (const k of ['eventID', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode', 'errorMessage', 'recipientAccountId'] as const) {
    if (r[k] != null && typeof r[k] !== 'string') return `${k} is not a string`;
  }
  if (r.resources != null && (!Array.isArray(r.resources) || !r.resources.every(isObject))) return 'resources is not an array of objects';
  return undefined;
}
