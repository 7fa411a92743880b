import type { BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';

/** Where and which model the agent talks to; options win over the environment. */
export interface BedrockTarget {
  modelId: string;
  region: string;
  /** Only for tests and private endpoints; the SDK resolves the public endpoint otherwise. */
  endpoint?: string;
  /** Where the region came from, so error guidance can say what to change. */
  regionSource: 'option' | 'TRAILBOOK_BEDROCK_REGION' | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'default';
}

export interface BedrockTargetOptions {
  modelId?: string;
  region?: string;
  endpoint?: string;
}

/** Static keys or a provider function, exactly as the SDK client accepts them. */
export type BedrockCredentials = NonNullable<BedrockRuntimeClientConfig['credentials']>;

export const DEFAULT_REGION = 'us-east-1';
const SONNET_4 = 'anthropic.claude-sonnet-4-20250514-v1:0';

/**
 * Claude Sonnet 4 is only invocable on demand through a cross-region inference profile, whose
 * prefix follows the region's geography.
 */
export function defaultModelFor(region: string): string {
  if (region.startsWith('eu-')) return `eu.${SONNET_4}`;
  if (region.startsWith('ap-')) return `apac.${SONNET_4}`;
  return `us.${SONNET_4}`;
}

export function resolveBedrockTarget(opts: BedrockTargetOptions = {}, env: NodeJS.ProcessEnv = process.env): BedrockTarget {
  const nonEmpty = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
  let region: string;
  let regionSource: BedrockTarget['regionSource'];
  if (nonEmpty(opts.region)) [region, regionSource] = [opts.region!.trim(), 'option'];
  else if (nonEmpty(env.TRAILBOOK_BEDROCK_REGION)) [region, regionSource] = [env.TRAILBOOK_BEDROCK_REGION!.trim(), 'TRAILBOOK_BEDROCK_REGION'];
  else if (nonEmpty(env.AWS_REGION)) [region, regionSource] = [env.AWS_REGION!.trim(), 'AWS_REGION'];
  else if (nonEmpty(env.AWS_DEFAULT_REGION)) [region, regionSource] = [env.AWS_DEFAULT_REGION!.trim(), 'AWS_DEFAULT_REGION'];
  else [region, regionSource] = [DEFAULT_REGION, 'default'];
  const modelId = nonEmpty(opts.modelId) ?? nonEmpty(env.TRAILBOOK_BEDROCK_MODEL_ID) ?? defaultModelFor(region);
  const endpoint = nonEmpty(opts.endpoint) ?? nonEmpty(env.TRAILBOOK_BEDROCK_ENDPOINT) ?? nonEmpty(env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME);
  return { modelId, region, endpoint, regionSource };
}
