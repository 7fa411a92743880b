/**
 * Null-as-absent for CloudTrail records without zod: the parser threads need only this from record.ts, and zod was
 * 751 of the 827 KB each thread evaluated before parsing a file (issue #14). record.ts derives the same rules from
 * its schemas; a test holds the two equal (test/cloudtrail/record-nulls.test.ts), so a field added to a schema
 * must be added here too.
 *
 * CloudTrail Lake, Athena and SIEM exports write an absent optional field as `null`. For a described field whose
 * type has no null, null means absent; fields typed `unknown` (`requestParameters`, `responseElements`, ...) keep
 * their null, which CloudTrail itself writes, so they are not listed.
 */

/** Per object level: the keys whose null means absent, and the nested objects (or arrays of objects) to visit. */
export interface NullRule {
  nullable: Set<string>;
  nested: [key: string, rule: NullRule, array: boolean][];
}

const rule = (nullable: string[], nested: NullRule['nested'] = []): NullRule => ({ nullable: new Set(nullable), nested });

const SESSION_ISSUER = rule(['type', 'principalId', 'arn', 'accountId', 'userName']);
const WEB_ID_FEDERATION = rule(['federatedProvider', 'attributes']);
const SESSION_ATTRIBUTES = rule(['creationDate', 'mfaAuthenticated']);
const SESSION_CONTEXT = rule(['sessionIssuer', 'webIdFederationData', 'attributes', 'sourceIdentity', 'ec2RoleDelivery', 'assumedRoot'], [
  ['sessionIssuer', SESSION_ISSUER, false],
  ['webIdFederationData', WEB_ID_FEDERATION, false],
  ['attributes', SESSION_ATTRIBUTES, false],
]);
const ON_BEHALF_OF = rule(['userId', 'identityStoreArn']);

export const USER_IDENTITY_NULLS = rule(
  ['type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'sessionContext', 'invokedBy', 'identityProvider', 'credentialId', 'onBehalfOf', 'inScopeOf'],
  [
    ['sessionContext', SESSION_CONTEXT, false],
    ['onBehalfOf', ON_BEHALF_OF, false],
  ],
);

export const RESOURCE_NULLS = rule(['ARN', 'arn', 'type', 'accountId']);

const TLS_DETAILS = rule(['tlsVersion', 'cipherSuite', 'clientProvidedHostHeader']);

export const RECORD_NULLS = rule(
  [
    'eventVersion',
    'userIdentity',
    'eventTime',
    'eventSource',
    'eventName',
    'awsRegion',
    'sourceIPAddress',
    'userAgent',
    'errorCode',
    'errorMessage',
    'requestID',
    'eventID',
    'eventType',
    'apiVersion',
    'managementEvent',
    'readOnly',
    'resources',
    'recipientAccountId',
    'sharedEventID',
    'vpcEndpointId',
    'vpcEndpointAccountId',
    'eventCategory',
    'sessionCredentialFromConsole',
    'tlsDetails',
  ],
  [
    ['userIdentity', USER_IDENTITY_NULLS, false],
    ['resources', RESOURCE_NULLS, true],
    ['tlsDetails', TLS_DETAILS, false],
  ],
);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `v` without the null-valued keys of `rule` (and, when `deep`, of its nested levels); `v` itself when nothing changes. */
export function dropNulls(v: unknown, rule: NullRule, deep: boolean): unknown {
  if (!isObject(v)) return v;
  let out = v;
  const copy = () => (out === v ? (out = { ...v }) : out);
  // for-in over the record's own keys: about twice as fast as probing each described key on a million records.
  for (const k in v) if (v[k] === null && rule.nullable.has(k)) delete copy()[k];
  if (!deep) return out;
  for (const [k, inner, array] of rule.nested) {
    const child = out[k];
    if (array) {
      if (!Array.isArray(child)) continue;
      let items: unknown[] | undefined;
      child.forEach((item, i) => {
        const d = dropNulls(item, inner, true);
        if (d !== item) (items ??= [...child])[i] = d;
      });
      if (items) copy()[k] = items;
    } else {
      const d = dropNulls(child, inner, true);
      if (d !== child) copy()[k] = d;
    }
  }
  return out;
}

/** `value` with null-as-absent applied at every level of `rule` (a record by default), without validating; a copy only when a null was dropped. */
export const withoutAbsentNulls = (value: unknown, rule: NullRule = RECORD_NULLS): unknown => dropNulls(value, rule, true);
