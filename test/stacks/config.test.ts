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
});
