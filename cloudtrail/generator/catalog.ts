import type { Rng } from './prng.ts';

/** Short service prefixes used in persona chains, mapped to CloudTrail eventSource values. */
export const SERVICES: Record<string, string> = {
  athena: 'athena.amazonaws.com',
  autoscaling: 'autoscaling.amazonaws.com',
  ce: 'ce.amazonaws.com',
  cfn: 'cloudformation.amazonaws.com',
  cloudtrail: 'cloudtrail.amazonaws.com',
  cw: 'monitoring.amazonaws.com',
  config: 'config.amazonaws.com',
  dynamodb: 'dynamodb.amazonaws.com',
  ec2: 'ec2.amazonaws.com',
  ecr: 'ecr.amazonaws.com',
  ecs: 'ecs.amazonaws.com',
  elb: 'elasticloadbalancing.amazonaws.com',
  glue: 'glue.amazonaws.com',
  health: 'health.amazonaws.com',
  iam: 'iam.amazonaws.com',
  kms: 'kms.amazonaws.com',
  lambda: 'lambda.amazonaws.com',
  logs: 'logs.amazonaws.com',
  rds: 'rds.amazonaws.com',
  s3: 's3.amazonaws.com',
  secretsmanager: 'secretsmanager.amazonaws.com',
  signin: 'signin.amazonaws.com',
  sso: 'sso.amazonaws.com',
  ssm: 'ssm.amazonaws.com',
  sts: 'sts.amazonaws.com',
};

/** Services whose management events CloudTrail records in us-east-1 whatever region the caller uses. */
export const GLOBAL_SERVICES = new Set(['iam', 'ce', 'health', 'signin']);

export interface ActionRef {
  /** Chain symbol, e.g. `cfn:DescribeStacks`. */
  short: string;
  service: string;
  source: string;
  name: string;
}

export function resolveAction(short: string): ActionRef {
  const i = short.indexOf(':');
  const service = short.slice(0, i);
  const source = SERVICES[service];
  if (!source) throw new Error(`unknown service prefix "${service}" in action "${short}"`);
  return { short, service, source, name: short.slice(i + 1) };
}

const READ_PREFIX = /^(Describe|Get|List|Lookup|Search|BatchGet|Head|Filter|Check|Select|Scan|Query|BatchCheck)/;
/** CloudTrail's readOnly flag: STS calls are recorded as read-only; otherwise it follows the verb. */
export function isReadOnly(a: ActionRef): boolean {
  if (a.name === 'ConsoleLogin') return false;
  if (a.service === 'sts') return true;
  return READ_PREFIX.test(a.name);
}

/** S3 object-level calls and Lambda Invoke are data events (recorded when the trail selects them). */
export function isDataEvent(a: ActionRef): boolean {
  return (a.service === 's3' && /Object/.test(a.name)) || (a.service === 'lambda' && a.name === 'Invoke');
}

/** What a persona works on: names that make request parameters look like one real project. */
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

const s3Object = (c: ParamContext, prefix: string): Built => {
  const bucket = c.rng.pick(c.ws.buckets);
  const day = new Date(c.time).toISOString().slice(0, 10);
  const key = `${prefix}/dt=${day}/part-${c.rng.hex(5)}.parquet`;
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
const stackParam = (c: ParamContext): Built => ({ requestParameters: { stackName: c.rng.pick(c.ws.stacks) } });
const fnParam = (c: ParamContext): Built => ({ requestParameters: { functionName: c.rng.pick(c.ws.functions) } });
const instanceSet = (c: ParamContext) => ({ instancesSet: { items: [{ instanceId: c.rng.pick(c.ws.instances) }] } });
const ecsService = (c: ParamContext): Built => ({
  requestParameters: { cluster: c.rng.pick(c.ws.clusters), services: [c.rng.pick(c.ws.services)] },
});
const logGroup = (c: ParamContext): Built => ({ requestParameters: { logGroupName: c.rng.pick(c.ws.logGroups) } });
const queryId = (c: ParamContext): Built => ({ requestParameters: { queryExecutionId: c.rng.uuid() } });
const roleParam = (c: ParamContext): Built => ({ requestParameters: { roleName: c.rng.pick(c.ws.roles) } });

/** Request parameters per action; actions not listed send none (as many list/describe calls do). */
const BUILDERS: Record<string, Builder> = {
  'sts:GetCallerIdentity': () => ({}),
  'cfn:DescribeStacks': stackParam,
  'cfn:DescribeStackEvents': stackParam,
  'cfn:GetTemplate': stackParam,
  'cfn:CreateChangeSet': (c) => ({
    requestParameters: {
      stackName: c.rng.pick(c.ws.stacks),
      changeSetName: `cdk-deploy-change-set`,
      changeSetType: 'UPDATE',
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      templateURL: `https://cdk-hnb659fds-assets-${c.ws.account}-${c.region}.s3.${c.region}.amazonaws.com/${c.rng.hex(64)}.json`,
    },
    responseElements: { id: `arn:aws:cloudformation:${c.region}:${c.ws.account}:changeSet/cdk-deploy-change-set/${c.rng.uuid()}` },
  }),
  'cfn:DescribeChangeSet': (c) => ({ requestParameters: { changeSetName: 'cdk-deploy-change-set', stackName: c.rng.pick(c.ws.stacks) } }),
  'cfn:ExecuteChangeSet': (c) => ({ requestParameters: { changeSetName: 'cdk-deploy-change-set', stackName: c.rng.pick(c.ws.stacks) } }),
  'lambda:GetFunction': fnParam,
  'lambda:GetFunctionConfiguration': fnParam,
  'lambda:UpdateFunctionCode': (c) => ({
    requestParameters: { functionName: c.rng.pick(c.ws.functions), publish: false, dryRun: false, s3Bucket: c.ws.buckets[0], s3Key: `${c.rng.hex(64)}.zip` },
  }),
  'lambda:UpdateFunctionConfiguration': (c) => ({
    requestParameters: { functionName: c.rng.pick(c.ws.functions), memorySize: c.rng.pick([256, 512, 1024]), timeout: c.rng.pick([15, 30, 60]) },
  }),
  'lambda:Invoke': (c) => {
    const fn = c.rng.pick(c.ws.functions);
    return {
      requestParameters: { functionName: `arn:aws:lambda:${c.region}:${c.ws.account}:function:${fn}` },
      resources: [{ accountId: c.ws.account, type: 'AWS::Lambda::Function', ARN: `arn:aws:lambda:${c.region}:${c.ws.account}:function:${fn}` }],
    };
  },
  's3:GetObject': (c) => s3Object(c, c.rng.pick(['raw/events', 'curated/orders', 'reports/daily'])),
  's3:PutObject': (c) => s3Object(c, c.rng.pick(['curated/orders', 'reports/daily', 'cdk-assets'])),
  's3:HeadObject': (c) => s3Object(c, 'raw/events'),
  's3:ListObjects': (c) => {
    const b = bucketParam(c);
    (b.requestParameters as Record<string, unknown>)['list-type'] = '2';
    (b.requestParameters as Record<string, unknown>).prefix = c.rng.pick(['raw/', 'curated/', 'reports/']);
    return b;
  },
  's3:GetBucketPolicy': bucketParam,
  's3:GetBucketAcl': bucketParam,
  's3:GetBucketPublicAccessBlock': bucketParam,
  's3:GetBucketLocation': bucketParam,
  's3:GetBucketEncryption': bucketParam,
  'glue:GetTable': (c) => ({ requestParameters: { databaseName: c.rng.pick(c.ws.databases), name: c.rng.pick(c.ws.tables) } }),
  'glue:GetTables': (c) => ({ requestParameters: { databaseName: c.rng.pick(c.ws.databases) } }),
  'glue:GetPartitions': (c) => ({ requestParameters: { databaseName: c.rng.pick(c.ws.databases), tableName: c.rng.pick(c.ws.tables) } }),
  'glue:StartJobRun': (c) => ({ requestParameters: { jobName: c.rng.pick(c.ws.glueJobs) }, responseElements: { jobRunId: `jr_${c.rng.hex(64)}` } }),
  'glue:GetJobRun': (c) => ({ requestParameters: { jobName: c.rng.pick(c.ws.glueJobs), runId: `jr_${c.rng.hex(64)}` } }),
  'glue:StartCrawler': (c) => ({ requestParameters: { name: c.rng.pick(c.ws.crawlers) } }),
  'glue:GetCrawler': (c) => ({ requestParameters: { name: c.rng.pick(c.ws.crawlers) } }),
  'athena:StartQueryExecution': (c) => ({
    requestParameters: {
      queryString: `SELECT * FROM ${c.rng.pick(c.ws.databases)}.${c.rng.pick(c.ws.tables)} WHERE dt = '${new Date(c.time).toISOString().slice(0, 10)}' LIMIT 100`,
      queryExecutionContext: { database: c.rng.pick(c.ws.databases) },
      workGroup: 'primary',
    },
    responseElements: { queryExecutionId: c.rng.uuid() },
  }),
  'athena:GetQueryExecution': queryId,
  'athena:GetQueryResults': queryId,
  'ec2:DescribeInstances': (c) => ({ requestParameters: c.rng.chance(0.5) ? { instancesSet: {}, filterSet: {} } : instanceSet(c) }),
  'ec2:DescribeInstanceStatus': (c) => ({ requestParameters: { instancesSet: {}, filterSet: {}, includeAllInstances: false } }),
  'ec2:RebootInstances': (c) => ({ requestParameters: instanceSet(c) }),
  'ec2:StopInstances': (c) => ({ requestParameters: { ...instanceSet(c), force: false } }),
  'ec2:StartInstances': (c) => ({ requestParameters: instanceSet(c) }),
  'ec2:RunInstances': (c) => ({
    requestParameters: {
      instancesSet: { items: [{ imageId: `ami-0${c.rng.hex(16)}`, minCount: 1, maxCount: c.rng.pick([1, 4, 10]) }] },
      instanceType: c.rng.pick(['p3.8xlarge', 'g4dn.12xlarge', 'c5.24xlarge']),
    },
  }),
  'ecs:DescribeServices': ecsService,
  'ecs:UpdateService': (c) => ({
    requestParameters: { cluster: c.rng.pick(c.ws.clusters), service: c.rng.pick(c.ws.services), forceNewDeployment: true },
  }),
  'ecs:ListTasks': (c) => ({ requestParameters: { cluster: c.rng.pick(c.ws.clusters), serviceName: c.rng.pick(c.ws.services) } }),
  'ecs:DescribeTasks': (c) => ({ requestParameters: { cluster: c.rng.pick(c.ws.clusters), tasks: [c.rng.hex(32)] } }),
  'cw:DescribeAlarms': (c) => ({ requestParameters: c.rng.chance(0.5) ? { stateValue: 'ALARM' } : { alarmNames: [c.rng.pick(c.ws.alarms)] } }),
  'cw:DescribeAlarmHistory': (c) => ({ requestParameters: { alarmName: c.rng.pick(c.ws.alarms), historyItemType: 'StateUpdate' } }),
  'cw:PutMetricAlarm': (c) => ({ requestParameters: { alarmName: c.rng.pick(c.ws.alarms), threshold: c.rng.int(50, 95), evaluationPeriods: 3 } }),
  'cw:GetMetricData': (c) => ({ requestParameters: { startTime: new Date(c.time - 3_600_000).toISOString(), endTime: new Date(c.time).toISOString() } }),
  'logs:FilterLogEvents': logGroup,
  'logs:GetLogEvents': logGroup,
  'logs:DescribeLogStreams': logGroup,
  'logs:StartQuery': (c) => ({
    requestParameters: { logGroupName: c.rng.pick(c.ws.logGroups), queryString: 'fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc | limit 50' },
  }),
  'logs:GetQueryResults': (c) => ({ requestParameters: { queryId: c.rng.uuid() } }),
  'ssm:GetParameter': (c) => ({ requestParameters: { name: c.rng.pick(c.ws.parameters), withDecryption: true } }),
  'ssm:GetParameters': (c) => ({ requestParameters: { names: [c.rng.pick(c.ws.parameters)], withDecryption: true } }),
  'iam:GetRole': roleParam,
  'iam:ListAttachedRolePolicies': roleParam,
  'iam:ListRolePolicies': roleParam,
  'iam:GetPolicy': (c) => ({ requestParameters: { policyArn: `arn:aws:iam::${c.ws.account}:policy/${c.rng.pick(['DeployPolicy', 'DataLakeRead', 'ReadOnlyExtras'])}` } }),
  'iam:GetPolicyVersion': (c) => ({ requestParameters: { policyArn: `arn:aws:iam::aws:policy/${c.rng.pick(['ReadOnlyAccess', 'SecurityAudit'])}`, versionId: `v${c.rng.int(1, 9)}` } }),
  'iam:ListAttachedUserPolicies': (c) => ({ requestParameters: { userName: c.rng.pick(c.ws.users) } }),
  'iam:GetUser': (c) => ({ requestParameters: { userName: c.rng.pick(c.ws.users) } }),
  'iam:CreateAccessKey': (c) => ({ requestParameters: { userName: c.rng.pick(c.ws.users) } }),
  'iam:CreateUser': (c) => ({ requestParameters: { userName: `backup-${c.rng.chars(6, 'abcdefghijklmnopqrstuvwxyz')}` } }),
  'iam:AttachUserPolicy': (c) => ({ requestParameters: { userName: c.rng.pick(c.ws.users), policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }),
  'secretsmanager:GetSecretValue': (c) => ({ requestParameters: { secretId: c.rng.pick(c.ws.secrets) } }),
  'secretsmanager:DescribeSecret': (c) => ({ requestParameters: { secretId: c.rng.pick(c.ws.secrets) } }),
  'kms:GetKeyPolicy': (c) => ({ requestParameters: { keyId: c.rng.uuid(), policyName: 'default' } }),
  'ecr:GetAuthorizationToken': () => ({}),
  'ecr:BatchCheckLayerAvailability': (c) => ({ requestParameters: { repositoryName: c.rng.pick(c.ws.repositories), layerDigests: [`sha256:${c.rng.hex(64)}`] } }),
  'ecr:InitiateLayerUpload': (c) => ({ requestParameters: { repositoryName: c.rng.pick(c.ws.repositories) } }),
  'ecr:CompleteLayerUpload': (c) => ({ requestParameters: { repositoryName: c.rng.pick(c.ws.repositories), layerDigests: [`sha256:${c.rng.hex(64)}`] } }),
  'ecr:PutImage': (c) => ({ requestParameters: { repositoryName: c.rng.pick(c.ws.repositories), imageTag: c.rng.hex(7) } }),
  'rds:RebootDBInstance': (c) => ({ requestParameters: { dBInstanceIdentifier: 'orders-db-1' } }),
  'rds:DescribeDBInstances': () => ({ requestParameters: { dBInstanceIdentifier: 'orders-db-1' } }),
  'dynamodb:DescribeTable': () => ({ requestParameters: { tableName: 'sessions' } }),
  'cloudtrail:GetTrailStatus': (c) => ({ requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${c.ws.account}:trail/org-trail` } }),
  'cloudtrail:GetEventSelectors': (c) => ({ requestParameters: { trailName: `arn:aws:cloudtrail:us-east-1:${c.ws.account}:trail/org-trail` } }),
  'ce:GetCostAndUsage': (c) => ({
    requestParameters: { timePeriod: { start: new Date(c.time - 30 * 86_400_000).toISOString().slice(0, 10), end: new Date(c.time).toISOString().slice(0, 10) }, granularity: 'DAILY', metrics: ['UnblendedCost'] },
  }),
};

export function buildParams(a: ActionRef, c: ParamContext): Built {
  const b = BUILDERS[a.short];
  return b ? b(c) : { requestParameters: null, responseElements: null };
}

/** How each service spells "you may not do that". */
export function deniedError(a: ActionRef, arn: string, account: string, region: string): { errorCode: string; errorMessage: string } {
  const what = `${a.service === 'cw' ? 'cloudwatch' : a.service === 'cfn' ? 'cloudformation' : a.service === 'elb' ? 'elasticloadbalancing' : a.service}:${a.name}`;
  const message = `User: ${arn} is not authorized to perform: ${what} on resource: arn:aws:${a.service === 'cfn' ? 'cloudformation' : a.service}:${region}:${account}:* because no identity-based policy allows the ${what} action`;
  switch (a.service) {
    case 'ec2':
      return { errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation. User: ' + arn + ` is not authorized to perform: ${what} because no identity-based policy allows the ${what} action` };
    case 'iam':
    case 's3':
    case 'sts':
    case 'cfn':
    case 'cw':
    case 'rds':
    case 'autoscaling':
      return { errorCode: 'AccessDenied', errorMessage: message };
    default:
      return { errorCode: 'AccessDeniedException', errorMessage: message };
  }
}
