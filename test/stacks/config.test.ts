import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { loadConfig, mcpFunctionName, parseS3Location, splitModelId } from '../../stacks/config.ts';
import { repoContext } from './support.ts';

const fromContext = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => loadConfig((key) => context[key], env);

describe('CDK context config', () => {
  it('takes its defaults from cdk.json, matching the documented ones', () => {
    const config = fromContext(repoContext());
    expect(config.allowedCidrs).toEqual(['203.0.113.100/32']);
    expect(config.mcpAuthType).toBe('AWS_IAM');
    expect(config.taskCpu).toBe(1024);
    expect(config.taskMemoryMb).toBe(3072);
    expect(config.source).toBe('lookup');
    expect(config.nag).toBe(true);
  });

  it('accepts -c strings: comma or JSON lists, numbers and booleans', () => {
    const config = fromContext({ allowedCidrs: '198.51.100.0/24, 192.0.2.7/32', taskCpu: '2048', taskMemoryMb: '8192', nag: 'false' });
    expect(config.allowedCidrs).toEqual(['198.51.100.0/24', '192.0.2.7/32']);
    expect(fromContext({ allowedCidrs: '["198.51.100.0/24"]' }).allowedCidrs).toEqual(['198.51.100.0/24']);
    expect(config.taskCpu).toBe(2048);
    expect(config.taskMemoryMb).toBe(8192);
    expect(config.nag).toBe(false);
  });

  it('rejects bad values with a message naming the key', () => {
    expect(() => fromContext({ allowedCidrs: '0.0.0.0' })).toThrow(/allowedCidrs/);
    expect(() => fromContext({ taskCpu: '3000' })).toThrow(/taskCpu/);
    expect(() => fromContext({ mcpAuthType: 'OPEN' })).toThrow(/mcpAuthType/);
    expect(() => fromContext({ natGateways: '0' })).toThrow(/natGateways/);
    expect(() => fromContext({ source: 'athena', athenaDatabase: 'db' })).toThrow(/athenaTable is required[\s\S]*athenaOutputLocation/);
    expect(() => fromContext({ vpc: 'default' })).toThrow(/vpc=default needs account and region/);
  });

  it('uses the default VPC when account and region are known, a new VPC otherwise, unless context says', () => {
    expect(fromContext({}).useDefaultVpc).toBe(false);
    expect(fromContext({}, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' }).useDefaultVpc).toBe(true);
    expect(fromContext({ account: '123456789012', region: 'eu-west-1', vpc: 'new' }).useDefaultVpc).toBe(false);
  });

  it('names the MCP function from the prefix and splits inference profiles and S3 locations', () => {
    expect(mcpFunctionName({ stackPrefix: 'Trailbook' })).toBe('trailbook-cloudtrail-mcp');
    expect(splitModelId('eu.anthropic.claude-sonnet-4-20250514-v1:0')).toEqual({ profile: true, foundationModelId: 'anthropic.claude-sonnet-4-20250514-v1:0' });
    expect(splitModelId('anthropic.claude-3-haiku-20240307-v1:0').profile).toBe(false);
    expect(parseS3Location('s3://results-bucket/athena/')).toEqual({ bucket: 'results-bucket', prefix: 'athena/' });
  });

  it('sets every feature flag the installed aws-cdk-lib recommends, as `cdk init` would, with one reasoned exception', () => {
    const context = repoContext();
    // "strong" keeps CloudFormation exports between the stacks (a producer cannot be deleted under its consumers);
    // a deployed app moving to "weak" needs a "both" deploy in between, so it is a decision, not a default.
    const exceptions: Record<string, unknown> = { '@aws-cdk/core:defaultCrossStackReferences': 'strong' };
    const unset = Object.keys(CURRENTLY_RECOMMENDED_FLAGS).filter((flag) => !(flag in context));
    expect(unset).toEqual([]);
    for (const [flag, recommended] of Object.entries(CURRENTLY_RECOMMENDED_FLAGS)) {
      expect(context[flag], flag).toEqual(flag in exceptions ? exceptions[flag] : recommended);
    }
  });

  it('reads the sign-in, alarm and git keys', () => {
    const config = fromContext({
      auth: 'cognito',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
      domainName: 'trailbook.example.com',
      alarmEmail: 'ops@example.com',
      gitRemote: 'git@github.com:acme/notebooks.git',
      gitSshKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:deploy-key',
    });
    expect(config).toMatchObject({ auth: 'cognito', domainName: 'trailbook.example.com', alarmEmail: 'ops@example.com', gitBranch: 'main', gitPath: 'notebooks' });
    expect(fromContext({}).auth).toBe('token');
    expect(() => fromContext({ gitRemote: 'http://insecure.example.com/r.git' })).toThrow(/gitRemote/);
    expect(() => fromContext({ gitRemote: 'git@github.com:a/b.git', gitTokenSecretArn: 'not-an-arn' })).toThrow(/gitTokenSecretArn/);
  });
});
