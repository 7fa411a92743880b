import { z } from 'zod';
import { dropNulls, type NullRule } from './record-nulls.ts';

/**
 * The CloudTrail record as AWS documents it. Every documented top-level field is described;
 * unknown fields are kept (`looseObject`) because AWS adds fields over time and the raw record
 * must survive a round trip untouched.
 *
 * CloudTrail Lake, Athena and SIEM exports write an absent optional field as `null` (`"errorCode": null`,
 * `"sessionContext": null`). For a described field whose type has no null, null means absent: the key is
 * dropped before validation, so such records read exactly like S3 deliveries. Fields typed `unknown`
 * (`requestParameters`, `responseElements`, ...) keep their null, which CloudTrail itself writes. The readers
 * apply the same rules without zod (record-nulls.ts), which the parser threads load instead of this module.
 */

const rules = new WeakMap<z.ZodType, NullRule>();

const unwrapOptional = (s: z.ZodType): z.ZodType => (s instanceof z.ZodOptional ? (s.unwrap() as z.ZodType) : s);

/** A `looseObject` whose non-nullable fields treat null as absent. */
function object<S extends Record<string, z.ZodType>>(shape: S): z.ZodPreprocess<z.ZodObject<S, z.core.$loose>, unknown> {
  const rule: NullRule = { nullable: new Set(Object.keys(shape).filter((k) => !shape[k].safeParse(null).success)), nested: [] };
  for (const [k, field] of Object.entries(shape)) {
    const inner = unwrapOptional(field);
    const element = inner instanceof z.ZodArray ? (inner.element as z.ZodType) : undefined;
    const nested = rules.get(element ?? inner);
    if (nested) rule.nested.push([k, nested, !!element]);
  }
  const schema = z.preprocess((v: unknown) => dropNulls(v, rule, false), z.looseObject(shape));
  rules.set(schema, rule);
  return schema;
}

const SessionIssuer = object({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  userName: z.string().optional(),
});

const SessionContext = object({
  sessionIssuer: SessionIssuer.optional(),
  webIdFederationData: object({ federatedProvider: z.string().optional(), attributes: z.record(z.string(), z.unknown()).optional() }).optional(),
  attributes: object({
    creationDate: z.string().optional(),
    mfaAuthenticated: z.union([z.string(), z.boolean()]).optional(),
  }).optional(),
  sourceIdentity: z.string().optional(),
  ec2RoleDelivery: z.string().optional(),
  assumedRoot: z.union([z.string(), z.boolean()]).optional(),
});

export const UserIdentityType = z.enum([
  'Root',
  'IAMUser',
  'AssumedRole',
  'Role',
  'FederatedUser',
  'Directory',
  'AWSAccount',
  'AWSService',
  'IdentityCenterUser',
  'SAMLUser',
  'WebIdentityUser',
  'Unknown',
]);

export const UserIdentity = object({
  // Kept as a free string: new identity types must not make a record unreadable.
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  sessionContext: SessionContext.optional(),
  invokedBy: z.string().optional(),
  identityProvider: z.string().optional(),
  credentialId: z.string().optional(),
  onBehalfOf: object({ userId: z.string().optional(), identityStoreArn: z.string().optional() }).optional(),
  inScopeOf: z.record(z.string(), z.unknown()).optional(),
});
export type UserIdentity = z.infer<typeof UserIdentity>;

export const Resource = object({
  ARN: z.string().optional(),
  arn: z.string().optional(),
  type: z.string().optional(),
  accountId: z.string().optional(),
});

export const CloudTrailRecord = object({
  eventVersion: z.string().optional(),
  userIdentity: UserIdentity.optional(),
  eventTime: z.string(),
  eventSource: z.string(),
  eventName: z.string(),
  awsRegion: z.string().optional(),
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  requestParameters: z.unknown().optional(),
  responseElements: z.unknown().optional(),
  additionalEventData: z.unknown().optional(),
  requestID: z.string().optional(),
  eventID: z.string().optional(),
  eventType: z.string().optional(),
  apiVersion: z.string().optional(),
  managementEvent: z.union([z.boolean(), z.string()]).optional(),
  readOnly: z.union([z.boolean(), z.string()]).optional(),
  resources: z.array(Resource).optional(),
  recipientAccountId: z.string().optional(),
  serviceEventDetails: z.unknown().optional(),
  sharedEventID: z.string().optional(),
  vpcEndpointId: z.string().optional(),
  vpcEndpointAccountId: z.string().optional(),
  eventCategory: z.string().optional(),
  addendum: z.unknown().optional(),
  sessionCredentialFromConsole: z.union([z.boolean(), z.string()]).optional(),
  edgeDeviceDetails: z.unknown().optional(),
  tlsDetails: object({
    tlsVersion: z.string().optional(),
    cipherSuite: z.string().optional(),
    clientProvidedHostHeader: z.string().optional(),
  }).optional(),
  insightDetails: z.unknown().optional(),
});
export type CloudTrailRecord = z.infer<typeof CloudTrailRecord>;

/**
 * `value` with null-as-absent applied at every level of `schema` (one of the record schemas above), without validating;
 * a copy only when a null was dropped. For reader paths that check records structurally instead of through the schema.
 */
export function withoutAbsentNulls(value: unknown, schema: z.ZodType = CloudTrailRecord): unknown {
  return dropNulls(value, nullRuleOf(schema), true);
}

/** The null-as-absent rule derived from one of the record schemas above (record-nulls.ts holds the same, zod-free). */
export function nullRuleOf(schema: z.ZodType): NullRule {
  const rule = rules.get(schema);
  if (!rule) throw new Error('withoutAbsentNulls: not a CloudTrail record schema');
  return rule;
}
