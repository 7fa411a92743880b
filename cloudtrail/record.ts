import { z } from 'zod';

/**
 * The CloudTrail record as AWS documents it. Every documented top-level field is described;
 * unknown fields are kept (`looseObject`) because AWS adds fields over time and the raw record
 * must survive a round trip untouched.
 */

const SessionIssuer = z.looseObject({
  type: z.string().optional(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  userName: z.string().optional(),
});

const SessionContext = z.looseObject({
  sessionIssuer: SessionIssuer.optional(),
  webIdFederationData: z
    .looseObject({ federatedProvider: z.string().optional(), attributes: z.record(z.string(), z.unknown()).optional() })
    .optional(),
  attributes: z
    .looseObject({
      creationDate: z.string().optional(),
      mfaAuthenticated: z.union([z.string(), z.boolean()]).optional(),
    })
    .optional(),
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

export const UserIdentity = z.looseObject({
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
  onBehalfOf: z.looseObject({ userId: z.string().optional(), identityStoreArn: z.string().optional() }).optional(),
  inScopeOf: z.record(z.string(), z.unknown()).optional(),
});
export type UserIdentity = z.infer<typeof UserIdentity>;

const Resource = z.looseObject({
  ARN: z.string().optional(),
  arn: z.string().optional(),
  type: z.string().optional(),
  accountId: z.string().optional(),
});

export const CloudTrailRecord = z.looseObject({
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
  tlsDetails: z
    .looseObject({
      tlsVersion: z.string().optional(),
      cipherSuite: z.string().optional(),
      clientProvidedHostHeader: z.string().optional(),
    })
    .optional(),
  insightDetails: z.unknown().optional(),
});
export type CloudTrailRecord = z.infer<typeof CloudTrailRecord>;
