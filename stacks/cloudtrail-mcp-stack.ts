import path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { acknowledge } from './nag.ts';
import type { Construct } from 'constructs';
import { dataSourceEnvironment, mcpFunctionName, type TrailbookConfig } from './config.ts';
import { REPO_ROOT } from './paths.ts';

export interface CloudTrailMcpStackProps extends StackProps {
  config: TrailbookConfig;
  role: iam.IRole;
}

/** The CloudTrail MCP server as a Lambda behind a streaming Function URL. */
export class CloudTrailMcpStack extends Stack {
  readonly function: NodejsFunction;
  readonly functionUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: CloudTrailMcpStackProps) {
    super(scope, id, props);
    const { config } = props;
    const functionName = mcpFunctionName(config);

    // Named after the function so the role in IamStack can be scoped to it before either exists.
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.function = new NodejsFunction(this, 'Function', {
      functionName,
      description: 'Trailbook CloudTrail MCP server (Streamable HTTP over a Function URL)',
      entry: path.resolve(REPO_ROOT, config.mcpEntry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: config.mcpMemoryMb,
      timeout: Duration.minutes(15),
      role: props.role,
      logGroup,
      environment: {
        ...dataSourceEnvironment(config, this.region),
        // The only writable path in Lambda.
        TRAILBOOK_CACHE_DIR: '/tmp/trailbook-cache',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        // Bundle the AWS SDK too: the tested versions, not whatever the runtime ships. DuckDB (the local SQL table of
        // the files source) is a native module esbuild cannot bundle; the function serves SQL through Athena without it.
        externalModules: ['@duckdb/node-api'],
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // Some CommonJS dependencies call require(); give the ESM bundle one.
        banner: "import { createRequire as __trailbookCreateRequire } from 'node:module'; const require = __trailbookCreateRequire(import.meta.url);",
      },
    });

    this.functionUrl = this.function.addFunctionUrl({
      authType: config.mcpAuthType === 'NONE' ? lambda.FunctionUrlAuthType.NONE : lambda.FunctionUrlAuthType.AWS_IAM,
      invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    });

    new CfnOutput(this, 'McpFunctionUrl', { value: this.functionUrl.url, description: 'CloudTrail MCP endpoint (Streamable HTTP)' });
    new CfnOutput(this, 'McpFunctionName', { value: this.function.functionName });

    acknowledge(this.function, 'AwsSolutions-L1', 'Pinned to Node.js 22, the runtime the handler is built and tested for (esbuild target node22).');
  }
}
