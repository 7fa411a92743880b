import type { UserIdentity } from '../record.ts';

/** Markov chain over chain symbols (`svc:Name`); `END` closes the session. Weights need not sum to 1. */
export interface Chain {
  start: Record<string, number>;
  next: Record<string, Record<string, number>>;
}

export interface ErrorSpec {
  /** Probability the call fails this way. */
  p: number;
  /** `denied` uses the service's own AccessDenied spelling. */
  code: 'denied' | string;
  message?: string;
}

export interface Session {
  persona: Persona;
  start: number;
  region: string;
  ip: string;
  userAgent: string;
  accessKeyId: string;
  /** A per-session token used in session names (CI run ids, CLI sessions). */
  tag: string;
}

export interface Persona {
  id: string;
  description: string;
  /** What Principal.key resolves to for this persona's events (see cloudtrail/event.ts). */
  principalKey: string;
  /** UTC offset in minutes (fixed: the sample ignores daylight saving). */
  tzMinutes: number;
  /** Local working window [from, to) in hours; `to` may exceed 24 for night shifts. */
  hours: [number, number];
  /** Probability a session is allowed to start on a Saturday or Sunday. */
  weekendRate: number;
  /** Relative share of all events; `fixedEvents` overrides it. */
  share: number;
  /** Restrict activity to these day indexes from the end (e.g. [4, 3] = 4 and 3 days before the end). */
  daysFromEnd?: number[];
  regions: Record<string, number>;
  /** Each call picks its own region (auditors sweeping regions, attackers enumerating). */
  regionPerCall?: Record<string, string[]>;
  ips: string[];
  userAgents: string[];
  /** Median seconds between calls in a session. */
  gapSeconds: number;
  chain: Chain;
  errors: Record<string, ErrorSpec>;
  /** AccessDenied probability for every other call. */
  baseDenied: number;
  accessKeyId?: string;
  identity(s: Session, action: string, account: string): UserIdentity;
  /** Calls made before the chain starts, under another identity (e.g. AssumeRoleWithWebIdentity). */
  preamble?: string[];
}

const CONSOLE_UA = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0',
];
const CLI_MAC = (cmd: string) =>
  `aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#${cmd}`;
const CDK_UA = 'aws-sdk-js/2.1691.0 darwin/v20.18.0 aws-cdk/2.167.1 promise';
const BOTO = 'Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#5.15.0-1070-aws md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54';

const ssoRoleId = (permissionSet: string) => `AWSReservedSSO_${permissionSet}_${(permissionSet.length * 2654435761 >>> 0).toString(16).padStart(8, '0')}a1b2c3d4`;

/** An IAM Identity Center session: the session name is the person, so Principal.key is the person. */
function ssoIdentity(permissionSet: string, user: string, roleId: string) {
  const role = ssoRoleId(permissionSet);
  return (s: Session, action: string, account: string): UserIdentity => {
    if (action === 'sso:GetRoleCredentials') return { type: 'Unknown', principalId: `${roleId}-user`, accountId: account, userName: user };
    return {
      type: 'AssumedRole',
      principalId: `${roleId}:${user}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/${user}`,
      accountId: account,
      accessKeyId: s.accessKeyId,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/${role}`, accountId: account, userName: role },
        webIdFederationData: {},
        attributes: { creationDate: new Date(s.start).toISOString().replace('.000', ''), mfaAuthenticated: 'false' },
      },
    };
  };
}

function iamUser(user: string, userId: string, opts: { console?: boolean } = {}) {
  return (s: Session, _action: string, account: string): UserIdentity => ({
    type: 'IAMUser',
    principalId: userId,
    arn: `arn:aws:iam::${account}:user/${user}`,
    accountId: account,
    accessKeyId: s.accessKeyId,
    userName: user,
    ...(opts.console
      ? { sessionContext: { attributes: { creationDate: new Date(s.start).toISOString().replace('.000', ''), mfaAuthenticated: 'true' } } }
      : {}),
  });
}

export const PERSONAS: Persona[] = [
  {
    id: 'backend-developer',
    description: 'Backend developer deploying CDK/CloudFormation stacks and Lambda functions through IAM Identity Center',
    principalKey: 'alice.nguyen',
    tzMinutes: 60,
    hours: [9, 18],
    weekendRate: 0.03,
    share: 0.17,
    regions: { 'eu-west-1': 0.8, 'us-east-1': 0.2 },
    ips: ['198.51.100.14', '203.0.113.77'],
    userAgents: [CDK_UA, CLI_MAC('lambda.update-function-code'), CLI_MAC('logs.filter-log-events')],
    gapSeconds: 12,
    identity: ssoIdentity('DeveloperAccess', 'alice.nguyen', 'AROAX7K2DEVACCESS01'),
    chain: {
      start: { 'sso:GetRoleCredentials': 1 },
      next: {
        'sso:GetRoleCredentials': { 'sts:GetCallerIdentity': 0.5, 'cfn:DescribeStacks': 0.3, 'lambda:GetFunction': 0.1, 'logs:FilterLogEvents': 0.1 },
        'sts:GetCallerIdentity': { 'cfn:DescribeStacks': 0.6, 'ssm:GetParameter': 0.2, 'lambda:GetFunction': 0.2 },
        'ssm:GetParameter': { 'cfn:DescribeStacks': 0.5, 'ssm:GetParameter': 0.3, 'lambda:GetFunctionConfiguration': 0.2 },
        'cfn:DescribeStacks': { 's3:PutObject': 0.35, 'cfn:DescribeStackEvents': 0.15, 'cfn:GetTemplate': 0.15, 'lambda:GetFunction': 0.15, END: 0.2 },
        'cfn:GetTemplate': { 's3:PutObject': 0.5, 'cfn:DescribeStacks': 0.2, END: 0.3 },
        's3:PutObject': { 's3:PutObject': 0.35, 'cfn:CreateChangeSet': 0.65 },
        'cfn:CreateChangeSet': { 'cfn:DescribeChangeSet': 1 },
        'cfn:DescribeChangeSet': { 'cfn:DescribeChangeSet': 0.45, 'cfn:ExecuteChangeSet': 0.45, 'cfn:DeleteChangeSet': 0.1 },
        'cfn:DeleteChangeSet': { END: 0.5, 'lambda:UpdateFunctionCode': 0.3, 'cfn:DescribeStacks': 0.2 },
        'cfn:ExecuteChangeSet': { 'cfn:DescribeStackEvents': 1 },
        'cfn:DescribeStackEvents': { 'cfn:DescribeStackEvents': 0.6, 'cfn:DescribeStacks': 0.25, 'logs:FilterLogEvents': 0.1, END: 0.05 },
        'lambda:GetFunction': { 'lambda:UpdateFunctionCode': 0.4, 'lambda:GetFunctionConfiguration': 0.2, 'logs:FilterLogEvents': 0.3, END: 0.1 },
        'lambda:UpdateFunctionCode': { 'lambda:GetFunction': 0.3, 'lambda:Invoke': 0.4, 'logs:FilterLogEvents': 0.2, END: 0.1 },
        'lambda:Invoke': { 'logs:FilterLogEvents': 0.5, 'lambda:Invoke': 0.2, 'lambda:UpdateFunctionCode': 0.15, END: 0.15 },
        'lambda:GetFunctionConfiguration': { 'lambda:UpdateFunctionConfiguration': 0.3, 'lambda:GetFunction': 0.3, 'ssm:GetParameter': 0.2, END: 0.2 },
        'lambda:UpdateFunctionConfiguration': { 'lambda:Invoke': 0.5, 'logs:FilterLogEvents': 0.3, END: 0.2 },
        'logs:FilterLogEvents': { 'logs:FilterLogEvents': 0.4, 'lambda:UpdateFunctionCode': 0.2, 'cfn:DescribeStacks': 0.15, END: 0.25 },
      },
    },
    errors: {
      'cfn:DescribeStacks': { p: 0.05, code: 'ValidationError', message: 'Stack with id PaymentsApiStack-dev does not exist' },
      'cfn:CreateChangeSet': { p: 0.04, code: 'denied' },
      'lambda:UpdateFunctionCode': { p: 0.03, code: 'ResourceConflictException', message: 'The operation cannot be performed at this time. An update is in progress for resource' },
    },
    baseDenied: 0.01,
  },
  {
    id: 'data-engineer',
    description: 'Data engineer on S3, Glue and Athena; IAM user assuming the DataEngineer role with a source identity',
    principalKey: 'priya.shah',
    tzMinutes: 330,
    hours: [10, 19],
    weekendRate: 0.02,
    share: 0.17,
    regions: { 'us-east-1': 0.7, 'eu-west-1': 0.3 },
    ips: ['198.51.100.52', '203.0.113.140'],
    userAgents: [BOTO.replace('linux#5.15.0-1070-aws', 'macos#23.6.0'), CLI_MAC('athena.start-query-execution'), CLI_MAC('s3.cp')],
    gapSeconds: 9,
    accessKeyId: 'AKIAX7K2PRIYA0SHAH01',
    identity: (s, action, account) => {
      if (action === 'sts:AssumeRole') return iamUser('priya.shah', 'AIDAX7K2PRIYASHAH001')({ ...s, accessKeyId: 'AKIAX7K2PRIYA0SHAH01' }, action, account);
      return {
        type: 'AssumedRole',
        principalId: `AROAX7K2DATAENGINEER:priya-${s.tag}`,
        arn: `arn:aws:sts::${account}:assumed-role/DataEngineer/priya-${s.tag}`,
        accountId: account,
        accessKeyId: s.accessKeyId,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAX7K2DATAENGINEER', arn: `arn:aws:iam::${account}:role/DataEngineer`, accountId: account, userName: 'DataEngineer' },
          attributes: { creationDate: new Date(s.start).toISOString().replace('.000', ''), mfaAuthenticated: 'true' },
          sourceIdentity: 'priya.shah',
        },
      };
    },
    chain: {
      start: { 'sts:AssumeRole': 1 },
      next: {
        'sts:AssumeRole': { 'athena:StartQueryExecution': 0.35, 'glue:GetTables': 0.3, 's3:ListObjects': 0.35 },
        's3:ListObjects': { 's3:ListObjects': 0.3, 's3:GetObject': 0.45, 'glue:StartCrawler': 0.1, END: 0.15 },
        's3:GetObject': { 's3:GetObject': 0.55, 's3:PutObject': 0.2, 'athena:StartQueryExecution': 0.1, END: 0.15 },
        's3:PutObject': { 's3:PutObject': 0.4, 'glue:StartCrawler': 0.25, 'glue:StartJobRun': 0.15, END: 0.2 },
        'glue:GetTables': { 'glue:GetTable': 0.6, 'athena:StartQueryExecution': 0.3, END: 0.1 },
        'glue:GetTable': { 'glue:GetPartitions': 0.4, 'athena:StartQueryExecution': 0.4, 'glue:GetTable': 0.2 },
        'glue:GetPartitions': { 'athena:StartQueryExecution': 0.7, END: 0.3 },
        'glue:StartCrawler': { 'glue:GetCrawler': 1 },
        'glue:GetCrawler': { 'glue:GetCrawler': 0.6, 'glue:GetTables': 0.25, END: 0.15 },
        'glue:StartJobRun': { 'glue:GetJobRun': 1 },
        'glue:GetJobRun': { 'glue:GetJobRun': 0.65, 's3:ListObjects': 0.15, 'athena:StartQueryExecution': 0.1, END: 0.1 },
        'athena:StartQueryExecution': { 'athena:GetQueryExecution': 1 },
        'athena:GetQueryExecution': { 'athena:GetQueryExecution': 0.4, 'athena:GetQueryResults': 0.55, 'athena:StartQueryExecution': 0.05 },
        'athena:GetQueryResults': { 'athena:StartQueryExecution': 0.4, 'athena:GetQueryResults': 0.15, 's3:GetObject': 0.15, END: 0.3 },
      },
    },
    errors: {
      'athena:StartQueryExecution': { p: 0.06, code: 'InvalidRequestException', message: "line 1:8: mismatched input 'FORM'. Expecting: ',', <expression>" },
      's3:GetObject': { p: 0.02, code: 'denied' },
      'glue:StartJobRun': { p: 0.05, code: 'ConcurrentRunsExceededException', message: 'Concurrent runs exceeded for orders-nightly-etl' },
    },
    baseDenied: 0.008,
  },
  {
    id: 'sre',
    description: 'SRE on EC2, ECS and CloudWatch through IAM Identity Center (PlatformAdmin)',
    principalKey: 'tom.becker',
    tzMinutes: -300,
    hours: [8, 17],
    weekendRate: 0.05,
    share: 0.14,
    regions: { 'us-east-1': 0.6, 'eu-west-1': 0.25, 'us-west-2': 0.15 },
    ips: ['198.51.100.201', '203.0.113.9'],
    userAgents: [CLI_MAC('ec2.describe-instances'), CLI_MAC('ecs.update-service'), CONSOLE_UA[0]],
    gapSeconds: 15,
    identity: ssoIdentity('PlatformAdmin', 'tom.becker', 'AROAX7K2PLATFORMADM1'),
    chain: {
      start: { 'sso:GetRoleCredentials': 1 },
      next: {
        'sso:GetRoleCredentials': { 'cw:DescribeAlarms': 0.4, 'ec2:DescribeInstances': 0.35, 'ecs:ListClusters': 0.25 },
        'cw:DescribeAlarms': { 'cw:GetMetricData': 0.5, 'cw:DescribeAlarmHistory': 0.2, 'cw:PutMetricAlarm': 0.1, 'ec2:DescribeInstances': 0.1, END: 0.1 },
        'cw:GetMetricData': { 'cw:GetMetricData': 0.45, 'ecs:DescribeServices': 0.2, 'ec2:DescribeInstanceStatus': 0.15, END: 0.2 },
        'cw:DescribeAlarmHistory': { 'cw:GetMetricData': 0.5, 'logs:GetLogEvents': 0.3, END: 0.2 },
        'cw:PutMetricAlarm': { 'cw:DescribeAlarms': 0.5, END: 0.5 },
        'ec2:DescribeInstances': { 'ec2:DescribeInstanceStatus': 0.3, 'ec2:DescribeInstances': 0.2, 'ec2:RebootInstances': 0.08, 'ec2:StopInstances': 0.05, 'autoscaling:DescribeAutoScalingGroups': 0.2, END: 0.17 },
        'ec2:DescribeInstanceStatus': { 'ec2:DescribeInstances': 0.3, 'ec2:RebootInstances': 0.1, 'cw:GetMetricData': 0.3, END: 0.3 },
        'ec2:RebootInstances': { 'ec2:DescribeInstanceStatus': 0.7, END: 0.3 },
        'ec2:StopInstances': { 'ec2:StartInstances': 0.6, 'ec2:DescribeInstances': 0.4 },
        'ec2:StartInstances': { 'ec2:DescribeInstanceStatus': 1 },
        'autoscaling:DescribeAutoScalingGroups': { 'autoscaling:UpdateAutoScalingGroup': 0.15, 'ec2:DescribeInstances': 0.35, END: 0.5 },
        'autoscaling:UpdateAutoScalingGroup': { 'autoscaling:DescribeAutoScalingGroups': 1 },
        'ecs:ListClusters': { 'ecs:ListServices': 1 },
        'ecs:ListServices': { 'ecs:DescribeServices': 1 },
        'ecs:DescribeServices': { 'ecs:UpdateService': 0.2, 'ecs:ListTasks': 0.3, 'logs:GetLogEvents': 0.2, 'ecs:DescribeServices': 0.1, END: 0.2 },
        'ecs:ListTasks': { 'ecs:DescribeTasks': 1 },
        'ecs:DescribeTasks': { 'logs:GetLogEvents': 0.5, 'ecs:UpdateService': 0.15, END: 0.35 },
        'ecs:UpdateService': { 'ecs:DescribeServices': 1 },
        'logs:GetLogEvents': { 'logs:GetLogEvents': 0.5, 'ecs:DescribeServices': 0.2, END: 0.3 },
      },
    },
    errors: { 'ec2:StopInstances': { p: 0.1, code: 'denied' }, 'ecs:UpdateService': { p: 0.02, code: 'ThrottlingException', message: 'Rate exceeded' } },
    baseDenied: 0.005,
  },
  {
    id: 'security-auditor',
    description: 'Read-only security auditor sweeping IAM, S3, CloudTrail, Config and security groups across regions',
    principalKey: 'sam.okafor',
    tzMinutes: 0,
    hours: [9, 17],
    weekendRate: 0,
    share: 0.08,
    regions: { 'us-east-1': 1 },
    regionPerCall: { ec2: ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'], config: ['us-east-1', 'eu-west-1', 'eu-central-1'], kms: ['us-east-1', 'eu-west-1'], secretsmanager: ['us-east-1', 'eu-west-1'] },
    ips: ['198.51.100.88'],
    userAgents: [BOTO.replace('Boto3/1.35.54', 'Boto3/1.35.54 prowler/4.5.0'), CLI_MAC('iam.get-account-authorization-details')],
    gapSeconds: 3,
    identity: ssoIdentity('SecurityAudit', 'sam.okafor', 'AROAX7K2SECAUDIT0001'),
    chain: {
      start: { 'sso:GetRoleCredentials': 1 },
      next: {
        'sso:GetRoleCredentials': { 'iam:GetAccountAuthorizationDetails': 0.3, 'iam:ListRoles': 0.3, 'cloudtrail:DescribeTrails': 0.2, 's3:ListBuckets': 0.2 },
        'iam:GetAccountAuthorizationDetails': { 'iam:GetAccountAuthorizationDetails': 0.5, 'iam:ListRoles': 0.2, 'iam:GetPolicyVersion': 0.2, END: 0.1 },
        'iam:ListRoles': { 'iam:GetRole': 0.4, 'iam:ListAttachedRolePolicies': 0.4, 'iam:ListRoles': 0.1, END: 0.1 },
        'iam:GetRole': { 'iam:ListAttachedRolePolicies': 0.5, 'iam:ListRolePolicies': 0.3, 'iam:ListRoles': 0.2 },
        'iam:ListAttachedRolePolicies': { 'iam:GetPolicy': 0.4, 'iam:GetRole': 0.3, 'iam:ListRoles': 0.15, END: 0.15 },
        'iam:ListRolePolicies': { 'iam:GetRole': 0.5, 'iam:ListRoles': 0.3, END: 0.2 },
        'iam:GetPolicy': { 'iam:GetPolicyVersion': 1 },
        'iam:GetPolicyVersion': { 'iam:ListRoles': 0.3, 'iam:GetAccountAuthorizationDetails': 0.1, 's3:ListBuckets': 0.2, END: 0.4 },
        's3:ListBuckets': { 's3:GetBucketPolicy': 0.5, 's3:GetBucketPublicAccessBlock': 0.3, END: 0.2 },
        's3:GetBucketPolicy': { 's3:GetBucketAcl': 0.4, 's3:GetBucketPublicAccessBlock': 0.3, 's3:GetBucketEncryption': 0.2, END: 0.1 },
        's3:GetBucketAcl': { 's3:GetBucketPolicy': 0.4, 's3:GetBucketEncryption': 0.3, END: 0.3 },
        's3:GetBucketPublicAccessBlock': { 's3:GetBucketPolicy': 0.4, 's3:GetBucketEncryption': 0.3, END: 0.3 },
        's3:GetBucketEncryption': { 's3:GetBucketPolicy': 0.5, 'kms:GetKeyPolicy': 0.2, END: 0.3 },
        'kms:GetKeyPolicy': { 'secretsmanager:DescribeSecret': 0.3, 'ec2:DescribeSecurityGroups': 0.4, END: 0.3 },
        'secretsmanager:DescribeSecret': { 'secretsmanager:GetSecretValue': 0.3, 'ec2:DescribeSecurityGroups': 0.3, END: 0.4 },
        'secretsmanager:GetSecretValue': { END: 0.6, 'ec2:DescribeSecurityGroups': 0.4 },
        'cloudtrail:DescribeTrails': { 'cloudtrail:GetTrailStatus': 0.5, 'cloudtrail:GetEventSelectors': 0.3, 'config:DescribeConfigRules': 0.2 },
        'cloudtrail:GetTrailStatus': { 'cloudtrail:GetEventSelectors': 0.6, 'config:DescribeConfigRules': 0.2, END: 0.2 },
        'cloudtrail:GetEventSelectors': { 'config:DescribeConfigRules': 0.4, 'ec2:DescribeSecurityGroups': 0.3, END: 0.3 },
        'config:DescribeConfigRules': { 'config:DescribeComplianceByConfigRule': 0.6, END: 0.4 },
        'config:DescribeComplianceByConfigRule': { 'ec2:DescribeSecurityGroups': 0.5, END: 0.5 },
        'ec2:DescribeSecurityGroups': { 'ec2:DescribeSecurityGroups': 0.5, END: 0.5 },
      },
    },
    errors: {
      'kms:GetKeyPolicy': { p: 0.6, code: 'denied' },
      'secretsmanager:GetSecretValue': { p: 0.95, code: 'denied' },
      'iam:GetAccountAuthorizationDetails': { p: 0.04, code: 'Throttling', message: 'Rate exceeded' },
    },
    baseDenied: 0.01,
  },
  {
    id: 'ci-deployer',
    description: 'GitHub Actions deploying through OIDC (AssumeRoleWithWebIdentity into GitHubActionsDeploy): ECR pushes, ECS and CloudFormation',
    principalKey: 'GitHubActionsDeploy',
    tzMinutes: 0,
    hours: [7, 19],
    weekendRate: 0.15,
    share: 0.12,
    regions: { 'eu-west-1': 1 },
    ips: ['20.102.35.120', '4.175.114.51', '52.176.6.92', '13.64.120.7'],
    userAgents: [
      'aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22',
      'aws-sdk-js/3.687.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.18.0 api/ecr#3.687.0 exec-env/GitHubActions',
    ],
    gapSeconds: 6,
    preamble: ['sts:AssumeRoleWithWebIdentity'],
    identity: (s, action, account) => {
      if (action === 'sts:AssumeRoleWithWebIdentity') {
        return {
          type: 'WebIdentityUser',
          principalId: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/payments-api:ref:refs/heads/main`,
          userName: 'repo:acme/payments-api:ref:refs/heads/main',
          identityProvider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
        };
      }
      return {
        type: 'AssumedRole',
        principalId: 'AROAX7K2GITHUBDEPLOY:GitHubActions',
        arn: `arn:aws:sts::${account}:assumed-role/GitHubActionsDeploy/GitHubActions`,
        accountId: account,
        accessKeyId: s.accessKeyId,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAX7K2GITHUBDEPLOY', arn: `arn:aws:iam::${account}:role/GitHubActionsDeploy`, accountId: account, userName: 'GitHubActionsDeploy' },
          webIdFederationData: { federatedProvider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`, attributes: {} },
          attributes: { creationDate: new Date(s.start).toISOString().replace('.000', ''), mfaAuthenticated: 'false' },
        },
      };
    },
    chain: {
      start: { 'ecr:GetAuthorizationToken': 0.6, 'sts:GetCallerIdentity': 0.4 },
      next: {
        'sts:GetCallerIdentity': { 'ecr:GetAuthorizationToken': 0.5, 'cfn:DescribeStacks': 0.5 },
        'ecr:GetAuthorizationToken': { 'ecr:BatchCheckLayerAvailability': 1 },
        'ecr:BatchCheckLayerAvailability': { 'ecr:InitiateLayerUpload': 0.6, 'ecr:PutImage': 0.4 },
        'ecr:InitiateLayerUpload': { 'ecr:UploadLayerPart': 1 },
        'ecr:UploadLayerPart': { 'ecr:UploadLayerPart': 0.3, 'ecr:CompleteLayerUpload': 0.7 },
        'ecr:CompleteLayerUpload': { 'ecr:InitiateLayerUpload': 0.35, 'ecr:PutImage': 0.65 },
        'ecr:PutImage': { 'ecs:UpdateService': 0.4, 'cfn:DescribeStacks': 0.4, END: 0.2 },
        'ecs:UpdateService': { 'ecs:DescribeServices': 1 },
        'ecs:DescribeServices': { 'ecs:DescribeServices': 0.7, END: 0.3 },
        'cfn:DescribeStacks': { 's3:PutObject': 0.6, 'cfn:CreateChangeSet': 0.2, END: 0.2 },
        's3:PutObject': { 's3:PutObject': 0.5, 'cfn:CreateChangeSet': 0.5 },
        'cfn:CreateChangeSet': { 'cfn:DescribeChangeSet': 1 },
        'cfn:DescribeChangeSet': { 'cfn:DescribeChangeSet': 0.4, 'cfn:ExecuteChangeSet': 0.5, 'cfn:DeleteChangeSet': 0.1 },
        'cfn:DeleteChangeSet': { END: 1 },
        'cfn:ExecuteChangeSet': { 'cfn:DescribeStackEvents': 1 },
        'cfn:DescribeStackEvents': { 'cfn:DescribeStackEvents': 0.75, 'lambda:UpdateFunctionCode': 0.1, END: 0.15 },
        'lambda:UpdateFunctionCode': { 'lambda:UpdateFunctionCode': 0.2, END: 0.8 },
      },
    },
    errors: { 'cfn:CreateChangeSet': { p: 0.03, code: 'denied' } },
    baseDenied: 0.002,
  },
  {
    id: 'console-user',
    description: 'Engineering manager using the AWS console (ConsoleLogin with MFA, cost and inventory pages)',
    principalKey: 'lena.fischer',
    tzMinutes: 60,
    hours: [9, 17],
    weekendRate: 0.02,
    share: 0.06,
    regions: { 'eu-central-1': 0.6, 'us-east-1': 0.4 },
    ips: ['198.51.100.14', '203.0.113.211'],
    userAgents: CONSOLE_UA,
    gapSeconds: 20,
    identity: iamUser('lena.fischer', 'AIDAX7K2LENAFISCHER1', { console: true }),
    chain: {
      start: { 'signin:ConsoleLogin': 1 },
      next: {
        'signin:ConsoleLogin': { 'ce:GetCostAndUsage': 0.25, 'ec2:DescribeInstances': 0.2, 's3:ListBuckets': 0.2, 'cw:DescribeAlarms': 0.1, 'health:DescribeEventAggregates': 0.2, 'iam:ListUsers': 0.05 },
        'health:DescribeEventAggregates': { 'ce:GetCostAndUsage': 0.3, 'ec2:DescribeInstances': 0.3, 'cw:DescribeAlarms': 0.2, END: 0.2 },
        'ce:GetCostAndUsage': { 'ce:GetCostAndUsage': 0.4, 'ce:GetCostForecast': 0.2, 'ec2:DescribeInstances': 0.1, END: 0.3 },
        'ce:GetCostForecast': { 'ce:GetCostAndUsage': 0.4, END: 0.6 },
        'ec2:DescribeInstances': { 'ec2:DescribeInstances': 0.2, 'ec2:DescribeSecurityGroups': 0.2, 'ec2:DescribeVolumes': 0.2, 'cw:GetMetricData': 0.2, END: 0.2 },
        'ec2:DescribeSecurityGroups': { 'ec2:DescribeInstances': 0.4, END: 0.6 },
        'ec2:DescribeVolumes': { 'ec2:DescribeInstances': 0.4, END: 0.6 },
        's3:ListBuckets': { 's3:GetBucketLocation': 0.5, 's3:ListObjects': 0.3, END: 0.2 },
        's3:GetBucketLocation': { 's3:ListObjects': 0.7, 's3:ListBuckets': 0.1, END: 0.2 },
        's3:ListObjects': { 's3:ListObjects': 0.4, 's3:ListBuckets': 0.2, END: 0.4 },
        'cw:DescribeAlarms': { 'cw:GetMetricData': 0.5, END: 0.5 },
        'cw:GetMetricData': { 'cw:GetMetricData': 0.4, 'cw:DescribeAlarms': 0.2, END: 0.4 },
        'iam:ListUsers': { 's3:ListBuckets': 0.5, END: 0.5 },
      },
    },
    errors: {
      'signin:ConsoleLogin': { p: 0.05, code: 'ConsoleLoginFailure', message: 'Failed authentication' },
      'iam:ListUsers': { p: 0.9, code: 'denied' },
    },
    baseDenied: 0.01,
  },
  {
    id: 'on-call',
    description: 'On-call engineer handling night-time incidents (alarms, Logs Insights, ECS redeploys, RDS reboots)',
    principalKey: 'raj.patel',
    tzMinutes: -480,
    hours: [22, 29],
    weekendRate: 1,
    share: 0.05,
    regions: { 'us-east-1': 0.7, 'us-west-2': 0.3 },
    ips: ['203.0.113.190'],
    userAgents: [CLI_MAC('logs.start-query'), CONSOLE_UA[1]],
    gapSeconds: 25,
    identity: ssoIdentity('OnCall', 'raj.patel', 'AROAX7K2ONCALL000001'),
    chain: {
      start: { 'sso:GetRoleCredentials': 1 },
      next: {
        'sso:GetRoleCredentials': { 'cw:DescribeAlarms': 0.7, 'logs:StartQuery': 0.3 },
        'cw:DescribeAlarms': { 'cw:DescribeAlarmHistory': 0.4, 'cw:GetMetricData': 0.4, 'ecs:DescribeServices': 0.2 },
        'cw:DescribeAlarmHistory': { 'cw:GetMetricData': 0.6, 'logs:StartQuery': 0.4 },
        'cw:GetMetricData': { 'cw:GetMetricData': 0.3, 'logs:StartQuery': 0.3, 'rds:DescribeDBInstances': 0.2, 'ecs:DescribeServices': 0.2 },
        'logs:StartQuery': { 'logs:GetQueryResults': 1 },
        'logs:GetQueryResults': { 'logs:GetQueryResults': 0.4, 'logs:StartQuery': 0.2, 'ecs:DescribeServices': 0.2, 'lambda:GetFunctionConfiguration': 0.1, 'rds:DescribeDBInstances': 0.1 },
        'ecs:DescribeServices': { 'ecs:UpdateService': 0.35, 'logs:StartQuery': 0.2, 'cw:GetMetricData': 0.25, END: 0.2 },
        'ecs:UpdateService': { 'ecs:DescribeServices': 0.6, 'cw:DescribeAlarms': 0.2, END: 0.2 },
        'rds:DescribeDBInstances': { 'rds:RebootDBInstance': 0.25, 'cw:GetMetricData': 0.45, END: 0.3 },
        'rds:RebootDBInstance': { 'rds:DescribeDBInstances': 0.7, END: 0.3 },
        'lambda:GetFunctionConfiguration': { 'lambda:UpdateFunctionConfiguration': 0.5, 'logs:StartQuery': 0.3, END: 0.2 },
        'lambda:UpdateFunctionConfiguration': { 'cw:GetMetricData': 0.5, END: 0.5 },
      },
    },
    errors: { 'rds:RebootDBInstance': { p: 0.3, code: 'denied' } },
    baseDenied: 0.005,
  },
  {
    id: 'reporting-job',
    description: 'Nightly reporting job: IAM user svc-reporting with a long-lived access key from the on-premises scheduler',
    principalKey: 'svc-reporting',
    tzMinutes: 0,
    hours: [1, 3],
    weekendRate: 1,
    share: 0.09,
    regions: { 'us-east-1': 1 },
    ips: ['198.51.100.23'],
    userAgents: [BOTO],
    gapSeconds: 4,
    accessKeyId: 'AKIAX7K2SVCREPORT042',
    identity: iamUser('svc-reporting', 'AIDAX7K2SVCREPORTING'),
    chain: {
      start: { 'sts:GetCallerIdentity': 0.2, 'athena:StartQueryExecution': 0.8 },
      next: {
        'sts:GetCallerIdentity': { 'athena:StartQueryExecution': 1 },
        'athena:StartQueryExecution': { 'athena:GetQueryExecution': 1 },
        'athena:GetQueryExecution': { 'athena:GetQueryExecution': 0.5, 'athena:GetQueryResults': 0.5 },
        'athena:GetQueryResults': { 'athena:GetQueryResults': 0.3, 's3:PutObject': 0.4, 'athena:StartQueryExecution': 0.3 },
        's3:PutObject': { 'athena:StartQueryExecution': 0.55, END: 0.45 },
      },
    },
    errors: {},
    baseDenied: 0.002,
  },
  {
    id: 'compromised-key',
    description: "svc-reporting's access key used by an attacker from a new IP and unusual regions: discovery, privilege escalation attempts, exfiltration",
    principalKey: 'svc-reporting',
    tzMinutes: 0,
    hours: [2, 6],
    weekendRate: 1,
    share: 0.005,
    daysFromEnd: [4, 3],
    regions: { 'ap-southeast-1': 0.6, 'sa-east-1': 0.4 },
    regionPerCall: { ec2: ['ap-southeast-1', 'sa-east-1', 'ap-northeast-1', 'eu-north-1', 'us-east-2', 'ca-central-1'] },
    ips: ['185.220.101.47', '185.220.101.52'],
    userAgents: [
      'aws-cli/2.13.0 Python/3.11.4 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off',
      'Boto3/1.28.0 Python/3.11.4 Linux/6.5.0-kali3-amd64 Botocore/1.31.0',
    ],
    gapSeconds: 4,
    accessKeyId: 'AKIAX7K2SVCREPORT042',
    identity: iamUser('svc-reporting', 'AIDAX7K2SVCREPORTING'),
    chain: {
      start: { 'sts:GetCallerIdentity': 1 },
      next: {
        'sts:GetCallerIdentity': { 'iam:ListUsers': 0.3, 's3:ListBuckets': 0.3, 'ec2:DescribeRegions': 0.2, 'iam:GetUser': 0.2 },
        'iam:GetUser': { 'iam:ListAttachedUserPolicies': 0.7, 'iam:ListUsers': 0.3 },
        'iam:ListAttachedUserPolicies': { 'iam:ListUsers': 0.4, 's3:ListBuckets': 0.3, 'iam:CreateAccessKey': 0.3 },
        'iam:ListUsers': { 'iam:CreateAccessKey': 0.3, 'iam:CreateUser': 0.2, 's3:ListBuckets': 0.3, 'secretsmanager:ListSecrets': 0.2 },
        'iam:CreateUser': { 'iam:AttachUserPolicy': 0.6, 'iam:CreateAccessKey': 0.4 },
        'iam:AttachUserPolicy': { 'iam:CreateAccessKey': 0.5, 'ec2:DescribeRegions': 0.5 },
        'iam:CreateAccessKey': { 'ec2:DescribeRegions': 0.4, 's3:ListBuckets': 0.3, 'secretsmanager:ListSecrets': 0.3 },
        's3:ListBuckets': { 's3:ListObjects': 0.6, 'ec2:DescribeRegions': 0.2, 'secretsmanager:ListSecrets': 0.2 },
        's3:ListObjects': { 's3:GetObject': 0.6, 's3:ListObjects': 0.2, 's3:ListBuckets': 0.2 },
        's3:GetObject': { 's3:GetObject': 0.75, END: 0.1, 'ec2:DescribeRegions': 0.15 },
        'secretsmanager:ListSecrets': { 'secretsmanager:GetSecretValue': 0.6, 'ec2:DescribeRegions': 0.4 },
        'secretsmanager:GetSecretValue': { 'secretsmanager:GetSecretValue': 0.3, 'ec2:DescribeRegions': 0.4, END: 0.3 },
        'ec2:DescribeRegions': { 'ec2:DescribeInstances': 1 },
        'ec2:DescribeInstances': { 'ec2:DescribeInstances': 0.5, 'ec2:RunInstances': 0.3, END: 0.2 },
        'ec2:RunInstances': { 'ec2:RunInstances': 0.3, 'ec2:DescribeInstances': 0.3, END: 0.4 },
      },
    },
    errors: {
      'iam:ListUsers': { p: 0.9, code: 'denied' },
      'iam:GetUser': { p: 0.5, code: 'denied' },
      'iam:ListAttachedUserPolicies': { p: 0.9, code: 'denied' },
      'iam:CreateAccessKey': { p: 0.95, code: 'denied' },
      'iam:CreateUser': { p: 0.95, code: 'denied' },
      'iam:AttachUserPolicy': { p: 0.95, code: 'denied' },
      'secretsmanager:ListSecrets': { p: 0.9, code: 'denied' },
      'secretsmanager:GetSecretValue': { p: 0.9, code: 'denied' },
      'ec2:RunInstances': { p: 0.6, code: 'denied' },
    },
    baseDenied: 0.05,
  },
  {
    id: 'lambda-service',
    description: 'AWS Lambda assuming function execution roles and decrypting environment variables (AWSService, no ARN)',
    principalKey: 'lambda.amazonaws.com',
    tzMinutes: 0,
    hours: [0, 24],
    weekendRate: 1,
    share: 0.105,
    regions: { 'eu-west-1': 0.8, 'us-east-1': 0.2 },
    ips: ['lambda.amazonaws.com'],
    userAgents: ['lambda.amazonaws.com'],
    gapSeconds: 2,
    identity: () => ({ type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }),
    chain: {
      start: { 'sts:AssumeRole': 1 },
      next: {
        'sts:AssumeRole': { 'kms:Decrypt': 0.4, 'sts:AssumeRole': 0.3, END: 0.3 },
        'kms:Decrypt': { 'sts:AssumeRole': 0.3, END: 0.7 },
      },
    },
    errors: {},
    baseDenied: 0,
  },
];

