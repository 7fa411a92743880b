import { Stack, type StackProps, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge } from './nag.ts';
import type { Construct } from 'constructs';
import { mcpFunctionName, parseS3Location, splitModelId, type TrailbookConfig } from './config.ts';

export interface IamStackProps extends StackProps {
  config: TrailbookConfig;
}

/**
 * Least-privilege roles. Every resource-specific ARN is built from names known before deployment
 * (function name, log group name, model id), so this stack depends on no other stack and nothing cycles.
 */
export class IamStack extends Stack {
  readonly mcpFunctionRole: iam.Role;
  readonly workbenchTaskRole: iam.Role;

  constructor(scope: Construct, id: string, props: IamStackProps) {
    super(scope, id, props);
    const { config } = props;
    const functionName = mcpFunctionName(config);

    this.mcpFunctionRole = new iam.Role(this, 'McpFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Trailbook CloudTrail MCP Lambda: read CloudTrail, write its own logs',
    });
    this.mcpFunctionRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroupArn(`/aws/lambda/${functionName}`)}:log-stream:*`],
      }),
    );

    this.workbenchTaskRole = new iam.Role(this, 'WorkbenchTaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Trailbook workbench task: Bedrock model, MCP Function URL, CloudTrail read',
    });

    for (const statement of cloudTrailReadStatements(this, config)) {
      this.mcpFunctionRole.addToPolicy(statement);
      this.workbenchTaskRole.addToPolicy(statement);
    }

    const bedrockRegion = config.bedrockRegion ?? this.region;
    const { profile, foundationModelId } = splitModelId(config.bedrockModelId);
    const bedrockActions = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
    if (profile) {
      const profileArn = `arn:${this.partition}:bedrock:${bedrockRegion}:${this.account}:inference-profile/${config.bedrockModelId}`;
      this.workbenchTaskRole.addToPolicy(
        new iam.PolicyStatement({ sid: 'InvokeInferenceProfile', actions: bedrockActions, resources: [profileArn] }),
      );
      // A cross-region profile forwards to the same foundation model in whichever region has capacity,
      // and only requests that came through this profile may use it.
      this.workbenchTaskRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'InvokeModelViaProfile',
          actions: bedrockActions,
          resources: [`arn:${this.partition}:bedrock:*::foundation-model/${foundationModelId}`],
          conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
        }),
      );
    } else {
      this.workbenchTaskRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'InvokeModel',
          actions: bedrockActions,
          resources: [`arn:${this.partition}:bedrock:${bedrockRegion}::foundation-model/${foundationModelId}`],
        }),
      );
    }

    // Function URLs with AWS_IAM auth need InvokeFunctionUrl, and (since 2025) InvokeFunction limited to URL calls.
    const functionArn = `arn:${this.partition}:lambda:${this.region}:${this.account}:function:${functionName}`;
    this.workbenchTaskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeMcpFunctionUrl',
        actions: ['lambda:InvokeFunctionUrl'],
        resources: [functionArn],
        conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      }),
    );
    this.workbenchTaskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeMcpViaFunctionUrl',
        actions: ['lambda:InvokeFunction'],
        resources: [functionArn],
        conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      }),
    );

    suppressWildcards(this, config, functionName, profile);
  }

  private logGroupArn(name: string): string {
    return `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:${name}`;
  }
}

/** CloudTrail read access, plus Athena/Glue/S3 read when the Athena source is configured. */
function cloudTrailReadStatements(stack: Stack, config: TrailbookConfig): iam.PolicyStatement[] {
  const statements = [
    // LookupEvents has no resource-level permissions: AWS only accepts "*" here.
    new iam.PolicyStatement({ sid: 'CloudTrailLookup', actions: ['cloudtrail:LookupEvents'], resources: ['*'] }),
  ];
  if (config.source !== 'athena') return statements;

  const { partition, region, account } = stack;
  const output = parseS3Location(config.athenaOutputLocation!);
  const outputPrefix = output.prefix.replace(/\/?$/, '/').replace(/^\/$/, '');
  const trailBucket = `arn:${partition}:s3:::${config.athenaTrailBucket}`;
  const outputBucket = `arn:${partition}:s3:::${output.bucket}`;
  statements.push(
    new iam.PolicyStatement({
      sid: 'AthenaQuery',
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resources: [`arn:${partition}:athena:${region}:${account}:workgroup/${config.athenaWorkgroup}`],
    }),
    new iam.PolicyStatement({
      sid: 'GlueCatalogRead',
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
      resources: [
        `arn:${partition}:glue:${region}:${account}:catalog`,
        `arn:${partition}:glue:${region}:${account}:database/${config.athenaDatabase}`,
        `arn:${partition}:glue:${region}:${account}:table/${config.athenaDatabase}/${config.athenaTable}`,
      ],
    }),
    new iam.PolicyStatement({
      sid: 'TrailBucketRead',
      actions: ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation'],
      resources: [trailBucket, `${trailBucket}/*`],
    }),
    // Athena writes each query's results under the output location and reads them back for GetQueryResults.
    new iam.PolicyStatement({
      sid: 'AthenaResultsReadWrite',
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListBucket', 's3:GetBucketLocation'],
      resources: [outputBucket, `${outputBucket}/${outputPrefix}*`],
    }),
  );
  return statements;
}

function suppressWildcards(stack: IamStack, config: TrailbookConfig, functionName: string, profile: boolean): void {
  const lookup = 'cloudtrail:LookupEvents supports no resource-level permissions; AWS requires Resource "*" for it.';
  const athena = config.source === 'athena' ? athenaAcknowledgements(stack, config) : [];
  for (const role of [stack.mcpFunctionRole, stack.workbenchTaskRole]) {
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', lookup);
    for (const [rule, reason] of athena) acknowledge(role, rule, reason);
  }
  acknowledge(
    stack.mcpFunctionRole,
    `AwsSolutions-IAM5[Resource::arn:${nagPartition(stack)}:logs:${nagRegion(stack)}:${nagAccount(stack)}:log-group:/aws/lambda/${functionName}:log-stream:*]`,
    "Log stream names are generated by Lambda at run time; the grant is limited to this function's own log group.",
  );
  if (profile) {
    acknowledge(
      stack.workbenchTaskRole,
      `AwsSolutions-IAM5[Resource::arn:${nagPartition(stack)}:bedrock:*::foundation-model/${splitModelId(config.bedrockModelId).foundationModelId}]`,
      'A cross-region inference profile may route to its foundation model in any of its regions; the statement is limited to that one model and to calls made through the configured profile (bedrock:InferenceProfileArn condition).',
    );
  }
}

function athenaAcknowledgements(stack: Stack, config: TrailbookConfig): Array<[string, string]> {
  const partition = nagPartition(stack);
  const output = parseS3Location(config.athenaOutputLocation!);
  const outputPrefix = output.prefix.replace(/\/?$/, '/').replace(/^\/$/, '');
  return [
    [
      `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${config.athenaTrailBucket}/*]`,
      'Athena reads every CloudTrail delivery object in the trail bucket (object keys are not known in advance); read-only.',
    ],
    [
      `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${output.bucket}/${outputPrefix}*]`,
      'Athena names each query result object by query id; access is limited to the configured output prefix.',
    ],
  ];
}

/**
 * cdk-nag names unresolved pseudo parameters `<AWS::Region>`; concrete ones appear as themselves in finding ids.
 * With a known region the partition is a literal too (@aws-cdk/core:enablePartitionLiterals).
 */
function nagPartition(stack: Stack): string {
  return Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
}

function nagRegion(stack: Stack): string {
  return Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
}

function nagAccount(stack: Stack): string {
  return Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
}
