import type { BedrockTarget } from './config.ts';

/** An error whose message is guidance a notebook user can act on; the original error is its cause. */
export class BedrockSetupError extends Error {
  override name = 'BedrockSetupError';
  constructor(
    message: string,
    readonly kind: 'credentials' | 'access' | 'model' | 'region',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CONFIGURE = [
  'Configure it with:',
  '  - credentials: AWS_PROFILE (then `aws sso login`), or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), or an instance/container role;',
  '  - region: TRAILBOOK_BEDROCK_REGION (else AWS_REGION);',
  '  - model: TRAILBOOK_BEDROCK_MODEL_ID (default: Claude Sonnet 4 through the region\'s cross-region inference profile, e.g. us.anthropic.claude-sonnet-4-20250514-v1:0);',
  '  - or per call: agent.ask(question, { region, modelId }).',
].join('\n');

const IAM = 'The IAM principal needs bedrock:InvokeModelWithResponseStream (and bedrock:InvokeModel) on the inference profile and the foundation model it routes to.';

function where(t: BedrockTarget): string {
  const region = t.regionSource === 'default' ? `${t.region} (default; no region configured)` : `${t.region} (from ${t.regionSource === 'option' ? 'options' : t.regionSource})`;
  return `model ${t.modelId} in region ${region}`;
}

const nameOf = (e: unknown): string => (e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '');
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Turns the errors a notebook user can fix by configuration (no credentials, no model access, a model id
 * the region does not serve) into guidance; anything else is returned unchanged.
 */
export function explainBedrockError(err: unknown, target: BedrockTarget): unknown {
  const name = nameOf(err);
  const msg = messageOf(err);
  if (name === 'CredentialsProviderError' || /could not load credentials|credential is missing/i.test(msg)) {
    return new BedrockSetupError(
      `Amazon Bedrock is not configured: no AWS credentials were found for ${where(target)}.\n${CONFIGURE}\n${IAM}`,
      'credentials',
      { cause: err },
    );
  }
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'InvalidClientTokenId'].includes(name)) {
    return new BedrockSetupError(
      `Amazon Bedrock rejected the AWS credentials (${name}: ${msg}) for ${where(target)}. Refresh them (e.g. \`aws sso login\`) or set valid keys.\n${CONFIGURE}`,
      'credentials',
      { cause: err },
    );
  }
  if (name === 'AccessDeniedException') {
    return new BedrockSetupError(
      `Access denied by Amazon Bedrock for ${where(target)}: ${msg}\n` +
        `Request access to the model in the Bedrock console (Model access, region ${target.region}) and check the IAM policy. ${IAM}\n${CONFIGURE}`,
      'access',
      { cause: err },
    );
  }
  if (name === 'ResourceNotFoundException' || (name === 'ValidationException' && /model|inference profile|on-demand throughput/i.test(msg))) {
    return new BedrockSetupError(
      `Amazon Bedrock cannot use ${where(target)}: ${msg}\n` +
        'Use a model id or inference profile the region serves (for Claude Sonnet 4: us./eu./apac. prefixed profile ids) and make sure model access is granted in the Bedrock console.\n' +
        CONFIGURE,
      'model',
      { cause: err },
    );
  }
  if (/region is missing|invalid region/i.test(msg)) {
    return new BedrockSetupError(`Amazon Bedrock region problem for ${where(target)}: ${msg}\n${CONFIGURE}`, 'region', { cause: err });
  }
  return err;
}
