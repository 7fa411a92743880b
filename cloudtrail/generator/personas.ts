import type { UserIdentity } from '../record.ts';
import type { Via } from './templates.ts';

/**
 * Who acts in the sample account. A role is what a team does (its tasks, hours, identity and tools); a persona is
 * one member of a team, with a share of the activity and habits of their own (task weights scaled up or down), so
 * team members look alike without being copies: the peer groups the engine finds are the teams.
 */

/** One burst (or a run of them) of a task: a template, repeated `n` times, made with probability `p`. */
export interface Step {
  t: string;
  /** Repetitions [min, max] (polling, paging through several resources). */
  n?: [number, number];
  p?: number;
  /** Median seconds before this burst (default: the role's think time). */
  gap?: number;
  /** One repetition per region, in order (a scanner sweeping regions). */
  regions?: string[];
}

export interface Session {
  persona: Persona;
  start: number;
  region: string;
  ip: string;
  agents: Record<Via, string>;
  accessKeyId: string;
  /** A per-session token used in session names (CI run ids, CLI sessions). */
  tag: string;
}

export interface Role {
  id: string;
  team: string;
  description: string;
  /** UTC offset in minutes (fixed: the sample ignores daylight saving). */
  tzMinutes: number;
  /** Local working window [from, to) in hours; `to` may exceed 24 for night shifts. */
  hours: [number, number];
  /** Probability a session may start on a Saturday or Sunday. */
  weekendRate: number;
  /** Restrict activity to these day indexes from the end (e.g. [4, 3] = 4 and 3 days before the end). */
  daysFromEnd?: number[];
  regions: Record<string, number>;
  /** Median seconds between bursts (think time, or a pipeline's step time). */
  gapSeconds: number;
  /** Bursts at the start of every session (signing in, assuming a role). */
  login: Step[];
  /** Task weights; a session runs `tasksPerSession` tasks drawn from them. */
  tasks: Record<string, number>;
  tasksPerSession: [number, number];
  /** Run the tasks in the order listed, each once, instead of drawing them (a pipeline). */
  pipeline?: boolean;
  /** Denial probability of particular calls (`service:Name` or `service:*`), and of every other call. */
  denied: Record<string, number>;
  baseDenied: number;
  identity(p: Persona, s: Session, action: string, account: string): UserIdentity;
}

export interface Persona {
  /** What Principal.key resolves to for this persona's events (see cloudtrail/event.ts). */
  principalKey: string;
  id: string;
  role: Role;
  /** Relative share of all events. */
  share: number;
  /** Task weight multipliers: this member's habits. */
  habits?: Record<string, number>;
  ips: string[];
  /** The member's browser and tools; a role's defaults fill the rest. */
  agents?: Partial<Record<Via, string[]>>;
  /** Overrides of the role's hours and time zone (a colleague in another office). */
  hours?: [number, number];
  tzMinutes?: number;
  accessKeyId?: string;
}

/** Task library: what people and machines do, as runs of bursts. */
export const TASKS: Record<string, Step[]> = {
  // Backend developers
  'check a function': [{ t: 'Lambda functions page' }, { t: 'Lambda function page', n: [1, 2] }, { t: 'CloudWatch Logs groups page', p: 0.6 }, { t: 'CloudWatch Logs stream page', n: [1, 3] }],
  'deploy with CDK': [
    { t: 'CDK bootstrap check' },
    { t: 'CDK asset upload', n: [1, 3], gap: 3 },
    { t: 'CloudFormation create change set', gap: 4 },
    { t: 'CloudFormation poll change set', n: [1, 2], gap: 5 },
    { t: 'CloudFormation discard change set', p: 0.1, gap: 3 },
    { t: 'CloudFormation execute change set', gap: 3 },
    { t: 'CloudFormation poll stack', n: [2, 6], gap: 8 },
  ],
  'debug a function': [
    { t: 'CLI Lambda invoke' },
    { t: 'CLI logs tail', n: [1, 3], gap: 5 },
    { t: 'CLI Lambda update code', p: 0.6 },
    { t: 'CLI Lambda wait', n: [1, 3], gap: 3, p: 0.6 },
    { t: 'CLI Lambda invoke' },
    { t: 'CLI logs tail', n: [1, 2], gap: 5 },
  ],
  'tune a function': [{ t: 'Lambda function page' }, { t: 'CLI Lambda update configuration' }, { t: 'CLI Lambda invoke', p: 0.7 }],
  'inspect a table': [{ t: 'DynamoDB tables page' }, { t: 'DynamoDB table page', n: [1, 2] }],
  'check queues': [{ t: 'SQS queues page' }, { t: 'SNS topics page', p: 0.4 }, { t: 'Purge SQS queue', p: 0.05 }],
  'review stacks': [{ t: 'CloudFormation stacks page' }, { t: 'CloudFormation stack page', n: [1, 2] }],
  'check the API': [{ t: 'API Gateway page' }, { t: 'CloudWatch dashboard', p: 0.5 }, { t: 'X-Ray traces page', p: 0.4 }, { t: 'Cognito user pools page', p: 0.2 }],
  'read configuration': [{ t: 'Parameter Store page', p: 0.5 }, { t: 'CLI read parameters' }, { t: 'CLI read secret', p: 0.3 }, { t: 'Edit parameter', p: 0.1 }],
  'check the pipeline': [{ t: 'CodePipeline page' }, { t: 'CodeBuild projects page', p: 0.5 }, { t: 'ECR repositories page', p: 0.4 }],
  'check the workflow': [{ t: 'Step Functions page' }, { t: 'EventBridge rules page', p: 0.5 }],

  // Data engineers
  'query in the console': [{ t: 'Athena query editor', p: 0.6 }, { t: 'Athena console query' }, { t: 'Athena poll', n: [0, 1], gap: 2 }, { t: 'Athena console results', gap: 3 }],
  'run a query': [{ t: 'Athena start query' }, { t: 'Athena poll', n: [1, 2], gap: 2 }, { t: 'Athena results' }],
  'explore the catalog': [{ t: 'Glue tables page' }, { t: 'Athena query editor' }, { t: 'Glue catalog lookup', p: 0.5 }],
  'run a job': [{ t: 'Glue start job' }, { t: 'Glue poll job', n: [2, 5], gap: 20 }, { t: 'Glue jobs page', p: 0.5 }],
  'crawl new data': [{ t: 'Glue start crawler' }, { t: 'Glue poll crawler', n: [2, 6], gap: 15 }, { t: 'Glue tables page', p: 0.5 }],
  'move data': [{ t: 'CLI S3 listing' }, { t: 'CLI S3 download', n: [1, 3] }, { t: 'SDK S3 write results', n: [1, 3], p: 0.8 }],
  'scan a dataset': [{ t: 'Glue catalog lookup' }, { t: 'SDK S3 scan', n: [1, 4], gap: 4 }, { t: 'SDK S3 write results', p: 0.4 }],
  'browse buckets': [{ t: 'S3 buckets page' }, { t: 'S3 bucket objects page', n: [1, 3] }, { t: 'S3 bucket properties page', p: 0.3 }],
  'check the streams': [{ t: 'Kinesis streams page' }, { t: 'Step Functions page', p: 0.5 }],

  // Platform engineers and on-call
  'check alarms': [{ t: 'CloudWatch alarms page' }, { t: 'CloudWatch dashboard', p: 0.6 }, { t: 'EC2 instances page', p: 0.4 }],
  'check the fleet': [
    { t: 'EC2 dashboard' },
    { t: 'EC2 instances page' },
    { t: 'EC2 instance page', n: [0, 2] },
    { t: 'Auto Scaling groups page', p: 0.5 },
    { t: 'Load balancers page', p: 0.5 },
  ],
  'check a service': [{ t: 'ECS clusters page' }, { t: 'ECS service page', n: [1, 3] }, { t: 'CloudWatch Logs stream page', p: 0.5 }],
  'check from the CLI': [{ t: 'CLI list instances' }, { t: 'CLI instance status', p: 0.6 }, { t: 'CLI describe groups', p: 0.4 }, { t: 'CLI metric data', p: 0.4 }],
  'scale a group': [{ t: 'CLI describe groups' }, { t: 'CLI scale group' }, { t: 'CLI describe groups', n: [1, 4], gap: 20 }],
  'redeploy a service': [{ t: 'CLI ECS services' }, { t: 'CLI ECS redeploy' }, { t: 'CLI wait for service', n: [2, 5], gap: 15 }],
  'reboot an instance': [{ t: 'EC2 instances page' }, { t: 'EC2 reboot from console' }, { t: 'CLI instance status', n: [1, 3], gap: 10 }],
  'stop an instance': [{ t: 'EC2 instance page' }, { t: 'EC2 stop and start from console' }],
  'review the network': [{ t: 'VPC dashboard' }, { t: 'EC2 security groups page' }, { t: 'Edit security group rule', p: 0.2 }, { t: 'Route 53 zones page', p: 0.3 }, { t: 'CloudFront page', p: 0.2 }],
  'check databases': [{ t: 'RDS databases page' }, { t: 'ElastiCache page', p: 0.4 }, { t: 'CLI RDS status', p: 0.3 }],
  'check the cluster': [{ t: 'EKS clusters page' }, { t: 'CLI ECS tasks', p: 0.3 }],
  'tune an alarm': [{ t: 'CloudWatch alarms page' }, { t: 'Update alarm from console' }, { t: 'CLI alarms in ALARM', p: 0.3 }],
  'connect to an instance': [{ t: 'Systems Manager fleet page' }, { t: 'CLI start session' }],
  'run a command': [{ t: 'Systems Manager fleet page', p: 0.5 }, { t: 'CLI run command' }, { t: 'CLI command output', n: [1, 3], gap: 5 }],
  'check backups': [{ t: 'Backup page' }, { t: 'Service Quotas page', p: 0.3 }],
  incident: [
    { t: 'CLI alarms in ALARM' },
    { t: 'CLI Logs Insights query' },
    { t: 'CLI poll query results', n: [1, 3], gap: 3 },
    { t: 'CLI ECS services', p: 0.6 },
    { t: 'CLI ECS redeploy', p: 0.4 },
    { t: 'CLI wait for service', n: [1, 5], gap: 15, p: 0.4 },
    { t: 'CLI RDS status', p: 0.3 },
    { t: 'CLI RDS reboot', p: 0.15 },
  ],
  'investigate in the console': [{ t: 'CloudWatch alarms page' }, { t: 'Logs Insights query' }, { t: 'Logs Insights results', n: [1, 3], gap: 4 }, { t: 'ECS service page', p: 0.5 }],

  // Security
  'scan the account': [
    { t: 'Scanner regions' },
    { t: 'Scanner EC2 region sweep', regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'], gap: 2 },
    { t: 'Scanner IAM', gap: 2 },
    { t: 'Scanner IAM details', gap: 2 },
    { t: 'Scanner S3', gap: 2 },
    { t: 'Scanner logging', gap: 2 },
    { t: 'Scanner keys and secrets', gap: 2 },
  ],
  'review findings': [{ t: 'GuardDuty findings page' }, { t: 'Security Hub summary' }, { t: 'Access Analyzer page', p: 0.5 }],
  'review IAM': [{ t: 'IAM dashboard' }, { t: 'IAM users page' }, { t: 'IAM roles page' }, { t: 'IAM role page', n: [1, 3] }, { t: 'IAM policies page', p: 0.4 }],
  'review logging': [{ t: 'CloudTrail trails page' }, { t: 'CloudTrail event history', n: [1, 3] }, { t: 'Config rules page', p: 0.5 }],
  'review keys': [{ t: 'KMS keys page' }, { t: 'Secrets Manager page' }, { t: 'ACM certificates page', p: 0.4 }, { t: 'WAF web ACLs page', p: 0.3 }],
  'review buckets': [{ t: 'S3 buckets page' }, { t: 'S3 bucket permissions page', n: [1, 3] }],

  // Managers
  'morning overview': [{ t: 'Console home' }, { t: 'Cost Explorer page', p: 0.5 }, { t: 'Health dashboard', p: 0.4 }, { t: 'CloudWatch dashboard', p: 0.6 }],
  'check team access': [{ t: 'IAM users page' }, { t: 'IAM roles page', p: 0.5 }],
  'take inventory': [{ t: 'EC2 dashboard' }, { t: 'S3 buckets page' }, { t: 'RDS databases page', p: 0.5 }],
  'review costs': [{ t: 'Console home' }, { t: 'Cost Explorer page', n: [1, 4] }, { t: 'Budgets page' }, { t: 'Organizations page', p: 0.3 }],

  // Pipelines, jobs, services, and the attacker
  'build and push': [{ t: 'CI ECR login' }, { t: 'CI ECR push', n: [1, 3], gap: 2 }, { t: 'CI ECR tag image', p: 0.3 }],
  'deploy to ECS': [{ t: 'CI register task definition' }, { t: 'CI ECS deploy' }, { t: 'CI wait for deployment', n: [1, 4], gap: 20 }],
  'deploy the stack': [
    { t: 'CI stack outputs' },
    { t: 'CI CDK asset upload', n: [1, 2], gap: 2 },
    { t: 'CI create change set', gap: 3 },
    { t: 'CI poll change set', n: [1, 2], gap: 5 },
    { t: 'CI execute change set', gap: 3 },
    { t: 'CI poll stack', n: [2, 6], gap: 8 },
  ],
  'smoke test': [{ t: 'CI smoke test', p: 0.8 }],
  'terraform plan': [
    { t: 'Terraform init' },
    { t: 'Terraform refresh network', gap: 2 },
    { t: 'Terraform refresh IAM', gap: 1 },
    { t: 'Terraform refresh buckets', n: [2, 4], gap: 1 },
    { t: 'Terraform refresh compute', gap: 1 },
  ],
  'terraform apply': [
    { t: 'Terraform apply network', p: 0.4, gap: 3 },
    { t: 'Terraform apply IAM', p: 0.4, gap: 3 },
    { t: 'Terraform apply function', p: 0.4, gap: 3 },
    { t: 'Terraform state write', gap: 2 },
  ],
  'nightly report': [{ t: 'Report query' }, { t: 'Report poll', n: [1, 2], gap: 3 }, { t: 'Report fetch', gap: 2 }, { t: 'Report publish' }],
  'archive orders': [{ t: 'Archiver check' }, { t: 'Archiver export', p: 0.7, gap: 2 }],
  'record configuration': [
    { t: 'Config snapshot compute' },
    { t: 'Config snapshot network', gap: 2 },
    { t: 'Config snapshot IAM', gap: 2 },
    { t: 'Config snapshot storage', p: 0.6, gap: 2 },
  ],
  'cold start': [{ t: 'Lambda cold start' }],
  intrusion: [
    { t: 'Attacker whoami' },
    { t: 'Attacker IAM discovery', gap: 8 },
    { t: 'Attacker region sweep', regions: ['ap-southeast-1', 'sa-east-1', 'ap-northeast-1', 'eu-north-1', 'us-east-2', 'ca-central-1'], gap: 4 },
    { t: 'Attacker S3 discovery', gap: 6 },
    { t: 'Attacker exfiltration', n: [2, 6], gap: 4 },
    { t: 'Attacker secrets', gap: 6 },
    { t: 'Attacker persistence', p: 0.7, gap: 10 },
    { t: 'Attacker new key', p: 0.5, gap: 10 },
    { t: 'Attacker instances', p: 0.5, gap: 8 },
  ],
};

const BROWSERS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
];
const CLI = (os: string) =>
  `aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/${os} md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off`;
const CDK_UA = 'aws-sdk-js/2.1691.0 darwin/v20.18.0 aws-cdk/2.167.1 promise';
const BOTO = (os: string) => `Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/${os} md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54`;
const CI_UA =
  'aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22';
const TERRAFORM_UA =
  'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.74.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 exec-env/GitHubActions';
const ATTACKER = ['aws-cli/2.13.0 Python/3.11.4 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off', 'Boto3/1.28.0 Python/3.11.4 Linux/6.5.0-kali3-amd64 Botocore/1.31.0'];

/** The user agents a person uses by default: one browser, the CLI and boto3 on their laptop, CDK. */
export function defaultAgents(browser: number, os = 'macos#24.1.0'): Record<Via, string[]> {
  return {
    console: [BROWSERS[browser % BROWSERS.length]],
    cli: [CLI(os)],
    sdk: [BOTO(os)],
    cdk: [CDK_UA],
    ci: [CI_UA],
    terraform: [TERRAFORM_UA],
    service: ['AWS Internal'],
    attacker: ATTACKER,
  };
}

const ssoRoleName = (permissionSet: string) => `AWSReservedSSO_${permissionSet}_${((permissionSet.length * 2654435761) >>> 0).toString(16).padStart(8, '0')}a1b2c3d4`;
const when = (s: Session) => new Date(s.start).toISOString().replace('.000', '');

/** IAM Identity Center: the session name is the person, so Principal.key is the person. SSO portal calls are `Unknown`. */
function ssoIdentity(permissionSet: string, roleId: string): Role['identity'] {
  const role = ssoRoleName(permissionSet);
  return (p, s, action, account) => {
    if (action.startsWith('sso:')) return { type: 'Unknown', principalId: `${roleId}-${p.principalKey}`, accountId: account, userName: p.principalKey };
    return {
      type: 'AssumedRole',
      principalId: `${roleId}:${p.principalKey}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/${p.principalKey}`,
      accountId: account,
      accessKeyId: s.accessKeyId,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/eu-west-1/${role}`, accountId: account, userName: role },
        webIdFederationData: {},
        attributes: { creationDate: when(s), mfaAuthenticated: 'false' },
      },
    };
  };
}

function iamUser(userId: string, opts: { console?: boolean } = {}): Role['identity'] {
  return (p, s, _action, account) => ({
    type: 'IAMUser',
    principalId: userId,
    arn: `arn:aws:iam::${account}:user/${p.principalKey}`,
    accountId: account,
    accessKeyId: s.accessKeyId,
    userName: p.principalKey,
    ...(opts.console ? { sessionContext: { attributes: { creationDate: when(s), mfaAuthenticated: 'true' } } } : {}),
  });
}

/** A role session: `role/session`; Principal.key is the role name unless the session name is a person. */
function roleSession(roleName: string, roleId: string, session: (p: Persona, s: Session) => string, extra: Record<string, unknown> = {}): Role['identity'] {
  return (p, s, _action, account) => ({
    type: 'AssumedRole',
    principalId: `${roleId}:${session(p, s)}`,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${session(p, s)}`,
    accountId: account,
    accessKeyId: s.accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${account}:role/${roleName}`, accountId: account, userName: roleName },
      attributes: { creationDate: when(s), mfaAuthenticated: 'false' },
      ...extra,
    },
  });
}

const DEVELOPER: Role = {
  id: 'backend-developer',
  team: 'payments backend',
  description: 'Backend developers of the payments API: CDK deploys, Lambda debugging from the CLI, console checks of functions, logs, tables and queues (IAM Identity Center, DeveloperAccess)',
  tzMinutes: 60,
  hours: [9, 18],
  weekendRate: 0.03,
  regions: { 'eu-west-1': 0.85, 'us-east-1': 0.15 },
  gapSeconds: 25,
  login: [{ t: 'IAM Identity Center portal', p: 0.6 }, { t: 'SSO CLI login', p: 0.4 }, { t: 'Who am I', p: 0.2 }],
  tasks: {
    'check a function': 3.5,
    'deploy with CDK': 1.2,
    'debug a function': 1.2,
    'tune a function': 0.6,
    'inspect a table': 1.6,
    'check queues': 1.1,
    'review stacks': 1.4,
    'check the API': 1.2,
    'read configuration': 0.8,
    'check the pipeline': 0.5,
    'check the workflow': 0.3,
  },
  tasksPerSession: [2, 5],
  denied: { 'organizations:*': 0.9, 'iam:CreateRole': 1, 'cloudformation:CreateChangeSet': 0.03, 'ce:*': 0.6 },
  baseDenied: 0.02,
  identity: ssoIdentity('DeveloperAccess', 'AROAX7K2DEVACCESS01'),
};

const DATA_ENGINEER: Role = {
  id: 'data-engineer',
  team: 'data platform',
  description: 'Data engineers on S3, Glue and Athena: IAM users assuming the DataEngineer role with their name as source identity; queries and jobs from notebooks (boto3) and the console',
  tzMinutes: 330,
  hours: [10, 19],
  weekendRate: 0.02,
  regions: { 'us-east-1': 0.7, 'eu-west-1': 0.3 },
  gapSeconds: 30,
  login: [{ t: 'Assume data role' }],
  tasks: {
    'run a query': 1.5,
    'query in the console': 2.5,
    'explore the catalog': 2,
    'run a job': 1,
    'crawl new data': 0.6,
    'move data': 1.2,
    'scan a dataset': 1,
    'browse buckets': 1.5,
    'check the streams': 0.3,
  },
  tasksPerSession: [2, 6],
  denied: { 'iam:*': 0.9, 's3:GetObject': 0.02, 'glue:StartJobRun': 0.04, 'health:*': 0.5 },
  baseDenied: 0.02,
  identity: (p, s, action, account) => {
    if (action === 'sts:AssumeRole') return iamUser(`AIDAX7K2${p.principalKey.replace(/\W/g, '').toUpperCase().slice(0, 12)}`)(p, s, action, account);
    return roleSession('DataEngineer', 'AROAX7K2DATAENGINEER', (q, x) => `${q.principalKey.split('.')[0]}-${x.tag}`, { sourceIdentity: p.principalKey })(p, s, action, account);
  },
};

const PLATFORM: Role = {
  id: 'platform-engineer',
  team: 'platform',
  description: 'Platform engineers (SRE) on EC2, ECS, RDS and CloudWatch: fleet and service checks in the console, scaling and redeploys from the CLI (IAM Identity Center, PlatformAdmin)',
  tzMinutes: -300,
  hours: [8, 17],
  weekendRate: 0.05,
  regions: { 'us-east-1': 0.6, 'eu-west-1': 0.25, 'us-west-2': 0.15 },
  gapSeconds: 25,
  login: [{ t: 'IAM Identity Center portal', p: 0.6 }, { t: 'SSO CLI login', p: 0.5 }],
  tasks: {
    'check alarms': 2.5,
    'check the fleet': 2,
    'check a service': 2,
    'check from the CLI': 1.5,
    'scale a group': 0.5,
    'redeploy a service': 0.8,
    'reboot an instance': 0.4,
    'stop an instance': 0.2,
    'review the network': 0.8,
    'check databases': 1,
    'check the cluster': 0.5,
    'tune an alarm': 0.5,
    'connect to an instance': 0.5,
    'run a command': 1.2,
    'check backups': 0.3,
    'investigate in the console': 0.6,
  },
  tasksPerSession: [2, 5],
  denied: { 'ec2:StopInstances': 0.1, 'ecs:UpdateService': 0.02, 'ssm:SendCommand': 0.05 },
  baseDenied: 0.02,
  identity: ssoIdentity('PlatformAdmin', 'AROAX7K2PLATFORMADM1'),
};

const ON_CALL: Role = {
  ...PLATFORM,
  id: 'on-call',
  description: 'The platform team member on the night rota: incidents from the CLI (alarms, Logs Insights, ECS redeploys, RDS reboots) as well as routine checks',
  tzMinutes: -480,
  hours: [22, 29],
  weekendRate: 1,
  regions: { 'us-east-1': 0.7, 'us-west-2': 0.3 },
  gapSeconds: 35,
  tasks: { incident: 4, 'investigate in the console': 2, 'check alarms': 1.5, 'check a service': 1.5, 'redeploy a service': 1, 'check databases': 1, 'check from the CLI': 1 },
  tasksPerSession: [1, 4],
  denied: { 'rds:RebootDBInstance': 0.3 },
};

const SECURITY: Role = {
  id: 'security-auditor',
  team: 'security',
  description: 'Security engineers: scanner runs sweeping IAM, S3, logging and every region, and reviews of findings, IAM, trails and keys in the console (IAM Identity Center, SecurityAudit)',
  tzMinutes: 0,
  hours: [9, 17],
  weekendRate: 0,
  regions: { 'us-east-1': 1 },
  gapSeconds: 20,
  login: [{ t: 'IAM Identity Center portal', p: 0.7 }, { t: 'SSO CLI login', p: 0.3 }],
  tasks: { 'scan the account': 1.5, 'review findings': 2, 'review IAM': 2, 'review logging': 1.2, 'review keys': 1, 'review buckets': 1 },
  tasksPerSession: [2, 4],
  denied: { 'secretsmanager:GetSecretValue': 0.95, 'kms:GetKeyPolicy': 0.6 },
  baseDenied: 0.01,
  identity: ssoIdentity('SecurityAudit', 'AROAX7K2SECAUDIT0001'),
};

const MANAGER: Role = {
  id: 'console-user',
  team: 'management',
  description: 'Managers in the console with IAM users and MFA: cost, health and inventory pages, team access reviews they have no right to',
  tzMinutes: 60,
  hours: [9, 17],
  weekendRate: 0.02,
  regions: { 'eu-central-1': 0.6, 'us-east-1': 0.4 },
  gapSeconds: 40,
  login: [{ t: 'Console sign-in' }],
  tasks: { 'morning overview': 2, 'check team access': 0.7, 'take inventory': 1, 'review costs': 1.5 },
  tasksPerSession: [1, 3],
  denied: { 'iam:ListUsers': 0.9, 'iam:ListAccessKeys': 0.9, 'organizations:*': 0.8 },
  baseDenied: 0.01,
  identity: iamUser('AIDAX7K2CONSOLEUSER1', { console: true }),
};

const CI_DEPLOY: Role = {
  id: 'ci-deployer',
  team: 'pipelines',
  description: 'GitHub Actions deploying the payments API through OIDC (AssumeRoleWithWebIdentity into GitHubActionsDeploy): image build and push, ECS deploy, CDK stack deploy, smoke test',
  tzMinutes: 0,
  hours: [7, 19],
  weekendRate: 0.15,
  regions: { 'eu-west-1': 1 },
  gapSeconds: 8,
  login: [{ t: 'CI assume role' }],
  tasks: { 'build and push': 1, 'deploy to ECS': 0.7, 'deploy the stack': 0.6, 'smoke test': 1 },
  tasksPerSession: [1, 4],
  pipeline: true,
  denied: { 'cloudformation:CreateChangeSet': 0.03 },
  baseDenied: 0.002,
  identity: (p, s, action, account) => {
    if (action === 'sts:AssumeRoleWithWebIdentity')
      return {
        type: 'WebIdentityUser',
        principalId: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/payments-api:ref:refs/heads/main`,
        userName: 'repo:acme/payments-api:ref:refs/heads/main',
        identityProvider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
      };
    return roleSession(p.principalKey, 'AROAX7K2GITHUBDEPLOY', () => 'GitHubActions', {
      webIdFederationData: { federatedProvider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`, attributes: {} },
    })(p, s, action, account);
  },
};

const CI_TERRAFORM: Role = {
  ...CI_DEPLOY,
  id: 'ci-terraform',
  description: 'GitHub Actions running Terraform for the infrastructure repository: a plan refreshes every resource in bursts of describes, an apply changes a few',
  hours: [7, 20],
  weekendRate: 0.05,
  regions: { 'us-east-1': 1 },
  gapSeconds: 4,
  tasks: { 'terraform plan': 1, 'terraform apply': 1 },
  tasksPerSession: [1, 2],
  denied: { 'iam:PutRolePolicy': 0.05 },
  baseDenied: 0.002,
  identity: (p, s, action, account) => {
    if (action === 'sts:AssumeRoleWithWebIdentity')
      return {
        type: 'WebIdentityUser',
        principalId: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/infrastructure:ref:refs/heads/main`,
        userName: 'repo:acme/infrastructure:ref:refs/heads/main',
        identityProvider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
      };
    return roleSession(p.principalKey, 'AROAX7K2TERRAFORM001', (_q, x) => `terraform-${x.tag}`)(p, s, action, account);
  },
};

const REPORTING: Role = {
  id: 'reporting-job',
  team: 'scheduled jobs',
  description: 'Nightly reporting job: IAM user svc-reporting with a long-lived access key, run by the on-premises scheduler',
  tzMinutes: 0,
  hours: [1, 3],
  weekendRate: 1,
  regions: { 'us-east-1': 1 },
  gapSeconds: 5,
  login: [],
  tasks: { 'nightly report': 1 },
  tasksPerSession: [3, 8],
  denied: {},
  baseDenied: 0.002,
  identity: iamUser('AIDAX7K2SVCREPORTING'),
};

const ARCHIVER: Role = {
  id: 'orders-archiver',
  team: 'scheduled jobs',
  description: 'A scheduled Lambda function (orders-archiver) exporting orders to S3 under its execution role',
  tzMinutes: 0,
  hours: [0, 24],
  weekendRate: 1,
  regions: { 'eu-west-1': 1 },
  gapSeconds: 3,
  login: [],
  tasks: { 'archive orders': 1 },
  tasksPerSession: [1, 2],
  denied: {},
  baseDenied: 0.001,
  identity: roleSession('orders-archiver-role', 'AROAX7K2ARCHIVER0001', () => 'orders-archiver'),
};

const CONFIG_RECORDER: Role = {
  id: 'config-recorder',
  team: 'aws services',
  description: 'AWS Config recording resource configuration through its service-linked role',
  tzMinutes: 0,
  hours: [0, 24],
  weekendRate: 1,
  regions: { 'us-east-1': 0.6, 'eu-west-1': 0.4 },
  gapSeconds: 3,
  login: [],
  tasks: { 'record configuration': 1 },
  tasksPerSession: [1, 1],
  denied: {},
  baseDenied: 0,
  identity: roleSession('AWSServiceRoleForConfig', 'AROAX7K2AWSCONFIG001', () => 'AWSConfig-Describe'),
};

const LAMBDA_SERVICE: Role = {
  id: 'lambda-service',
  team: 'aws services',
  description: 'AWS Lambda assuming function execution roles and decrypting environment variables (AWSService, no ARN)',
  tzMinutes: 0,
  hours: [0, 24],
  weekendRate: 1,
  regions: { 'eu-west-1': 0.8, 'us-east-1': 0.2 },
  gapSeconds: 40,
  login: [],
  tasks: { 'cold start': 1 },
  tasksPerSession: [1, 4],
  denied: {},
  baseDenied: 0,
  identity: () => ({ type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }),
};

const ATTACK: Role = {
  id: 'compromised-key',
  team: 'intruder',
  description: "svc-reporting's access key used by an attacker from a new IP and unusual regions: discovery, privilege escalation attempts, exfiltration",
  tzMinutes: 0,
  hours: [2, 6],
  weekendRate: 1,
  daysFromEnd: [4, 3],
  regions: { 'ap-southeast-1': 0.6, 'sa-east-1': 0.4 },
  gapSeconds: 6,
  login: [],
  tasks: { intrusion: 1 },
  tasksPerSession: [1, 1],
  denied: {
    'iam:ListUsers': 0.9,
    'iam:GetUser': 0.5,
    'iam:ListAttachedUserPolicies': 0.9,
    'iam:ListGroupsForUser': 0.9,
    'iam:ListRoles': 0.9,
    'iam:CreateAccessKey': 0.9,
    'iam:CreateUser': 0.95,
    'iam:AttachUserPolicy': 0.95,
    'secretsmanager:*': 0.9,
    'ec2:RunInstances': 0.6,
  },
  baseDenied: 0.05,
  identity: iamUser('AIDAX7K2SVCREPORTING'),
};

/** Everyone in the account: teams of people who share a role, each with their own share and habits. */
export const PERSONAS: Persona[] = [
  { id: 'alice', principalKey: 'alice.nguyen', role: DEVELOPER, share: 0.075, habits: { 'deploy with CDK': 1.6 }, ips: ['198.51.100.14', '203.0.113.77'], agents: { console: [BROWSERS[0]] } },
  { id: 'ben', principalKey: 'ben.carter', role: DEVELOPER, share: 0.065, habits: { 'debug a function': 1.5, 'check the API': 1.4 }, ips: ['198.51.100.15'], agents: { console: [BROWSERS[1]] } },
  { id: 'chloe', principalKey: 'chloe.martin', role: DEVELOPER, share: 0.06, habits: { 'inspect a table': 1.8, 'check queues': 1.5, 'debug a function': 0.6 }, ips: ['198.51.100.16', '203.0.113.78'], agents: { console: [BROWSERS[2]] } },
  { id: 'diego', principalKey: 'diego.ramos', role: DEVELOPER, share: 0.05, habits: { 'review stacks': 1.5, 'read configuration': 1.5 }, ips: ['198.51.100.17'], hours: [8, 16], agents: { console: [BROWSERS[0]] } },
  { id: 'priya', principalKey: 'priya.shah', role: DATA_ENGINEER, share: 0.06, habits: { 'run a job': 1.5 }, ips: ['198.51.100.52', '203.0.113.140'] },
  { id: 'mateo', principalKey: 'mateo.silva', role: DATA_ENGINEER, share: 0.05, habits: { 'move data': 1.6, 'explore the catalog': 0.7 }, ips: ['198.51.100.53'], tzMinutes: -180, hours: [9, 18] },
  { id: 'yuki', principalKey: 'yuki.tanaka', role: DATA_ENGINEER, share: 0.04, habits: { 'explore the catalog': 1.6, 'crawl new data': 1.5 }, ips: ['198.51.100.54'], tzMinutes: 540, hours: [9, 18] },
  { id: 'tom', principalKey: 'tom.becker', role: PLATFORM, share: 0.055, habits: { 'check the fleet': 1.4 }, ips: ['198.51.100.201', '203.0.113.9'] },
  { id: 'fatima', principalKey: 'fatima.ali', role: PLATFORM, share: 0.05, habits: { 'check a service': 1.6, 'redeploy a service': 1.5 }, ips: ['198.51.100.202'], tzMinutes: 60, hours: [9, 18] },
  { id: 'omar', principalKey: 'omar.haddad', role: PLATFORM, share: 0.04, habits: { 'review the network': 2, 'check databases': 1.4 }, ips: ['198.51.100.203'], tzMinutes: 60, hours: [9, 18] },
  { id: 'raj', principalKey: 'raj.patel', role: ON_CALL, share: 0.025, ips: ['203.0.113.190'] },
  { id: 'sam', principalKey: 'sam.okafor', role: SECURITY, share: 0.03, habits: { 'scan the account': 1.5 }, ips: ['198.51.100.88'] },
  { id: 'nina', principalKey: 'nina.kowalski', role: SECURITY, share: 0.025, habits: { 'review findings': 1.5 }, ips: ['198.51.100.89'], tzMinutes: 60 },
  { id: 'lena', principalKey: 'lena.fischer', role: MANAGER, share: 0.02, habits: { 'check team access': 1.5 }, ips: ['198.51.100.14', '203.0.113.211'], accessKeyId: 'AKIAX7K2LENAFISCHER1' },
  { id: 'oliver', principalKey: 'oliver.grant', role: MANAGER, share: 0.015, habits: { 'review costs': 2.5, 'check team access': 0.2 }, ips: ['198.51.100.61'], accessKeyId: 'AKIAX7K2OLIVERGRANT1', agents: { console: [BROWSERS[2]] } },
  { id: 'ci-deploy', principalKey: 'GitHubActionsDeploy', role: CI_DEPLOY, share: 0.07, ips: ['20.102.35.120', '4.175.114.51', '52.176.6.92', '13.64.120.7'] },
  { id: 'ci-terraform', principalKey: 'GitHubActionsTerraform', role: CI_TERRAFORM, share: 0.13, ips: ['20.102.35.121', '4.175.114.52', '52.176.6.93'] },
  { id: 'reporting', principalKey: 'svc-reporting', role: REPORTING, share: 0.025, ips: ['198.51.100.23'], accessKeyId: 'AKIAX7K2SVCREPORT042' },
  {
    id: 'archiver',
    principalKey: 'orders-archiver-role',
    role: ARCHIVER,
    share: 0.025,
    ips: ['34.246.10.81'],
    agents: { service: ['Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145'] },
  },
  { id: 'config', principalKey: 'AWSServiceRoleForConfig', role: CONFIG_RECORDER, share: 0.025, ips: ['config.amazonaws.com'], agents: { service: ['config.amazonaws.com'] } },
  { id: 'lambda', principalKey: 'lambda.amazonaws.com', role: LAMBDA_SERVICE, share: 0.02, ips: ['lambda.amazonaws.com'], agents: { service: ['lambda.amazonaws.com'] } },
  {
    id: 'intruder',
    principalKey: 'svc-reporting',
    role: ATTACK,
    share: 0.005,
    ips: ['185.220.101.47', '185.220.101.52'],
    accessKeyId: 'AKIAX7K2SVCREPORT042',
  },
];

/** The role ids, for the truth file and tests. */
export const ROLES: Role[] = [...new Set(PERSONAS.map((p) => p.role))];
