import { describe, expect, it } from 'vitest';
import { defaultModelFor, resolveBedrockTarget } from '../../agent/config.ts';

describe('resolveBedrockTarget', () => {
  it('picks the cross-region inference profile of Claude Sonnet 4 by geography', () => {
    expect(defaultModelFor('us-west-2')).toBe('us.anthropic.claude-sonnet-4-20250514-v1:0');
    expect(defaultModelFor('eu-west-3')).toBe('eu.anthropic.claude-sonnet-4-20250514-v1:0');
    expect(defaultModelFor('ap-northeast-1')).toBe('apac.anthropic.claude-sonnet-4-20250514-v1:0');
  });

  it('prefers options, then TRAILBOOK_ variables, then AWS_REGION, then us-east-1', () => {
    const env = { TRAILBOOK_BEDROCK_REGION: 'eu-west-1', AWS_REGION: 'us-west-2', TRAILBOOK_BEDROCK_ENDPOINT: 'http://127.0.0.1:9' };
    expect(resolveBedrockTarget({ region: 'ap-south-1' }, env)).toEqual({
      region: 'ap-south-1',
      regionSource: 'option',
      modelId: 'apac.anthropic.claude-sonnet-4-20250514-v1:0',
      endpoint: 'http://127.0.0.1:9',
    });
    expect(resolveBedrockTarget({}, env)).toMatchObject({ region: 'eu-west-1', regionSource: 'TRAILBOOK_BEDROCK_REGION', modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0' });
    expect(resolveBedrockTarget({}, { AWS_REGION: 'us-west-2' })).toMatchObject({ region: 'us-west-2', regionSource: 'AWS_REGION', endpoint: undefined });
    expect(resolveBedrockTarget({}, {})).toMatchObject({ region: 'us-east-1', regionSource: 'default' });
    expect(resolveBedrockTarget({ modelId: 'm' }, { TRAILBOOK_BEDROCK_MODEL_ID: 'x' }).modelId).toBe('m');
    expect(resolveBedrockTarget({}, { TRAILBOOK_BEDROCK_MODEL_ID: ' x ' }).modelId).toBe('x');
  });
});
