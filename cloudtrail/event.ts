import type { CloudTrailRecord, UserIdentity } from './record.ts';

/** Who made a call, reduced to what analysis needs. */
export interface Principal {
  /** userIdentity.type as recorded (IAMUser, AssumedRole, AWSService, ...). */
  type: string;
  /** The identity's ARN as recorded (for an assumed role: the session ARN). */
  arn?: string;
  /** IAM user name, role name, service name, `root`, ... */
  name: string;
  /** Session name of an assumed-role or federated session. */
  session?: string;
  /** The person behind a role session when it can be known (sourceIdentity, SSO user, e-mail session name). */
  human?: string;
  accessKeyId?: string;
  /** Stable grouping key: the person if known, otherwise the principal name. */
  key: string;
}

export interface EventResource {
  arn?: string;
  type?: string;
  accountId?: string;
}

/** The one event type the rest of Trailbook uses, whatever the source. */
export interface TrailEvent {
  id: string;
  /** Epoch milliseconds (UTC). */
  time: number;
  source: string;
  name: string;
  region: string;
  account: string;
  principal: Principal;
  sourceIp: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  /** Undefined when the record does not say. */
  readOnly?: boolean;
  resources: EventResource[];
  /** The record as delivered. Stores may load it lazily. */
  raw: CloudTrailRecord;
}

/** `eventSource:eventName`, the symbol prediction works on. */
export const actionOf = (e: Pick<TrailEvent, 'source' | 'name'>): string => `${e.source}:${e.name}`;

const asBool = (v: unknown): boolean | undefined =>
  typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined;

/** Parses `arn:aws:sts::123:assumed-role/Role/Session` (and federated-user) ARNs. */
function sessionParts(arn: string | undefined): { role?: string; session?: string } {
  if (!arn) return {};
  const m = /:(assumed-role|federated-user)\/(.+)$/.exec(arn);
  if (!m) return {};
  const parts = m[2].split('/');
  if (m[1] === 'federated-user') return { session: parts[0] };
  return { role: parts.slice(0, -1).join('/') || parts[0], session: parts.length > 1 ? parts[parts.length - 1] : undefined };
}

const looksLikePerson = (s: string) => /@/.test(s) || /^[a-z][a-z0-9._-]*\.[a-z][a-z0-9._-]*$/i.test(s);

function humanBehind(id: UserIdentity, roleName: string | undefined, session: string | undefined): string | undefined {
  const sourceIdentity = id.sessionContext?.sourceIdentity;
  if (sourceIdentity) return sourceIdentity;
  if (id.onBehalfOf?.userId) return id.userName ?? id.onBehalfOf.userId;
  if (!session) return undefined;
  // IAM Identity Center roles always carry the user's name as the session name.
  if (roleName?.startsWith('AWSReservedSSO_')) return session;
  return looksLikePerson(session) ? session : undefined;
}

export function normalisePrincipal(id: UserIdentity | undefined): Principal {
  if (!id) return { type: 'Unknown', name: 'unknown', key: 'unknown' };
  const type = id.type ?? 'Unknown';
  const { role, session } = sessionParts(id.arn);
  let name: string;
  switch (type) {
    case 'Root':
      name = 'root';
      break;
    case 'IAMUser':
      name = id.userName ?? id.arn?.split('/').pop() ?? id.principalId ?? 'unknown';
      break;
    case 'AssumedRole':
    case 'Role':
      name = id.sessionContext?.sessionIssuer?.userName ?? role ?? id.principalId?.split(':')[0] ?? 'unknown';
      break;
    case 'FederatedUser':
      name = id.sessionContext?.sessionIssuer?.userName ?? session ?? id.principalId ?? 'unknown';
      break;
    case 'AWSService':
      name = id.invokedBy ?? 'aws-service';
      break;
    case 'AWSAccount':
      name = id.accountId ?? id.principalId ?? 'aws-account';
      break;
    default:
      name = id.userName ?? id.invokedBy ?? id.arn?.split('/').pop() ?? id.principalId ?? 'unknown';
  }
  const human = humanBehind(id, type === 'AssumedRole' ? name : undefined, session);
  return {
    type,
    arn: id.arn,
    name,
    session,
    human,
    accessKeyId: id.accessKeyId,
    key: human ?? name,
  };
}

/** Turns a validated CloudTrail record into the shared event type. */
export function normalise(record: CloudTrailRecord): TrailEvent {
  const time = Date.parse(record.eventTime);
  return {
    id: record.eventID ?? `${record.eventTime}:${record.eventSource}:${record.eventName}:${record.requestID ?? ''}`,
    time,
    source: record.eventSource,
    name: record.eventName,
    region: record.awsRegion ?? '',
    account: record.recipientAccountId ?? record.userIdentity?.accountId ?? '',
    principal: normalisePrincipal(record.userIdentity),
    sourceIp: record.sourceIPAddress ?? '',
    userAgent: record.userAgent ?? '',
    errorCode: record.errorCode,
    errorMessage: record.errorMessage,
    readOnly: asBool(record.readOnly),
    resources: (record.resources ?? []).map((r) => ({ arn: r.ARN ?? r.arn, type: r.type, accountId: r.accountId })),
    raw: record,
  };
}
