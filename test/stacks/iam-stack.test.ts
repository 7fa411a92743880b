import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { IamStack } from '../../stacks/iam-stack.ts';
import { actionsOf, configOf, newApp, policyDocuments, statementsOfPolicy } from './support.ts';

function iam(context: Record<string, unknown> = {}) {
  const app = newApp(context);
  const config = configOf(app);
  const stack = new IamStack(app, 'Iam', { env: { account: config.account, region: config.region }, config });
  return { stack, template: Template.fromStack(stack) };
}

const ATHENA = {
  source: 'athena',
  athenaDatabase: 'security',
  athenaTable: 'cloudtrail_logs',
  athenaOutputLocation: 's3://trailbook-athena-results/queries/',
  athenaTrailBucket: 'org-cloudtrail-123456789012',
};

const arnText = (value: unknown) => JSON.stringify(value);

// Whole-app synths on a shared two-core machine: generous time.
describe('IamStack', { timeout: 180_000 }, () => {
  it('has no wildcard actions in any policy, with or without Athena', () => {
    for (const context of [{}, ATHENA]) {
      const actions = actionsOf(policyDocuments(iam(context).template));
      expect(actions.length).toBeGreaterThan(5);
      for (const action of actions) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
    }
  });

  it('gives the MCP Lambda CloudTrail LookupEvents and its own log streams, nothing else', () => {
    const statements = statementsOfPolicy(iam().template, 'McpFunctionRole');
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['cloudtrail:LookupEvents', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    const logs = statements.find((s) => s.Sid === 'WriteOwnLogs')!;
    expect(arnText(logs.Resource)).toContain(':log-group:/aws/lambda/trailbook-cloudtrail-mcp:log-stream:*');
  });

  it('limits Bedrock to the configured inference profile and its foundation model via that profile', () => {
    const statements = statementsOfPolicy(iam().template, 'WorkbenchTaskRole');
    const bedrock = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('bedrock:')));
    expect(bedrock).toHaveLength(2);
    for (const statement of bedrock) expect([statement.Action].flat().sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
    const profile = bedrock.find((s) => s.Sid === 'InvokeInferenceProfile')!;
    expect(arnText(profile.Resource)).toContain(':123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0');
    const model = bedrock.find((s) => s.Sid === 'InvokeModelViaProfile')!;
    expect(arnText(model.Resource)).toContain(':bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0');
    expect(arnText(model.Condition)).toContain('bedrock:InferenceProfileArn');
  });

  it('grants a plain model id in the Bedrock region only', () => {
    const statements = statementsOfPolicy(
      iam({ bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0', bedrockRegion: 'us-west-2' }).template,
      'WorkbenchTaskRole',
    );
    const bedrock = statements.filter((s) => s.Sid === 'InvokeModel');
    expect(bedrock).toHaveLength(1);
    expect(arnText(bedrock[0].Resource)).toContain(':bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0');
  });

  it('lets the workbench invoke only the MCP function, and only through its AWS_IAM Function URL', () => {
    const statements = statementsOfPolicy(iam().template, 'WorkbenchTaskRole');
    const lambda = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('lambda:')));
    expect(lambda.map((s) => s.Action).sort()).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunctionUrl']);
    for (const statement of lambda) {
      expect(arnText(statement.Resource)).toContain(':lambda:eu-west-1:123456789012:function:trailbook-cloudtrail-mcp"');
      expect(statement.Condition).toBeDefined();
    }
    expect(lambda.find((s) => s.Action === 'lambda:InvokeFunctionUrl')!.Condition).toEqual({ StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } });
    expect(lambda.find((s) => s.Action === 'lambda:InvokeFunction')!.Condition).toEqual({ Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } });
    expect(statements.some((s) => [s.Action].flat().includes('cloudtrail:LookupEvents'))).toBe(true);
  });

  it('adds scoped Athena, Glue and S3 read actions to both roles only when the Athena source is configured', () => {
    expect(actionsOf(policyDocuments(iam().template)).some((a) => /^(athena|glue|s3):/.test(a))).toBe(false);
    const { template } = iam(ATHENA);
    for (const role of ['McpFunctionRole', 'WorkbenchTaskRole']) {
      const statements = statementsOfPolicy(template, role);
      const athena = statements.find((s) => s.Sid === 'AthenaQuery')!;
      expect(arnText(athena.Resource)).toContain(':athena:eu-west-1:123456789012:workgroup/primary');
      const glue = statements.find((s) => s.Sid === 'GlueCatalogRead')!;
      expect(arnText(glue.Resource)).toContain(':table/security/cloudtrail_logs');
      const trail = statements.find((s) => s.Sid === 'TrailBucketRead')!;
      expect([trail.Action].flat().sort()).toEqual(['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket']);
      expect(arnText(trail.Resource)).toContain(':s3:::org-cloudtrail-123456789012/*');
      const results = statements.find((s) => s.Sid === 'AthenaResultsReadWrite')!;
      expect(arnText(results.Resource)).toContain(':s3:::trailbook-athena-results/queries/*');
    }
  });

  it('depends on no other stack (its ARNs are built from known names), so nothing can cycle through it', () => {
    expect(iam().stack.dependencies).toEqual([]);
  });
});
