/**
 * The `cloudtrail` table: the columns, names and types of the CloudTrail table in Athena's documentation
 * ("Create a table for CloudTrail logs in Athena using manual partitioning", the DDL in docs/athena.md), so a
 * query written against the local engine runs on Athena unchanged. One description drives the DuckDB load (JSON
 * key → column), the Athena-style DDL shown to users and the MCP schema resource.
 *
 * Like Athena's: every leaf is a string (`eventtime` is ISO text, `readonly` is 'true' / 'false'), JSON-valued
 * fields (`requestparameters`, `responseelements`, ...) hold the JSON text, `resources` is an array of structs,
 * and the partition columns `region` and `timestamp` ('yyyy/MM/dd') come from the S3 delivery path.
 */

/** A column or struct field: its Athena (lower-case) name, the record key it reads, and its shape. */
export interface Field {
  name: string;
  key: string;
  type: 'string' | 'map' | Field[] | { array: Field[] };
  doc?: string;
}

const s = (name: string, key: string, doc?: string): Field => ({ name, key, type: 'string', doc });
/** A string field whose JSON key is the name with some letters in upper case: `s2('accountId')` reads `accountId` as `accountid`. */
const s2 = (key: string, doc?: string): Field => s(key.toLowerCase(), key, doc);
const struct = (key: string, fields: Field[], doc?: string): Field => ({ name: key.toLowerCase(), key, type: fields, doc });

const SESSION_ISSUER = [s2('type'), s2('principalId'), s2('arn'), s2('accountId'), s2('userName')];

export const CLOUDTRAIL_COLUMNS: Field[] = [
  s2('eventVersion'),
  struct(
    'userIdentity',
    [
      s2('type'),
      s2('principalId'),
      s2('arn'),
      s2('accountId'),
      s2('invokedBy'),
      s2('accessKeyId'),
      s2('userName'),
      struct('onBehalfOf', [s2('userId'), s2('identityStoreArn')]),
      struct('sessionContext', [
        struct('attributes', [s2('mfaAuthenticated'), s2('creationDate')]),
        struct('sessionIssuer', SESSION_ISSUER),
        s2('ec2RoleDelivery'),
        struct('webIdFederationData', [s2('federatedProvider'), { name: 'attributes', key: 'attributes', type: 'map' }]),
        // Not in Athena's documented DDL (add it there to have it): the person behind a role session, which
        // prediction groups events by, so the engine-backed `files` store needs it to match the files.
        s2('sourceIdentity', 'local table only: not in the documented Athena DDL'),
      ]),
    ],
    'who made the call',
  ),
  s2('eventTime', "ISO 8601 text, e.g. '2026-10-27T05:25:12Z': compare with ISO strings"),
  s2('eventSource'),
  s2('eventName'),
  s2('awsRegion'),
  s('sourceipaddress', 'sourceIPAddress'),
  s2('userAgent'),
  s2('errorCode'),
  s2('errorMessage'),
  s2('requestParameters', 'JSON text'),
  s2('responseElements', 'JSON text'),
  s2('additionalEventData', 'JSON text'),
  s('requestid', 'requestID'),
  s('eventid', 'eventID'),
  { name: 'resources', key: 'resources', type: { array: [s('arn', 'ARN'), s2('accountId'), s2('type')] } },
  s2('eventType'),
  s2('apiVersion'),
  s2('readOnly', "'true' or 'false'"),
  s2('recipientAccountId'),
  s2('serviceEventDetails', 'JSON text'),
  s('sharedeventid', 'sharedEventID'),
  s2('vpcEndpointId'),
  s2('vpcEndpointAccountId'),
  s2('eventCategory'),
  struct('addendum', [s2('reason'), s2('updatedFields'), s2('originalRequestID'), s2('originalEventID')]),
  s2('sessionCredentialFromConsole'),
  s2('edgeDeviceDetails', 'JSON text'),
  struct('tlsDetails', [s2('tlsVersion'), s2('cipherSuite'), s2('clientProvidedHostHeader')]),
];

/** Athena's partition columns (partition projection over the S3 layout), derived here from each file's path. */
export const PARTITION_COLUMNS: Field[] = [s('region', 'region', 'partition: the region folder of the delivery path'), s('timestamp', 'timestamp', "partition: 'yyyy/MM/dd' of the delivery path")];

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** DuckDB type of one field as read from the files: JSON key names, so the reader matches them (it is case-sensitive). */
export function readType(f: Field): string {
  return f.type === 'string' ? 'VARCHAR' : f.type === 'map' ? 'MAP(VARCHAR, VARCHAR)' : Array.isArray(f.type) ? recordReadType(f.type) : `${recordReadType(f.type.array)}[]`;
}

/** DuckDB type of one record as read from the files. */
export function recordReadType(fields: Field[] = CLOUDTRAIL_COLUMNS): string {
  return `STRUCT(${fields.map((f) => `${ident(f.key)} ${readType(f)}`).join(', ')})`;
}

/**
 * SQL turning a record `r` as read (JSON key names) into the table's lower-case columns. A struct cast matches
 * field names case-insensitively, so `userIdentity.sessionContext.sessionIssuer` becomes
 * `useridentity.sessioncontext.sessionissuer` without naming every field.
 */
export function projection(source = 'r'): string {
  return CLOUDTRAIL_COLUMNS.map((f) => `${f.type === 'string' ? `${source}.${ident(f.key)}` : `CAST(${source}.${ident(f.key)} AS ${duckType(f)})`} AS ${ident(f.name)}`).join(',\n  ');
}

/** Hive / Athena spelling of a field's type: `STRING`, `STRUCT<arn:STRING,...>`, `ARRAY<STRUCT<...>>`. */
export function athenaType(f: Field): string {
  if (f.type === 'string') return 'STRING';
  if (f.type === 'map') return 'MAP<STRING,STRING>';
  const fields = Array.isArray(f.type) ? f.type : f.type.array;
  const st = `STRUCT<${fields.map((g) => `${g.name}:${athenaType(g)}`).join(',')}>`;
  return Array.isArray(f.type) ? st : `ARRAY<${st}>`;
}

/** DuckDB spelling of the same type. */
export function duckType(f: Field): string {
  if (f.type === 'string') return 'VARCHAR';
  if (f.type === 'map') return 'MAP(VARCHAR, VARCHAR)';
  const fields = Array.isArray(f.type) ? f.type : f.type.array;
  const st = `STRUCT(${fields.map((g) => `${ident(g.name)} ${duckType(g)}`).join(', ')})`;
  return Array.isArray(f.type) ? st : `${st}[]`;
}

/** `CREATE TABLE cloudtrail (...)` for DuckDB, columns in the documented order, partition columns last. */
export function createTableSql(table = 'cloudtrail'): string {
  return `CREATE TABLE ${ident(table)} (\n  ${[...CLOUDTRAIL_COLUMNS, ...PARTITION_COLUMNS].map((f) => `${ident(f.name)} ${duckType(f)}`).join(',\n  ')}\n)`;
}

export interface SchemaColumn {
  name: string;
  /** Athena / Hive type, e.g. `STRING`, `ARRAY<STRUCT<arn:STRING,accountid:STRING,type:STRING>>`. */
  type: string;
  doc?: string;
}

/** The table as the schema resource and docs show it. */
export function tableSchema(): { table: string; columns: SchemaColumn[] } {
  return {
    table: 'cloudtrail',
    columns: [...CLOUDTRAIL_COLUMNS, ...PARTITION_COLUMNS].map((f) => ({ name: f.name, type: athenaType(f), ...(f.doc ? { doc: f.doc } : {}) })),
  };
}
