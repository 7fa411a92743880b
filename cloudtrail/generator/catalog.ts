import type { Rng } from './prng.ts';

/** Services whose management events CloudTrail records in us-east-1 whatever region the caller uses. */
export const GLOBAL_SERVICES = new Set(['iam', 'ce', 'health', 'signin', 'organizations', 'route53', 'cloudfront', 'budgets']);

export interface ActionRef {
  /** Template symbol, e.g. `cloudformation:DescribeStacks`. */
  short: string;
  /** The service prefix: the eventSource is `<service>.amazonaws.com`. */
  service: string;
  source: string;
  name: string;
}

const resolved = new Map<string, ActionRef>();

export function resolveAction(short: string): ActionRef {
  let a = resolved.get(short);
  if (a) return a;
  const i = short.indexOf(':');
  if (i <= 0 || i === short.length - 1 || !/^[a-z0-9-]+$/.test(short.slice(0, i))) throw new Error(`bad action "${short}": use service:EventName`);
  const service = short.slice(0, i);
  a = { short, service, source: `${service}.amazonaws.com`, name: short.slice(i + 1) };
  resolved.set(short, a);
  return a;
}

const READ_PREFIX = /^(Describe|Get|List|Lookup|Search|BatchGet|Head|Filter|Check|Select|Scan|Query|BatchCheck)/;
/** CloudTrail's readOnly flag: STS calls and KMS cryptography are recorded as read-only; otherwise it follows the verb. */
export function isReadOnly(a: ActionRef): boolean {
  if (a.name === 'ConsoleLogin') return false;
  if (a.service === 'sts') return true;
  if (a.service === 'kms' && /^(Decrypt|Encrypt|GenerateDataKey)/.test(a.name)) return true;
  return READ_PREFIX.test(a.name);
}

/** S3 object-level calls and Lambda Invoke are data events (recorded when the trail selects them). */
export function isDataEvent(a: ActionRef): boolean {
  return (a.service === 's3' && /Object/.test(a.name)) || (a.service === 'lambda' && a.name === 'Invoke');
}

/** What the account holds: names that make request parameters look like one real project. */
export interface Workspace {
  account: string;
  buckets: string[];
  stacks: string[];
  functions: string[];
  clusters: string[];
  services: string[];
  instances: string[];
  databases: string[];
  glueJobs: string[];
  crawlers: string[];
  tables: string[];
  dynamoTables: string[];
  queues: string[];
  logGroups: string[];
  alarms: string[];
  parameters: string[];
  repositories: string[];
  roles: string[];
  users: string[];
  secrets: string[];
}

export interface ParamContext {
  rng: Rng;
  ws: Workspace;
  region: string;
  time: number;
}

type Built = { requestParameters?: unknown; responseElements?: unknown; resources?: { ARN: string; accountId?: string; type: string }[] };
type Builder = (c: ParamContext) => Built;

const day = (c: ParamContext) => new Date(c.time).toISOString().slice(0, 10);

const s3Object = (c: ParamContext, prefix: string): Built => {
  const bucket = c.rng.pick(c.ws.buckets);
  const key = `${prefix}/dt=${day(c)}/part-${c.rng.hex(5)}.parquet`;
  return {
    requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${c.region}.amazonaws.com`, key },
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
      { accountId: c.ws.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ],
  };
};
const bucketParam = (c: ParamContext): Built => {
  const bucket = c.rng.pick(c.ws.buckets);
  return { requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${c.region}.amazonaws.com` } };
};
const param = (name: string, values: (c: ParamContext) => readonly (string | number)[]): Builder => (c) => ({ requestParameters: { [name]: c.rng.pick(values(c)) } });
const stackParam = param('stackName', (c) => c.ws.stacks);
const fnParam = param('functionName', (c) => c.ws.functions);
const logGroup = param('logGroupName', (c) => c.ws.logGroups);
const roleParam = param('roleName', (c) => c.ws.roles);
const userParam = param('userName', (c) => c.ws.users);
const tableParam = param('tableName', (c) => c.ws.dynamoTables);
const secretParam = param('secretId', (c) => c.ws.secrets);
const queueParam: Builder = (c) => ({ requestParameters: { queueUrl: `https://sqs.${c.region}.amazonaws.com/${c.ws.account}/${c.rng.pick(c.ws.queues)}` } });
const instanceSet = (c: ParamContext) => ({ instancesSet: { items: [{ instanceId: c.rng.pick(c.ws.instances) }] } });
const queryId: Builder = (c) => ({ requestParameters: { queryExecutionId: c.rng.uuid() } });
const ecsService: Builder = (c) => ({ requestParameters: { cluster: c.rng.pick(c.ws.clusters), services: [c.rng.pick(c.ws.services)] } });
const changeSet: Builder = (c) => ({ requestParameters: { changeSetName: 'cdk-deploy-change-set', stackName: c.rng.pick(c.ws.stacks) } });

/** Request parameters of particular actions. */
const BUILDERS: Record<string, Builder> = {
  'sts:GetCallerIdentity': () => ({}),
  'cloudformation:CreateChangeSet': (c) => ({
    requestParameters: {
      stackName: c.rng.pick(c.ws.stacks),
      changeSetName: 'cdk-deploy-change-set',
      changeSetType: 'UPDATE',
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      templateURL: `https://cdk-hnb659fds-assets-${c.ws.account}-${c.region}.s3.${c.region}.amazonaws.com/${c.rng.hex(64)}.json`,
    },
    responseElements: { id: `arn:aws:cloudformation:${c.region}:${c.ws.account}:changeSet/cdk-deploy-change-set/${c.rng.uuid()}` },
  }),
  'cloudformation:DescribeChangeSet': changeSet,
  'cloudformation:ExecuteChangeSet': changeSet,
  'cloudformation:DeleteChangeSet': changeSet,
  'lambda:UpdateFunctionCode20150331v2': (c) => ({
    requestParameters: { functionName: c.rng.pick(c.ws.functions), publish: false, dryRun: false, s3Bucket: c.ws.buckets[0], s3Key: `${c.rng.hex(64)}.zip` },
  }),
  'lambda:UpdateFunctionConfiguration20150331v2': (c) => ({
    requestParameters: { functionName: c.rng.pick(c.ws.functions), memorySize: c.rng.pick([256, 512, 1024]), timeout: c.rng.pick([15, 30, 60]) },
  }),
  'lambda:Invoke': (c) => {
    const fn = c.rng.pick(c.ws.functions);
    const arn = `arn:aws:lambda:${c.region}:${c.ws.account}:function:${fn}`;
    return { requestParameters: { functionName: arn }, resources: [{ accountId: c.ws.account, type: 'AWS::Lambda::Function', ARN: arn }] };
  },
  's3:GetObject': (c) => s3Object(c, c.rng.pick(['raw/events', 'curated/orders', 'reports/daily'])),
  's3:PutObject': (c) => s3Object(c, c.rng.pick(['curated/orders', 'reports/daily', 'cdk-assets'])),
  's3:HeadObject': (c) => s3Object(c, 'raw/events'),
  's3:ListObjects': (c) => {
    const b = bucketParam(c);
    Object.assign(b.requestParameters as Record<string, unknown>, { 'list-type': '2', prefix: c.rng.pick(['raw/', 'curated/', 'reports/']) });
    return b;
  },
  's3:ListBuckets': (c) => ({ requestParameters: { Host: `s3.${c.region}.amazonaws.com` } }),
  'glue:GetTable': (c) => ({ requestParameters: { databaseName: c.rng.pick(c.ws.databases), name: c.rng.pick(c.ws.tables) } }),
  'glue:GetTables': (c) => ({ requestParameters: { databaseName: c.rng.pick(c.ws.databases) } }),
  'glue:GetPartitions': (c) => ({ requestParameters: { databaseName: c.rng.pick(c.ws.databases), tableName: c.rng.pick(c.ws.tables) } }),
  'glue:StartJobRun': (c) => ({ requestParameters: { jobName: c.rng.pick(c.ws.glueJobs) }, responseElements: { jobRunId: `jr_${c.rng.hex(64)}` } }),
  'glue:GetJobRun': (c) => ({ requestParameters: { jobName: c.rng.pick(c.ws.glueJobs), runId: `jr_${c.rng.hex(64)}` } }),
  'glue:StartCrawler': param('name', (c) => c.ws.crawlers),
  'glue:GetCrawler': param('name', (c) => c.ws.crawlers),
  'athena:StartQueryExecution': (c) => ({
    requestParameters: {
      queryString: `SELECT * FROM ${c.rng.pick(c.ws.databases)}.${c.rng.pick(c.ws.tables)} WHERE dt = '${day(c)}' LIMIT 100`,
      queryExecutionContext: { database: c.rng.pick(c.ws.databases) },
      workGroup: 'primary',
    },
    responseElements: { queryExecutionId: c.rng.uuid() },
  }),
  'athena:GetQueryExecution': queryId,
  'athena:GetQueryResults': queryId,
  'ec2:DescribeInstances': (c) => ({ requestParameters: c.rng.chance(0.5) ? { instancesSet: {}, filterSet: {} } : instanceSet(c) }),
  'ec2:DescribeInstanceStatus': () => ({ requestParameters: { instancesSet: {}, filterSet: {}, includeAllInstances: false } }),
  'ec2:RebootInstances': (c) => ({ requestParameters: instanceSet(c) }),
  'ec2:StopInstances': (c) => ({ requestParameters: { ...instanceSet(c), force: false } }),
  'ec2:StartInstances': (c) => ({ requestParameters: instanceSet(c) }),
  'ec2:RunInstances': (c) => ({
    requestParameters: {
      instancesSet: { items: [{ imageId: `ami-0${c.rng.hex(16)}`, minCount: 1, maxCount: c.rng.pick([1, 4, 10]) }] },
      instanceType: c.rng.pick(['p3.8xlarge', 'g4dn.12xlarge', 'c5.24xlarge']),
    },
  }),
  'ecs:UpdateService': (c) => ({ requestParameters: { cluster: c.rng.pick(c.ws.clusters), service: c.rng.pick(c.ws.services), forceNewDeployment: true } }),
  'ecs:ListTasks': (c) => ({ requestParameters: { cluster: c.rng.pick(c.ws.clusters), serviceName: c.rng.pick(c.ws.services) } }),
  'ecs:DescribeTasks': (c) => ({ requestParameters: { cluster: c.rng.pick(c.ws.clusters), tasks: [c.rng.hex(32)] } }),
  'ecs:DescribeServices': ecsService,
  'monitoring:DescribeAlarms': (c) => ({ requestParameters: c.rng.chance(0.5) ? { stateValue: 'ALARM' } : { alarmNames: [c.rng.pick(c.ws.alarms)] } }),
  'monitoring:DescribeAlarmHistory': (c) => ({ requestParameters: { alarmName: c.rng.pick(c.ws.alarms), historyItemType: 'StateUpdate' } }),
  'monitoring:PutMetricAlarm': (c) => ({ requestParameters: { alarmName: c.rng.pick(c.ws.alarms), threshold: c.rng.int(50, 95), evaluationPeriods: 3 } }),
  'monitoring:GetMetricData': (c) => ({ requestParameters: { startTime: new Date(c.time - 3_600_000).toISOString(), endTime: new Date(c.time).toISOString() } }),
  'logs:StartQuery': (c) => ({
    requestParameters: { logGroupName: c.rng.pick(c.ws.logGroups), queryString: 'fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 50' },
  }),
  'logs:GetQueryResults': (c) => ({ requestParameters: { queryId: c.rng.uuid() } }),
  'ssm:GetParameter': (c) => ({ requestParameters: { name: c.rng.pick(c.ws.parameters), withDecryption: true } }),
  'ssm:GetParametersByPath': (c) => ({ requestParameters: { path: c.rng.pick(['/payments/prod', '/payments/dev', '/shared']), recursive: true, withDecryption: true } }),
  'iam:GetPolicy': (c) => ({ requestParameters: { policyArn: `arn:aws:iam::${c.ws.account}:policy/${c.rng.pick(['DeployPolicy', 'DataLakeRead', 'ReadOnlyExtras'])}` } }),
  'iam:GetPolicyVersion': (c) => ({ requestParameters: { policyArn: `arn:aws:iam::aws:policy/${c.rng.pick(['ReadOnlyAccess', 'SecurityAudit'])}`, versionId: `v${c.rng.int(1, 9)}` } }),
  'iam:CreateUser': (c) => ({ requestParameters: { userName: `backup-${c.rng.chars(6, 'abcdefghijklmnopqrstuvwxyz')}` } }),
  'iam:AttachUserPolicy': (c) => ({ requestParameters: { userName: c.rng.pick(c.ws.users), policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }),
  'kms:GetKeyPolicy': (c) => ({ requestParameters: { keyId: c.rng.uuid(), policyName: 'default' } }),
  'ecr:BatchCheckLayerAvailability': (c) => ({ requestParameters: { repositoryName: c.rng.pick(c.ws.repositories), layerDigests: [`sha256:${c.rng.hex(64)}`] } }),
  'ecr:CompleteLayerUpload': (c) => ({ requestParameters: { repositoryName: c.rng.pick(c.ws.repositories), layerDigests: [`sha256:${c.rng.hex(64)}`] } }),
  'ecr:PutImage': (c) => ({ requestParameters: { repositoryName: c.rng.pick(c.ws.repositories), imageTag: c.rng.hex(7) } }),
  'rds:RebootDBInstance': () => ({ requestParameters: { dBInstanceIdentifier: 'orders-db-1' } }),
  'rds:DescribeDBInstances': () => ({ requestParameters: { dBInstanceIdentifier: 'orders-db-1' } }),
  'cloudtrail:GetTrailStatus': (c) => ({ requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${c.ws.account}:trail/org-trail` } }),
  'cloudtrail:GetEventSelectors': (c) => ({ requestParameters: { trailName: `arn:aws:cloudtrail:us-east-1:${c.ws.account}:trail/org-trail` } }),
  'cloudtrail:LookupEvents': (c) => ({ requestParameters: { startTime: new Date(c.time - 86_400_000).toUTCString(), endTime: new Date(c.time).toUTCString(), maxResults: 50 } }),
  'ce:GetCostAndUsage': (c) => ({
    requestParameters: { timePeriod: { start: new Date(c.time - 30 * 86_400_000).toISOString().slice(0, 10), end: day(c) }, granularity: 'DAILY', metrics: ['UnblendedCost'] },
  }),
};

/** Request parameters by what an action works on, for the actions without a builder of their own. */
function byResource(a: ActionRef): Builder | undefined {
  const n = a.name;
  switch (a.service) {
    case 's3':
      return /Bucket|Accelerate/.test(n) ? bucketParam : undefined;
    case 'lambda':
      return /Function|Alias|Versions|Policy|EventSourceMappings|Tags/.test(n) && !/^ListFunctions/.test(n) ? fnParam : undefined;
    case 'cloudformation':
      return /Stack|Template/.test(n) && n !== 'ListStacks' ? stackParam : undefined;
    case 'logs':
      return /LogStreams|LogEvents|MetricFilters|SubscriptionFilters|ListTagsLogGroup|RetentionPolicy/.test(n) ? logGroup : undefined;
    case 'iam':
      if (/Role/.test(n) && n !== 'ListRoles') return roleParam;
      return /User|AccessKey|LoginProfile|MFADevices/.test(n) && n !== 'ListUsers' ? userParam : undefined;
    case 'dynamodb':
      return n === 'ListTables' ? undefined : tableParam;
    case 'sqs':
      return n === 'ListQueues' ? undefined : queueParam;
    case 'secretsmanager':
      return n === 'ListSecrets' ? undefined : secretParam;
    case 'ecs':
      return /Services|Tasks/.test(n) ? ecsService : undefined;
    default:
      return undefined;
  }
}

export function buildParams(a: ActionRef, c: ParamContext): Built {
  const b = BUILDERS[a.short] ?? byResource(a);
  return b ? b(c) : { requestParameters: null, responseElements: null };
}

/** What an IAM policy calls a service (its action prefix), where that differs from the endpoint's name. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch', 'cognito-idp': 'cognito-idp', 'access-analyzer': 'access-analyzer' };
/** Services that spell a denial `AccessDenied` (the rest say `AccessDeniedException`; EC2 has its own). */
const PLAIN_DENIAL = new Set(['iam', 's3', 'sts', 'cloudformation', 'monitoring', 'rds', 'autoscaling', 'elasticloadbalancing', 'sns', 'sqs', 'cloudfront', 'route53', 'elasticache']);

/** How each service spells "you may not do that". */
export function deniedError(a: ActionRef, arn: string, account: string, region: string): { errorCode: string; errorMessage: string } {
  const prefix = IAM_PREFIX[a.service] ?? a.service;
  const what = `${prefix}:${a.name.replace(/\d{8}(v\d+)?$/, '')}`;
  if (a.service === 'ec2')
    return { errorCode: 'Client.UnauthorizedOperation', errorMessage: `You are not authorized to perform this operation. User: ${arn} is not authorized to perform: ${what} because no identity-based policy allows the ${what} action` };
  const message = `User: ${arn} is not authorized to perform: ${what} on resource: arn:aws:${prefix}:${region}:${account}:* because no identity-based policy allows the ${what} action`;
  return { errorCode: PLAIN_DENIAL.has(a.service) ? 'AccessDenied' : 'AccessDeniedException', errorMessage: message };
}

/** Messages of the "not there" answers consoles and tools provoke all day. */
const NOT_FOUND: Record<string, string> = {
  NoSuchTagSet: 'The TagSet does not exist',
  NoSuchWebsiteConfiguration: 'The specified bucket does not have a website configuration',
  ObjectLockConfigurationNotFoundError: 'Object Lock configuration does not exist for this bucket',
  ReplicationConfigurationNotFoundError: 'The replication configuration was not found',
  NoSuchLifecycleConfiguration: 'The lifecycle configuration does not exist',
  NoSuchBucketPolicy: 'The bucket policy does not exist',
  NoSuchCORSConfiguration: 'The CORS configuration does not exist',
  NoSuchEntity: 'The user with name cannot be found.',
  ResourceNotFoundException: 'The resource you requested does not exist.',
  LifecyclePolicyNotFoundException: "Lifecycle policy does not exist for the repository with name 'payments-api'",
  InsightNotEnabledException: 'Trail org-trail does not have Insights enabled',
  ReportInProgress: 'Report generation is in progress',
  SubscriptionRequiredException: 'The AWS Health API requires a Business, Enterprise On-Ramp, or Enterprise Support plan',
  ParameterNotFound: 'Parameter /payments/dev/feature-flags not found.',
  ImageNotFoundException: "The image with imageId {imageDigest:'sha256:', imageTag:'latest'} does not exist within the repository with name 'payments-api'",
};

export function errorMessage(code: string): string | undefined {
  return NOT_FOUND[code];
}
