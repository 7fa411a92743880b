import type { CloudTrailRecord } from '../record.ts';
import type { EventFilter, EventNamesQuery } from '../query.ts';

/**
 * SQL for the standard CloudTrail table in Athena (see docs/athena.md): built from an EventQuery with every
 * value escaped as a string literal and every identifier validated, pruned by the partition-projection columns
 * `region` and `timestamp` ('yyyy/MM/dd'), and rows mapped back to CloudTrail records.
 *
 * The same builder serves the local DuckDB `cloudtrail` table (the engine-backed `files` store): the few
 * places where Trino and DuckDB spell things differently are a `SqlDialect`; a TableRef means Trino.
 */

export interface TableRef {
  catalog?: string;
  database: string;
  table: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CATALOG = /^[A-Za-z0-9_-]+$/;

/** A double-quoted identifier, after checking it is a plain name (no quoting games, no dots). */
export function quoteIdent(name: string, what = 'identifier'): string {
  if (!IDENT.test(name) || name.length > 255) throw new Error(`Invalid Athena ${what} "${name}": use letters, digits and underscores only.`);
  return `"${name}"`;
}

export function tableName(t: TableRef): string {
  const parts = [quoteIdent(t.database, 'database name'), quoteIdent(t.table, 'table name')];
  if (t.catalog) {
    if (!CATALOG.test(t.catalog)) throw new Error(`Invalid Athena catalog name "${t.catalog}".`);
    parts.unshift(`"${t.catalog}"`);
  }
  return parts.join('.');
}

/** A SQL string literal: single quotes doubled (Trino has no backslash escapes); control characters refused. */
export function literal(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) throw new Error('Query values may not contain control characters.');
  return `'${value.replace(/'/g, "''")}'`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What differs between the engines for the SQL built here. */
export interface SqlDialect {
  /** The table, as it goes after FROM. */
  from: string;
  /** The event's instant, comparable with `timeLiteral`. */
  time: string;
  timeLiteral(ms: number): string;
  /** The event's id as events carry it (default `eventid`): orders ties and keys cursors. */
  id?: string;
  /** A struct or array column as JSON text. */
  jsonText(column: string): string;
  /** The last '/'-separated part of a string expression. */
  lastPart(expr: string): string;
  /** Sorted, comma-joined distinct values of a column (status). */
  distinctList(column: string): string;
  /** Add predicates on the partition columns (Athena reads fewer S3 objects; they only cost locally). */
  prunePartitions: boolean;
  /** Columns read besides EVENT_COLUMNS (the local table carries more of the record than the mapping needs). */
  extraColumns?: string[];
  /** Principal conditions besides the standard table's (columns only the local table has). */
  extraPrincipal?: (value: string) => string[];
}

/** Athena (Trino) over the configured table. */
export const trino = (t: TableRef): SqlDialect => ({
  from: tableName(t),
  time: 'from_iso8601_timestamp(eventtime)',
  timeLiteral: (ms) => `from_iso8601_timestamp(${literal(iso(ms))})`,
  jsonText: (c) => `json_format(CAST(${c} AS JSON))`,
  lastPart: (e) => `element_at(split(${e}, '/'), -1)`,
  distinctList: (c) => `array_join(array_sort(array_agg(DISTINCT ${c})), ',')`,
  prunePartitions: true,
});

const dialectOf = (t: TableRef | SqlDialect): SqlDialect => ('from' in t ? t : trino(t));

/** The `timestamp` partition value (projection format 'yyyy/MM/dd', UTC) of an instant. */
export const partitionDay = (ms: number): string => iso(ms).slice(0, 10).replace(/-/g, '/');

/** Columns of the standard table that the event mapping needs; structs come back as JSON text. */
export const eventColumns = (d: SqlDialect): string[] => [
  'eventid',
  'eventtime',
  'eventversion',
  'eventsource',
  'eventname',
  'eventtype',
  'awsregion',
  'recipientaccountid',
  'sourceipaddress',
  'useragent',
  'errorcode',
  'errormessage',
  'readonly',
  'requestid',
  'sharedeventid',
  `${d.jsonText('useridentity')} AS useridentity`,
  `${d.jsonText('resources')} AS resources`,
  'requestparameters',
  'responseelements',
  'additionaleventdata',
  ...(d.extraColumns ?? []),
];

/**
 * A superset of `principalMatches` expressible in SQL over the standard useridentity struct; the store applies
 * `matches` to the rows afterwards, so the result is exact. (The standard table has no sourceIdentity column:
 * a person known only through sourceIdentity is not found by Athena.)
 */
function principalCondition(d: SqlDialect, who: string): string {
  const v = literal(who);
  const ors = [
    `useridentity.username = ${v}`,
    `useridentity.arn = ${v}`,
    `useridentity.accesskeyid = ${v}`,
    `useridentity.sessioncontext.sessionissuer.username = ${v}`,
    `useridentity.onbehalfof.userid = ${v}`,
    `${d.lastPart('useridentity.arn')} = ${v}`,
    `(useridentity.type = 'AWSService' AND useridentity.invokedby = ${v})`,
    `(useridentity.type = 'AWSAccount' AND (useridentity.accountid = ${v} OR useridentity.principalid = ${v}))`,
  ];
  ors.push(...(d.extraPrincipal?.(v) ?? []));
  if (who === 'root') ors.push(`useridentity.type = 'Root'`);
  return `(${ors.join(' OR ')})`;
}

export interface WhereOptions {
  /** Restrict the `region` partition (and so the S3 prefixes read). */
  regions?: string[];
  /** Keyset position: rows strictly after (t, id) in `order`. */
  after?: { t: number; id: string };
  order?: 'asc' | 'desc';
}

export function whereClause(f: EventFilter, o: WhereOptions, d: SqlDialect): string {
  const c: string[] = [];
  const time = d.time;
  // Partition pruning first: Athena reads only the days and regions named here.
  if (!d.prunePartitions) {
    // The local table has no S3 objects to skip.
  } else if (f.start !== undefined && f.end !== undefined) c.push(`"timestamp" BETWEEN ${literal(partitionDay(f.start))} AND ${literal(partitionDay(Math.max(f.start, f.end - 1)))}`);
  else if (f.start !== undefined) c.push(`"timestamp" >= ${literal(partitionDay(f.start))}`);
  else if (f.end !== undefined) c.push(`"timestamp" <= ${literal(partitionDay(f.end - 1))}`);
  if (o.regions?.length) c.push(`region IN (${o.regions.map(literal).join(', ')})`);
  if (f.start !== undefined) c.push(`${time} >= ${d.timeLiteral(f.start)}`);
  if (f.end !== undefined) c.push(`${time} < ${d.timeLiteral(f.end)}`);
  if (f.eventName !== undefined) c.push(`eventname = ${literal(f.eventName)}`);
  if (f.eventSource !== undefined) c.push(`eventsource = ${literal(f.eventSource)}`);
  if (f.readOnly !== undefined) c.push(`readonly = ${literal(String(f.readOnly))}`);
  if (f.errorsOnly) c.push(`errorcode IS NOT NULL`);
  if (f.principal !== undefined) c.push(principalCondition(d, f.principal));
  if (o.after) {
    const op = o.order === 'desc' ? '<' : '>';
    const t = d.timeLiteral(o.after.t);
    c.push(`(${time} ${op} ${t} OR (${time} = ${t} AND ${d.id ?? 'eventid'} ${op} ${literal(o.after.id)}))`);
  }
  return c.length ? `WHERE ${c.join('\n  AND ')}` : '';
}

export function eventsSql(t: TableRef | SqlDialect, f: EventFilter, o: WhereOptions & { limit?: number } = {}): string {
  const d = dialectOf(t);
  const dir = o.order === 'desc' ? 'DESC' : 'ASC';
  return [
    `SELECT ${eventColumns(d).join(', ')}`,
    `FROM ${d.from}`,
    whereClause(f, o, d),
    `ORDER BY ${d.time} ${dir}, ${d.id ?? 'eventid'} ${dir}`,
    o.limit !== undefined ? `LIMIT ${Math.floor(o.limit)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function eventNamesSql(t: TableRef | SqlDialect, q: EventNamesQuery, o: WhereOptions = {}): string {
  const d = dialectOf(t);
  return [
    `SELECT eventsource, eventname, count(*) AS events`,
    `FROM ${d.from}`,
    whereClause({ start: q.start, end: q.end, principal: q.principal, eventSource: q.eventSource }, o, d),
    `GROUP BY eventsource, eventname`,
    `ORDER BY events DESC, eventname ASC, eventsource ASC`,
    q.top ? `LIMIT ${Math.floor(q.top)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function statusSql(t: TableRef | SqlDialect, o: WhereOptions = {}): string {
  const d = dialectOf(t);
  return [
    `SELECT count(*) AS events, min(eventtime) AS first_event, max(eventtime) AS last_event, ${d.distinctList('awsregion')} AS regions`,
    `FROM ${d.from}`,
    whereClause({}, o, d),
  ]
    .filter(Boolean)
    .join('\n');
}

// Hive lower-cases struct field names; CloudTrail records use camelCase.
const CAMEL: Record<string, string> = {
  principalid: 'principalId',
  accountid: 'accountId',
  invokedby: 'invokedBy',
  accesskeyid: 'accessKeyId',
  username: 'userName',
  onbehalfof: 'onBehalfOf',
  userid: 'userId',
  identitystorearn: 'identityStoreArn',
  sessioncontext: 'sessionContext',
  mfaauthenticated: 'mfaAuthenticated',
  creationdate: 'creationDate',
  sessionissuer: 'sessionIssuer',
  ec2roledelivery: 'ec2RoleDelivery',
  webidfederationdata: 'webIdFederationData',
  federatedprovider: 'federatedProvider',
  sourceidentity: 'sourceIdentity',
  identityprovider: 'identityProvider',
  credentialid: 'credentialId',
  inscopeof: 'inScopeOf',
  tlsversion: 'tlsVersion',
  ciphersuite: 'cipherSuite',
  clientprovidedhostheader: 'clientProvidedHostHeader',
  updatedfields: 'updatedFields',
  originalrequestid: 'originalRequestID',
  originaleventid: 'originalEventID',
};

/** Renames struct fields to CloudTrail's spelling and drops nulls; map-typed values keep their keys. */
function camelise(value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => camelise(v));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    const key = keepKeys ? k : (CAMEL[k] ?? k);
    // webIdFederationData.attributes is a map<string,string>: its keys are data, not field names.
    out[key] = camelise(v, key === 'attributes' && value !== null && 'federatedprovider' in (value as object));
  }
  return out;
}

const parseJson = (s: string | undefined): unknown => {
  if (s === undefined || s === '') return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return s; // Kept as text rather than lost.
  }
};

/** A row of `eventsSql` (column name → text or null) back to a CloudTrail record. */
export function rowToRecord(row: Record<string, string | undefined>): Record<string, unknown> {
  const resources = (parseJson(row.resources) as Record<string, unknown>[] | undefined)?.map((r) => {
    const res: Record<string, unknown> = {};
    if (r.arn != null) res.ARN = r.arn;
    if (r.accountid != null) res.accountId = r.accountid;
    if (r.type != null) res.type = r.type;
    return res;
  });
  const rec: Record<string, unknown> = {
    eventVersion: row.eventversion,
    userIdentity: camelise(parseJson(row.useridentity)),
    eventTime: row.eventtime,
    eventSource: row.eventsource,
    eventName: row.eventname,
    awsRegion: row.awsregion,
    sourceIPAddress: row.sourceipaddress,
    userAgent: row.useragent,
    errorCode: row.errorcode,
    errorMessage: row.errormessage,
    requestParameters: parseJson(row.requestparameters),
    responseElements: parseJson(row.responseelements),
    additionalEventData: parseJson(row.additionaleventdata),
    requestID: row.requestid,
    eventID: row.eventid,
    eventType: row.eventtype,
    readOnly: row.readonly,
    resources,
    recipientAccountId: row.recipientaccountid,
    sharedEventID: row.sharedeventid,
    // Read by the local engine only (SqlDialect.extraColumns); Athena's rows leave them undefined.
    apiVersion: row.apiversion,
    vpcEndpointId: row.vpcendpointid,
    vpcEndpointAccountId: row.vpcendpointaccountid,
    eventCategory: row.eventcategory,
    serviceEventDetails: parseJson(row.serviceeventdetails),
    sessionCredentialFromConsole: row.sessioncredentialfromconsole,
    edgeDeviceDetails: parseJson(row.edgedevicedetails),
    addendum: camelise(parseJson(row.addendum)),
    tlsDetails: camelise(parseJson(row.tlsdetails)),
  };
  for (const k of Object.keys(rec)) if (rec[k] === undefined || rec[k] === null) delete rec[k];
  return rec satisfies Partial<CloudTrailRecord>;
}
