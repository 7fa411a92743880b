/**
 * Burst templates: what one moment of activity fires at once. A console page load calls a page's read APIs in the
 * same second, an SDK paginator lists page after page, a CI step runs a fixed set of calls, a scheduled job does the
 * same few things every night. Personas (personas.ts) string templates together into tasks.
 *
 * A call is written `svc:Name`, optionally followed by `*min-max` (repeated: paginated listings, one call per
 * resource), `?p` (made with probability p: parts of a page that load only sometimes) and `!Code@p` (fails with that
 * error code with probability p: the "not configured" answers real consoles provoke, or a denial).
 */

/** How the calls are made: decides the user agent and whether the console's markers are recorded. */
export type Via = 'console' | 'cli' | 'sdk' | 'cdk' | 'ci' | 'terraform' | 'service' | 'attacker';

export interface Template {
  name: string;
  via: Via;
  calls: string[];
}

export interface Call {
  action: string;
  min: number;
  max: number;
  p: number;
  error?: { code: string; p: number };
}

const CALL = /^([a-z0-9-]+:[A-Za-z0-9]+)(?:\*(\d+)-(\d+))?(?:\?([\d.]+))?(?:!([A-Za-z.]+)@([\d.]+))?$/;

export function parseCall(text: string): Call {
  const m = CALL.exec(text);
  if (!m) throw new Error(`bad call "${text}": use svc:Name[*min-max][?p][!Code@p]`);
  return {
    action: m[1],
    min: m[2] ? Number(m[2]) : 1,
    max: m[3] ? Number(m[3]) : 1,
    p: m[4] ? Number(m[4]) : 1,
    ...(m[5] ? { error: { code: m[5], p: Number(m[6]) } } : {}),
  };
}

const t = (name: string, via: Via, calls: string[]): Template => ({ name, via, calls });

/** S3 bucket reads the console's property tabs and Terraform's refresh make, with the answers for what is not configured. */
const BUCKET_PROPERTIES = [
  's3:GetBucketVersioning',
  's3:GetBucketTagging!NoSuchTagSet@0.3',
  's3:GetBucketEncryption',
  's3:GetBucketLogging',
  's3:GetBucketWebsite!NoSuchWebsiteConfiguration@0.9',
  's3:GetBucketNotification?0.6',
  's3:GetBucketObjectLockConfiguration!ObjectLockConfigurationNotFoundError@0.9',
  's3:GetAccelerateConfiguration',
  's3:GetBucketRequestPayment',
  's3:GetBucketReplication!ReplicationConfigurationNotFoundError@0.9',
  's3:GetBucketLifecycle!NoSuchLifecycleConfiguration@0.5',
];

export const TEMPLATES: readonly Template[] = [
  // --- Sign-in and identity -------------------------------------------------------------------------------
  t('Console sign-in', 'console', ['signin:ConsoleLogin!ConsoleLoginFailure@0.05']),
  t('IAM Identity Center portal', 'console', ['sso:ListAccounts', 'sso:ListAccountRoles*1-3', 'sso:GetRoleCredentials?0.3']),
  t('SSO CLI login', 'cli', ['sso:GetRoleCredentials']),
  t('Who am I', 'cli', ['sts:GetCallerIdentity']),
  t('Assume data role', 'sdk', ['sts:AssumeRole']),

  // --- Console pages ----------------------------------------------------------------------------------------
  t('Console home', 'console', ['health:DescribeEventAggregates', 'notifications:ListNotificationHubs', 'ce:GetCostAndUsage?0.4', 'servicequotas:ListServiceQuotas?0.1']),
  t('EC2 dashboard', 'console', [
    'ec2:DescribeInstances',
    'ec2:DescribeVolumes',
    'ec2:DescribeSnapshots?0.5',
    'ec2:DescribeKeyPairs',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeAddresses',
    'ec2:DescribePlacementGroups?0.5',
    'ec2:DescribeHosts?0.3',
    'ec2:DescribeAvailabilityZones',
    'ec2:DescribeAccountAttributes',
  ]),
  t('EC2 instances page', 'console', ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeTags?0.6', 'ec2:DescribeInstanceTypes?0.4', 'monitoring:GetMetricData?0.5']),
  t('EC2 instance page', 'console', [
    'ec2:DescribeInstances',
    'ec2:DescribeInstanceAttribute*2-4',
    'ec2:DescribeVolumes',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeIamInstanceProfileAssociations?0.5',
    'ec2:DescribeInstanceCreditSpecifications?0.4',
  ]),
  t('EC2 security groups page', 'console', ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules*1-2', 'ec2:DescribeVpcs', 'ec2:DescribeNetworkInterfaces?0.5']),
  t('VPC dashboard', 'console', [
    'ec2:DescribeVpcs',
    'ec2:DescribeSubnets',
    'ec2:DescribeRouteTables',
    'ec2:DescribeInternetGateways',
    'ec2:DescribeNatGateways',
    'ec2:DescribeVpcEndpoints',
    'ec2:DescribeNetworkAcls?0.6',
    'ec2:DescribeVpcPeeringConnections?0.5',
    'ec2:DescribeDhcpOptions?0.4',
  ]),
  t('Load balancers page', 'console', [
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeTargetGroups',
    'elasticloadbalancing:DescribeListeners?0.7',
    'elasticloadbalancing:DescribeTargetHealth*2-4',
    'elasticloadbalancing:DescribeTags?0.5',
    'elasticloadbalancing:DescribeLoadBalancerAttributes?0.6',
  ]),
  t('Auto Scaling groups page', 'console', [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeScalingActivities',
    'autoscaling:DescribePolicies?0.5',
    'autoscaling:DescribeLaunchConfigurations?0.3',
    'ec2:DescribeLaunchTemplates',
    'ec2:DescribeLaunchTemplateVersions?0.5',
  ]),
  t('S3 buckets page', 'console', ['s3:ListBuckets', 's3:GetBucketLocation*3-8', 's3:GetBucketPolicyStatus?0.6!NoSuchBucketPolicy@0.3', 's3:GetAccountPublicAccessBlock?0.5', 's3:ListAccessPoints?0.4']),
  t('S3 bucket objects page', 'console', ['s3:ListObjects*1-3', 's3:GetBucketVersioning', 's3:GetBucketLocation', 's3:GetBucketAcl?0.4', 's3:GetBucketEncryption?0.4']),
  t('S3 bucket properties page', 'console', BUCKET_PROPERTIES),
  t('S3 bucket permissions page', 'console', [
    's3:GetBucketPolicy!NoSuchBucketPolicy@0.3',
    's3:GetBucketAcl',
    's3:GetBucketPublicAccessBlock',
    's3:GetBucketOwnershipControls',
    's3:GetBucketCors!NoSuchCORSConfiguration@0.8',
    's3:GetBucketPolicyStatus',
  ]),
  t('IAM dashboard', 'console', ['iam:GetAccountSummary', 'iam:ListAccountAliases', 'iam:GetAccountPasswordPolicy?0.6!NoSuchEntity@0.5', 'organizations:DescribeOrganization?0.5']),
  t('IAM users page', 'console', ['iam:ListUsers', 'iam:ListAccessKeys*2-6?0.8', 'iam:GetLoginProfile*1-4!NoSuchEntity@0.4', 'iam:ListMFADevices?0.6', 'iam:ListGroupsForUser?0.4', 'iam:GetAccessKeyLastUsed*2-6?0.6']),
  t('IAM roles page', 'console', ['iam:ListRoles*1-2', 'iam:GetRole?0.5', 'iam:ListRoleTags?0.3']),
  t('IAM role page', 'console', [
    'iam:GetRole',
    'iam:ListAttachedRolePolicies',
    'iam:ListRolePolicies',
    'iam:ListInstanceProfilesForRole?0.5',
    'iam:GetRolePolicy?0.4',
    'iam:GenerateServiceLastAccessedDetails?0.4',
    'iam:GetServiceLastAccessedDetails?0.4',
  ]),
  t('IAM policies page', 'console', ['iam:ListPolicies*1-3', 'iam:GetPolicy?0.5', 'iam:GetPolicyVersion?0.5', 'iam:ListEntitiesForPolicy?0.4']),
  t('CloudFormation stacks page', 'console', ['cloudformation:DescribeStacks*1-2', 'cloudformation:ListStacks*1-2', 'cloudformation:GetTemplateSummary?0.2']),
  t('CloudFormation stack page', 'console', [
    'cloudformation:DescribeStacks',
    'cloudformation:DescribeStackEvents',
    'cloudformation:DescribeStackResources',
    'cloudformation:ListStackResources?0.5',
    'cloudformation:GetTemplate?0.5',
    'cloudformation:ListChangeSets?0.5',
    'cloudformation:GetStackPolicy?0.3',
  ]),
  t('Lambda functions page', 'console', ['lambda:ListFunctions20150331*1-2', 'lambda:GetAccountSettings20160819', 'lambda:ListTags20170331*1-4?0.5', 'monitoring:GetMetricData*1-3?0.5']),
  t('Lambda function page', 'console', [
    'lambda:GetFunction20150331v2',
    'lambda:ListAliases20150331',
    'lambda:ListVersionsByFunction20150331',
    'lambda:GetPolicy20150331v2!ResourceNotFoundException@0.4',
    'lambda:ListEventSourceMappings20150331',
    'lambda:GetFunctionUrlConfig20211031!ResourceNotFoundException@0.7',
    'lambda:GetFunctionConcurrency20190930?0.5',
    'lambda:GetFunctionCodeSigningConfig20200422?0.4',
    'lambda:ListTags20170331?0.5',
  ]),
  t('CloudWatch alarms page', 'console', ['monitoring:DescribeAlarms*1-2', 'monitoring:GetMetricData*2-6', 'monitoring:DescribeAlarmHistory?0.4']),
  t('CloudWatch dashboard', 'console', ['monitoring:GetDashboard', 'monitoring:GetMetricData*4-10', 'monitoring:ListDashboards?0.5', 'monitoring:DescribeAlarms?0.5']),
  t('CloudWatch Logs groups page', 'console', ['logs:DescribeLogGroups*1-2', 'logs:DescribeMetricFilters?0.5', 'logs:DescribeSubscriptionFilters?0.3']),
  t('CloudWatch Logs stream page', 'console', ['logs:DescribeLogStreams', 'logs:GetLogEvents*1-3', 'logs:FilterLogEvents?0.3']),
  t('Logs Insights query', 'console', ['logs:StartQuery', 'logs:DescribeQueries?0.5', 'logs:GetQueryResults', 'logs:DescribeLogGroups?0.5', 'logs:GetQueryResults?0.5']),
  t('Logs Insights results', 'console', ['logs:GetQueryResults*1-2']),
  t('ECS clusters page', 'console', ['ecs:ListClusters', 'ecs:DescribeClusters', 'ecs:ListServices*1-2?0.6', 'ecs:DescribeServices*1-3?0.5', 'ecs:ListContainerInstances?0.4']),
  t('ECS service page', 'console', [
    'ecs:DescribeServices',
    'ecs:ListTasks',
    'ecs:DescribeTasks*1-3',
    'ecs:DescribeTaskDefinition',
    'elasticloadbalancing:DescribeTargetHealth?0.5',
    'monitoring:GetMetricData*2-4?0.7',
    'ecs:ListTagsForResource?0.4',
  ]),
  t('ECR repositories page', 'console', ['ecr:DescribeRepositories', 'ecr:DescribeImages*1-2?0.7!ImageNotFoundException@0.1', 'ecr:GetLifecyclePolicy!LifecyclePolicyNotFoundException@0.5', 'ecr:DescribeRegistry?0.3']),
  t('RDS databases page', 'console', [
    'rds:DescribeDBInstances',
    'rds:DescribeDBClusters',
    'rds:DescribeEvents?0.5',
    'rds:DescribePendingMaintenanceActions?0.5',
    'rds:ListTagsForResource*1-3?0.5',
    'rds:DescribeDBSnapshots?0.3',
    'monitoring:GetMetricData*1-4?0.6',
  ]),
  t('DynamoDB tables page', 'console', ['dynamodb:ListTables', 'dynamodb:DescribeTable*2-6', 'dynamodb:DescribeContinuousBackups?0.4', 'dynamodb:DescribeTimeToLive?0.4']),
  t('DynamoDB table page', 'console', [
    'dynamodb:DescribeTable',
    'dynamodb:DescribeContinuousBackups',
    'dynamodb:DescribeTimeToLive',
    'dynamodb:ListTagsOfResource',
    'dynamodb:DescribeContributorInsights?0.3',
    'dynamodb:DescribeKinesisStreamingDestination?0.3',
    'monitoring:GetMetricData*2-6',
  ]),
  t('SQS queues page', 'console', ['sqs:ListQueues', 'sqs:GetQueueAttributes*3-6', 'sqs:ListQueueTags?0.4']),
  t('SNS topics page', 'console', ['sns:ListTopics', 'sns:GetTopicAttributes*2-5', 'sns:ListSubscriptions?0.5', 'sns:ListSubscriptionsByTopic?0.5']),
  t('API Gateway page', 'console', ['apigateway:GetRestApis', 'apigateway:GetStages?0.6', 'apigateway:GetResources?0.5', 'apigateway:GetDeployments?0.4', 'apigateway:GetApis?0.5']),
  t('Route 53 zones page', 'console', ['route53:ListHostedZones', 'route53:GetHostedZoneCount?0.5', 'route53:ListResourceRecordSets*1-3?0.6', 'route53:GetHostedZone?0.4']),
  t('CloudFront page', 'console', ['cloudfront:ListDistributions', 'cloudfront:GetDistribution?0.5', 'cloudfront:ListCachePolicies?0.3', 'cloudfront:ListInvalidations?0.4']),
  t('ACM certificates page', 'console', ['acm:ListCertificates', 'acm:DescribeCertificate*2-5', 'acm:ListTagsForCertificate?0.4']),
  t('KMS keys page', 'console', ['kms:ListKeys', 'kms:ListAliases', 'kms:DescribeKey*2-8', 'kms:GetKeyRotationStatus?0.5!AccessDeniedException@0.3', 'kms:ListResourceTags?0.3']),
  t('Secrets Manager page', 'console', ['secretsmanager:ListSecrets', 'secretsmanager:DescribeSecret?0.5', 'secretsmanager:GetResourcePolicy?0.4']),
  t('Parameter Store page', 'console', ['ssm:DescribeParameters*1-2', 'ssm:GetParameter?0.4', 'ssm:ListTagsForResource?0.3']),
  t('Systems Manager fleet page', 'console', ['ssm:DescribeInstanceInformation', 'ssm:ListCommands?0.5', 'ssm:GetInventory?0.3', 'ssm:DescribeInstancePatchStates?0.3', 'ec2:DescribeInstances?0.5']),
  t('Cost Explorer page', 'console', ['ce:GetCostAndUsage*2-4', 'ce:GetCostForecast', 'ce:GetDimensionValues?0.6', 'ce:GetTags?0.3', 'ce:GetReservationUtilization?0.3', 'ce:GetSavingsPlansUtilization?0.3']),
  t('Budgets page', 'console', ['budgets:DescribeBudgets', 'ce:GetCostAndUsage', 'budgets:DescribeBudgetPerformanceHistory?0.4']),
  t('Health dashboard', 'console', ['health:DescribeEventAggregates', 'health:DescribeEvents', 'health:DescribeEventDetails?0.5']),
  t('CloudTrail event history', 'console', ['cloudtrail:LookupEvents*1-4', 'cloudtrail:DescribeTrails?0.5', 'cloudtrail:ListTrails?0.4']),
  t('CloudTrail trails page', 'console', ['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors', 'cloudtrail:ListTags?0.5', 'cloudtrail:GetInsightSelectors!InsightNotEnabledException@0.6']),
  t('GuardDuty findings page', 'console', ['guardduty:ListDetectors', 'guardduty:ListFindings', 'guardduty:GetFindings*1-3', 'guardduty:GetFindingsStatistics?0.6', 'guardduty:GetDetector?0.5']),
  t('Security Hub summary', 'console', ['securityhub:DescribeHub', 'securityhub:GetFindings*2-4', 'securityhub:GetEnabledStandards', 'securityhub:DescribeStandardsControls?0.5', 'securityhub:GetInsightResults?0.4']),
  t('Access Analyzer page', 'console', ['access-analyzer:ListAnalyzers', 'access-analyzer:ListFindings?0.8', 'access-analyzer:GetFinding?0.3']),
  t('Config rules page', 'console', ['config:DescribeConfigRules', 'config:DescribeComplianceByConfigRule', 'config:DescribeConfigRuleEvaluationStatus?0.5', 'config:DescribeConfigurationRecorders?0.3']),
  t('Step Functions page', 'console', ['states:ListStateMachines', 'states:DescribeStateMachine?0.5', 'states:ListExecutions*1-3', 'states:DescribeExecution?0.4', 'states:GetExecutionHistory?0.4']),
  t('EventBridge rules page', 'console', ['events:ListRules', 'events:DescribeRule?0.5', 'events:ListTargetsByRule*1-2?0.6', 'events:ListEventBuses?0.4']),
  t('Glue tables page', 'console', ['glue:GetDatabases', 'glue:GetTables*1-2', 'glue:GetTable*1-3?0.5', 'glue:GetPartitions?0.4', 'glue:GetPartitionIndexes?0.3']),
  t('Glue jobs page', 'console', ['glue:GetJobs', 'glue:GetJobRuns*2-4', 'glue:GetJob?0.5', 'glue:GetTriggers?0.4', 'glue:GetCrawlers?0.5']),
  t('Athena query editor', 'console', ['athena:ListWorkGroups', 'athena:GetWorkGroup', 'athena:ListDataCatalogs', 'athena:ListDatabases', 'athena:ListTableMetadata?0.6', 'athena:ListNamedQueries?0.3']),
  t('Organizations page', 'console', ['organizations:DescribeOrganization', 'organizations:ListAccounts', 'organizations:ListRoots', 'organizations:ListOrganizationalUnitsForParent?0.5', 'organizations:ListPoliciesForTarget?0.3']),
  t('EKS clusters page', 'console', ['eks:ListClusters', 'eks:DescribeCluster*1-2', 'eks:ListNodegroups?0.6', 'eks:DescribeNodegroup?0.4', 'eks:ListAddons?0.4']),
  t('ElastiCache page', 'console', ['elasticache:DescribeCacheClusters', 'elasticache:DescribeReplicationGroups', 'elasticache:DescribeCacheSubnetGroups?0.4', 'elasticache:DescribeEvents?0.3']),
  t('Backup page', 'console', ['backup:ListBackupPlans', 'backup:ListBackupVaults', 'backup:ListBackupJobs?0.6', 'backup:ListProtectedResources?0.4']),
  t('Cognito user pools page', 'console', ['cognito-idp:ListUserPools', 'cognito-idp:DescribeUserPool?0.6', 'cognito-idp:ListUserPoolClients?0.5']),
  t('X-Ray traces page', 'console', ['xray:GetServiceGraph', 'xray:GetTraceSummaries', 'xray:BatchGetTraces?0.5', 'xray:GetGroups?0.4']),
  t('CodeBuild projects page', 'console', ['codebuild:ListProjects', 'codebuild:BatchGetProjects', 'codebuild:ListBuildsForProject?0.6', 'codebuild:BatchGetBuilds?0.5']),
  t('CodePipeline page', 'console', ['codepipeline:ListPipelines', 'codepipeline:GetPipelineState?0.7', 'codepipeline:ListPipelineExecutions?0.6']),
  t('WAF web ACLs page', 'console', ['wafv2:ListWebACLs', 'wafv2:GetWebACL?0.5', 'wafv2:ListResourcesForWebACL?0.3']),
  t('Kinesis streams page', 'console', ['kinesis:ListStreams', 'kinesis:DescribeStreamSummary*1-2', 'kinesis:ListStreamConsumers?0.3']),
  t('Service Quotas page', 'console', ['servicequotas:ListServiceQuotas', 'servicequotas:GetServiceQuota?0.5', 'servicequotas:ListRequestedServiceQuotaChangeHistory?0.3']),

  // --- Console actions (one write, then the page reloads) --------------------------------------------------
  t('EC2 reboot from console', 'console', ['ec2:RebootInstances', 'ec2:DescribeInstances', 'ec2:DescribeInstanceStatus']),
  t('EC2 stop and start from console', 'console', ['ec2:StopInstances', 'ec2:DescribeInstances', 'ec2:StartInstances?0.6']),
  t('Edit security group rule', 'console', ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DescribeSecurityGroupRules', 'ec2:RevokeSecurityGroupIngress?0.3']),
  t('Update alarm from console', 'console', ['monitoring:PutMetricAlarm', 'monitoring:DescribeAlarms']),
  t('Purge SQS queue', 'console', ['sqs:PurgeQueue', 'sqs:GetQueueAttributes']),
  t('Edit parameter', 'console', ['ssm:PutParameter', 'ssm:DescribeParameters', 'ssm:AddTagsToResource?0.2']),

  // --- CLI and SDK --------------------------------------------------------------------------------------------
  t('CLI list instances', 'cli', ['ec2:DescribeInstances*1-3']),
  t('CLI instance status', 'cli', ['ec2:DescribeInstanceStatus', 'ec2:DescribeInstances?0.5']),
  t('CLI reboot instance', 'cli', ['ec2:RebootInstances']),
  t('CLI scale group', 'cli', ['autoscaling:UpdateAutoScalingGroup', 'autoscaling:DescribeAutoScalingGroups']),
  t('CLI describe groups', 'cli', ['autoscaling:DescribeAutoScalingGroups*1-2', 'autoscaling:DescribeScalingActivities?0.5']),
  t('CLI alarms in ALARM', 'cli', ['monitoring:DescribeAlarms', 'monitoring:DescribeAlarmHistory?0.5']),
  t('CLI metric data', 'cli', ['monitoring:GetMetricData*1-3']),
  t('CLI logs tail', 'cli', ['logs:FilterLogEvents*1-3']),
  t('CLI Logs Insights query', 'cli', ['logs:StartQuery', 'logs:GetQueryResults']),
  t('CLI poll query results', 'cli', ['logs:GetQueryResults']),
  t('CLI ECS services', 'cli', ['ecs:ListServices', 'ecs:DescribeServices*1-2']),
  t('CLI ECS tasks', 'cli', ['ecs:ListTasks', 'ecs:DescribeTasks']),
  t('CLI ECS redeploy', 'cli', ['ecs:UpdateService', 'ecs:DescribeServices']),
  t('CLI wait for service', 'cli', ['ecs:DescribeServices']),
  t('CLI RDS status', 'cli', ['rds:DescribeDBInstances', 'rds:DescribeEvents?0.4']),
  t('CLI RDS reboot', 'cli', ['rds:RebootDBInstance', 'rds:DescribeDBInstances']),
  t('CLI run command', 'cli', ['ssm:SendCommand', 'ssm:ListCommandInvocations?0.5']),
  t('CLI command output', 'cli', ['ssm:GetCommandInvocation*1-3', 'ssm:ListCommandInvocations?0.3']),
  t('CLI read parameters', 'cli', ['ssm:GetParametersByPath*1-3', 'ssm:GetParameter?0.4!ParameterNotFound@0.2']),
  t('CLI read secret', 'cli', ['secretsmanager:GetSecretValue']),
  t('CLI start session', 'cli', ['ssm:StartSession', 'ssm:DescribeSessions?0.3']),
  t('CLI Lambda update code', 'cli', ['lambda:UpdateFunctionCode20150331v2!ResourceConflictException@0.05', 'lambda:GetFunctionConfiguration20150331v2']),
  t('CLI Lambda wait', 'cli', ['lambda:GetFunctionConfiguration20150331v2']),
  t('CLI Lambda update configuration', 'cli', ['lambda:UpdateFunctionConfiguration20150331v2', 'lambda:GetFunctionConfiguration20150331v2?0.5']),
  t('CLI Lambda invoke', 'cli', ['lambda:Invoke', 'logs:FilterLogEvents?0.5']),
  t('CLI S3 listing', 'cli', ['s3:ListObjects*2-8']),
  t('CLI S3 download', 'cli', ['s3:GetObject*1-6', 's3:HeadObject?0.4']),
  t('CLI S3 upload', 'cli', ['s3:PutObject*2-8', 's3:ListObjects?0.3']),
  t('SDK S3 scan', 'sdk', ['s3:ListObjects*2-6', 's3:GetObject*1-4']),
  t('SDK S3 write results', 'sdk', ['s3:PutObject*4-12']),
  t('Athena console query', 'console', ['athena:StartQueryExecution!InvalidRequestException@0.06', 'athena:GetQueryExecution', 'athena:GetWorkGroup?0.5', 'athena:ListQueryExecutions?0.4']),
  t('Athena console results', 'console', ['athena:GetQueryExecution', 'athena:GetQueryResults*1-3', 'athena:GetQueryRuntimeStatistics', 'athena:BatchGetQueryExecution?0.5', 'athena:ListQueryExecutions?0.3']),
  t('Athena start query', 'sdk', ['athena:StartQueryExecution!InvalidRequestException@0.06', 'athena:GetQueryExecution']),
  t('Athena poll', 'sdk', ['athena:GetQueryExecution']),
  t('Athena results', 'sdk', ['athena:GetQueryExecution', 'athena:GetQueryResults*1-4!InvalidRequestException@0.04']),
  t('Glue catalog lookup', 'sdk', ['glue:GetTable', 'glue:GetPartitions*1-3', 'glue:GetDatabase?0.4']),
  t('Glue start job', 'sdk', ['glue:StartJobRun!ConcurrentRunsExceededException@0.05', 'glue:GetJobRun']),
  t('Glue poll job', 'sdk', ['glue:GetJobRun']),
  t('Glue start crawler', 'sdk', ['glue:StartCrawler', 'glue:GetCrawler']),
  t('Glue poll crawler', 'sdk', ['glue:GetCrawler']),

  // --- CDK deploys from a laptop -----------------------------------------------------------------------------
  t('CDK bootstrap check', 'cdk', ['sts:GetCallerIdentity', 'ssm:GetParameter', 'cloudformation:DescribeStacks!ValidationError@0.08', 'cloudformation:GetTemplate?0.5']),
  t('CDK asset upload', 'cdk', ['s3:GetBucketLocation', 's3:ListObjects?0.6', 's3:PutObject*3-8']),
  t('CloudFormation create change set', 'cdk', ['cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet']),
  t('CloudFormation poll change set', 'cdk', ['cloudformation:DescribeChangeSet']),
  t('CloudFormation execute change set', 'cdk', ['cloudformation:ExecuteChangeSet', 'cloudformation:DescribeStacks']),
  t('CloudFormation poll stack', 'cdk', ['cloudformation:DescribeStackEvents', 'cloudformation:DescribeStacks']),
  t('CloudFormation discard change set', 'cdk', ['cloudformation:DeleteChangeSet', 'cloudformation:DescribeStacks']),

  // --- CI pipelines ------------------------------------------------------------------------------------------
  t('CI assume role', 'ci', ['sts:AssumeRoleWithWebIdentity']),
  t('CI ECR login', 'ci', ['sts:GetCallerIdentity?0.6', 'ecr:GetAuthorizationToken', 'ecr:DescribeRepositories?0.4']),
  t('CI ECR push', 'ci', [
    'ecr:BatchCheckLayerAvailability*1-2',
    'ecr:InitiateLayerUpload*1-4',
    'ecr:UploadLayerPart*2-10',
    'ecr:CompleteLayerUpload*1-4',
    'ecr:PutImage?0.5',
  ]),
  t('CI ECR tag image', 'ci', ['ecr:BatchGetImage', 'ecr:PutImage']),
  t('CI register task definition', 'ci', ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition']),
  t('CI ECS deploy', 'ci', ['ecs:UpdateService', 'ecs:DescribeServices']),
  t('CI wait for deployment', 'ci', ['ecs:DescribeServices']),
  t('CI stack outputs', 'ci', ['cloudformation:DescribeStacks', 'cloudformation:ListExports?0.5', 'ssm:GetParameter*1-2?0.6']),
  t('CI smoke test', 'ci', ['lambda:Invoke', 'ssm:GetParameter']),
  t('CI CDK asset upload', 'ci', ['s3:GetBucketLocation', 's3:PutObject*2-6']),
  t('CI create change set', 'ci', ['cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet']),
  t('CI poll change set', 'ci', ['cloudformation:DescribeChangeSet']),
  t('CI execute change set', 'ci', ['cloudformation:ExecuteChangeSet', 'cloudformation:DescribeStacks']),
  t('CI poll stack', 'ci', ['cloudformation:DescribeStackEvents', 'cloudformation:DescribeStacks']),

  // --- Terraform (the infrastructure repository's pipeline) -------------------------------------------------
  t('Terraform init', 'terraform', ['sts:GetCallerIdentity', 'iam:GetUser?0.3', 's3:ListObjects', 's3:GetObject', 'dynamodb:DescribeTable']),
  t('Terraform refresh network', 'terraform', [
    'ec2:DescribeVpcs*1-2',
    'ec2:DescribeVpcAttribute*2-4',
    'ec2:DescribeSubnets*3-6',
    'ec2:DescribeRouteTables*3-6',
    'ec2:DescribeSecurityGroups*2-5',
    'ec2:DescribeNetworkAcls*1-2',
    'ec2:DescribeInternetGateways',
    'ec2:DescribeNatGateways*1-3',
    'ec2:DescribeVpcClassicLink?0.3',
    'ec2:DescribeVpcClassicLinkDnsSupport?0.3',
  ]),
  t('Terraform refresh IAM', 'terraform', ['iam:GetRole*3-6', 'iam:ListRolePolicies*2-4', 'iam:ListAttachedRolePolicies*2-5', 'iam:GetRolePolicy*1-3?0.6', 'iam:GetPolicy?0.5', 'iam:GetPolicyVersion?0.5', 'iam:GetInstanceProfile?0.4']),
  t('Terraform refresh buckets', 'terraform', ['s3:ListBuckets?0.3', 's3:GetBucketPolicy*2-3!NoSuchBucketPolicy@0.2', 's3:GetBucketAcl*2-3', 's3:GetBucketCors*2-3!NoSuchCORSConfiguration@0.9', ...BUCKET_PROPERTIES.map((c) => c.replace(/^([a-z0-9]+:[A-Za-z]+)/, '$1*2-3'))]),
  t('Terraform refresh compute', 'terraform', [
    'lambda:GetFunction20150331v2*2-5',
    'lambda:ListVersionsByFunction20150331?0.6',
    'lambda:GetFunctionCodeSigningConfig20200422?0.4',
    'logs:DescribeLogGroups*1-2',
    'logs:ListTagsLogGroup?0.6',
    'rds:DescribeDBInstances',
    'rds:DescribeDBSubnetGroups?0.5',
    'sqs:GetQueueAttributes*2-3',
    'sqs:ListQueueTags*1-3?0.5',
    'dynamodb:DescribeTable',
    'dynamodb:DescribeContinuousBackups?0.5',
    'dynamodb:DescribeTimeToLive?0.5',
  ]),
  t('Terraform apply network', 'terraform', ['ec2:CreateSecurityGroup?0.3', 'ec2:AuthorizeSecurityGroupIngress*1-4', 'ec2:AuthorizeSecurityGroupEgress*1-2?0.5', 'ec2:CreateTags*2-6', 'ec2:DescribeSecurityGroups', 'ec2:RevokeSecurityGroupIngress*1-2?0.4', 'ec2:ModifyVpcAttribute?0.2']),
  t('Terraform apply IAM', 'terraform', ['iam:PutRolePolicy*1-4', 'iam:AttachRolePolicy*1-2?0.5', 'iam:GetRole', 'iam:UpdateAssumeRolePolicy?0.2', 'iam:TagRole*1-3?0.5']),
  t('Terraform apply function', 'terraform', ['lambda:UpdateFunctionConfiguration20150331v2*1-2', 'lambda:GetFunction20150331v2', 'logs:PutRetentionPolicy?0.4', 'lambda:TagResource?0.3']),
  t('Terraform state write', 'terraform', ['s3:PutObject', 's3:DeleteObject?0.3', 'dynamodb:DescribeTable?0.3']),

  // --- Security scanner (prowler) ----------------------------------------------------------------------------
  t('Scanner regions', 'sdk', ['ec2:DescribeRegions', 'sts:GetCallerIdentity']),
  t('Scanner EC2 region sweep', 'sdk', [
    'ec2:DescribeInstances',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeNetworkAcls',
    'ec2:DescribeFlowLogs',
    'ec2:DescribeVpcs',
    'ec2:DescribeSnapshots?0.7',
    'ec2:DescribeVolumes?0.7',
    'ec2:GetEbsEncryptionByDefault',
    'ec2:DescribeImages?0.4',
  ]),
  t('Scanner IAM', 'sdk', [
    'iam:GenerateCredentialReport',
    'iam:GetCredentialReport!ReportInProgress@0.3',
    'iam:ListUsers',
    'iam:ListPolicies*1-3',
    'iam:GetAccountPasswordPolicy!NoSuchEntity@0.5',
    'iam:ListVirtualMFADevices',
    'iam:GetAccountSummary',
    'iam:ListRoles*1-2',
  ]),
  t('Scanner IAM details', 'sdk', ['iam:GetAccountAuthorizationDetails*2-5']),
  t('Scanner S3', 'sdk', ['s3:ListBuckets', 's3:GetBucketAcl*2-4', 's3:GetBucketLogging*2-4', 's3:GetBucketPolicy*2-4!NoSuchBucketPolicy@0.3', 's3:GetBucketPublicAccessBlock*2-4', 's3:GetBucketEncryption*2-4']),
  t('Scanner logging', 'sdk', [
    'cloudtrail:DescribeTrails',
    'cloudtrail:GetTrailStatus',
    'cloudtrail:GetEventSelectors',
    'config:DescribeConfigurationRecorders',
    'config:DescribeDeliveryChannels',
    'config:DescribeConfigurationRecorderStatus?0.6',
    'guardduty:ListDetectors',
  ]),
  t('Scanner keys and secrets', 'sdk', ['kms:ListKeys', 'kms:DescribeKey*1-3', 'kms:GetKeyRotationStatus*1-3', 'kms:GetKeyPolicy!AccessDeniedException@0.5', 'secretsmanager:ListSecrets', 'secretsmanager:DescribeSecret?0.5']),

  // --- Scheduled jobs and AWS services ------------------------------------------------------------------------
  t('Report query', 'sdk', ['athena:StartQueryExecution', 'athena:GetQueryExecution']),
  t('Report poll', 'sdk', ['athena:GetQueryExecution']),
  t('Report fetch', 'sdk', ['athena:GetQueryExecution', 'athena:GetQueryResults*2-6']),
  t('Report publish', 'sdk', ['s3:PutObject*3-8', 'sts:GetCallerIdentity?0.1']),
  t('Archiver export', 'service', ['secretsmanager:GetSecretValue', 'dynamodb:DescribeTable', 's3:PutObject*4-12']),
  t('Archiver check', 'service', ['sqs:GetQueueAttributes*1-3', 'dynamodb:DescribeTable?0.5', 'kms:GenerateDataKey?0.3']),
  t('Config snapshot compute', 'service', ['ec2:DescribeInstances', 'ec2:DescribeVolumes', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups']),
  t('Config snapshot network', 'service', ['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeRouteTables', 'ec2:DescribeInternetGateways', 'ec2:DescribeNetworkAcls']),
  t('Config snapshot IAM', 'service', ['iam:GetRole*1-3', 'iam:ListAttachedRolePolicies*1-2', 'iam:GetPolicy?0.5', 'iam:ListRolePolicies?0.5']),
  t('Config snapshot storage', 'service', ['s3:GetBucketAcl', 's3:GetBucketPolicy!NoSuchBucketPolicy@0.3', 's3:GetBucketVersioning', 's3:GetBucketLogging', 's3:GetBucketTagging!NoSuchTagSet@0.3']),
  t('Lambda cold start', 'service', ['sts:AssumeRole*1-3', 'kms:Decrypt*1-2?0.6']),

  // --- A stolen access key ----------------------------------------------------------------------------------
  t('Attacker whoami', 'attacker', ['sts:GetCallerIdentity']),
  t('Attacker IAM discovery', 'attacker', ['iam:ListUsers', 'iam:GetUser', 'iam:ListAttachedUserPolicies', 'iam:ListGroupsForUser?0.5', 'iam:ListRoles?0.5']),
  t('Attacker region sweep', 'attacker', ['ec2:DescribeRegions', 'ec2:DescribeInstances*1-3']),
  t('Attacker S3 discovery', 'attacker', ['s3:ListBuckets', 's3:ListObjects*1-4']),
  t('Attacker exfiltration', 'attacker', ['s3:GetObject*2-8']),
  t('Attacker secrets', 'attacker', ['secretsmanager:ListSecrets', 'secretsmanager:GetSecretValue*1-3']),
  t('Attacker persistence', 'attacker', ['iam:CreateUser', 'iam:CreateAccessKey', 'iam:AttachUserPolicy?0.6']),
  t('Attacker new key', 'attacker', ['iam:CreateAccessKey']),
  t('Attacker instances', 'attacker', ['ec2:RunInstances*1-2', 'ec2:DescribeInstances?0.5']),
];

/**
 * What every console page also loads: the notification bell, the health badge, the account menu. Not every time
 * (the console caches), so each is optional.
 */
const CONSOLE_CHROME = ['health:DescribeEventAggregates?0.3!SubscriptionRequiredException@0.3', 'notifications:ListNotificationHubs?0.25'];
for (const x of TEMPLATES as Template[]) if (x.via === 'console' && !x.calls.some((c) => c.startsWith('signin:') || c.startsWith('sso:'))) x.calls = [...x.calls, ...CONSOLE_CHROME];

export const TEMPLATE_BY_NAME: ReadonlyMap<string, Template> = new Map(TEMPLATES.map((x) => [x.name, x]));

/** Parsed calls of each template (parsed once). */
export const CALLS: ReadonlyMap<string, readonly Call[]> = new Map(TEMPLATES.map((x) => [x.name, x.calls.map(parseCall)]));
