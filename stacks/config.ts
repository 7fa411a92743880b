import { z } from 'zod';

/**
 * Deployment settings, read from CDK context (cdk.json "context" or `-c key=value`).
 * `-c` values always arrive as strings, cdk.json values as JSON: every field accepts both.
 */

const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/, 'expected an IPv4 or IPv6 CIDR such as 203.0.113.100/32');

/** A list given as a JSON array, a JSON-array string, or a comma-separated string. */
const stringList = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text.startsWith('[')) return JSON.parse(text);
  return text.split(',').map((part) => part.trim()).filter(Boolean);
}, z.array(z.string()));

const bool = z.preprocess((value) => (typeof value === 'string' ? value.trim().toLowerCase() === 'true' : value), z.boolean());
const int = z.coerce.number().int().positive();
const optionalText = z.preprocess((value) => (value === '' || value === null ? undefined : value), z.string().optional());
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' || value === null ? undefined : value), schema.optional());
const secretArn = optional(z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'expected a Secrets Manager secret ARN'));
const httpsUrl = optional(z.url({ protocol: /^https$/, error: 'expected an https:// URL' }));

export const DEFAULTS = {
  stackPrefix: 'Trailbook',
  allowedCidrs: ['203.0.113.100/32'],
  bedrockModelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
  mcpAuthType: 'AWS_IAM',
  mcpMemoryMb: 1024,
  taskCpu: 1024,
  taskMemoryMb: 3072,
  natGateways: 1,
  source: 'lookup',
  athenaWorkgroup: 'primary',
} as const;

export const ConfigSchema = z
  .object({
    account: optionalText,
    region: optionalText,
    stackPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,40}$/).default(DEFAULTS.stackPrefix),
    /** `default`: look up the account's default VPC; `new`: create one. Unset: default VPC when account and region are known. */
    vpc: z.enum(['default', 'new']).optional(),
    /** At least one: the task in the private subnets pulls its image and secret and calls AWS APIs through NAT. */
    natGateways: z.coerce.number().int().min(1).max(3).default(DEFAULTS.natGateways),
    allowedCidrs: stringList.pipe(z.array(cidr).min(1)).default([...DEFAULTS.allowedCidrs]),
    certificateArn: optionalText,
    /** Names besides the load balancer's that reach the workbench (a domain pointing at it): TRAILBOOK_ALLOWED_HOSTS. */
    allowedHosts: stringList.optional(),
    taskCpu: z.coerce.number().pipe(z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096), z.literal(8192), z.literal(16384)])).default(DEFAULTS.taskCpu),
    taskMemoryMb: int.default(DEFAULTS.taskMemoryMb),
    bedrockModelId: z.string().min(1).default(DEFAULTS.bedrockModelId),
    bedrockRegion: optionalText,
    mcpAuthType: z.enum(['AWS_IAM', 'NONE']).default(DEFAULTS.mcpAuthType),
    mcpMemoryMb: int.default(DEFAULTS.mcpMemoryMb),
    /** TypeScript entry of the MCP Lambda handler, relative to the repository root. */
    mcpEntry: z.string().default('mcp/lambda.ts'),
    /** Regions the `lookup` source queries and merges (TRAILBOOK_REGIONS); unset: the stack's region. */
    lookupRegions: stringList.optional(),
    source: z.enum(['lookup', 'athena']).default(DEFAULTS.source),
    athenaDatabase: optionalText,
    athenaTable: optionalText,
    athenaWorkgroup: z.string().default(DEFAULTS.athenaWorkgroup),
    /** s3://bucket/prefix/ where Athena writes query results. */
    athenaOutputLocation: optionalText,
    /** Name of the bucket CloudTrail delivers to (read by Athena). */
    athenaTrailBucket: optionalText,
    /** Add cdk-nag AwsSolutions checks to the app (synth fails on any unsuppressed finding). */
    nag: bool.default(true),

    /**
     * How people sign in. `token`: the workbench's own form login with one shared token (Secrets Manager).
     * `cognito`: a Cognito user pool, enforced by the ALB (authenticate-cognito); `oidc`: your identity
     * provider through the ALB (authenticate-oidc). Both need the HTTPS listener, so a certificate.
     */
    auth: z.enum(['token', 'cognito', 'oidc']).default('token'),
    /** The host name the certificate is for (DNS points it at the ALB): share links and the Cognito callback use it. */
    domainName: optional(z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected a lower-case host name such as trailbook.example.com')),
    /** Cognito hosted sign-in domain prefix (globally unique per region); default `<prefix>-<account>`. */
    cognitoDomainPrefix: optional(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lower-case letters, digits and dashes')),
    oidcIssuer: httpsUrl,
    oidcAuthorizationEndpoint: httpsUrl,
    oidcTokenEndpoint: httpsUrl,
    oidcUserInfoEndpoint: httpsUrl,
    oidcClientId: optionalText,
    /** Secrets Manager secret holding the OIDC client secret (resolved by CloudFormation, never in the template). */
    oidcClientSecretArn: secretArn,
    oidcScope: z.string().default('openid email profile'),

    /** Where alarm notifications go besides the SNS topic (an email subscription to confirm). */
    alarmEmail: optional(z.string().email('alarmEmail must be an email address')),

    /** A git repository whose notebooks the workbench serves, pulls and commits to (TRAILBOOK_GIT_REMOTE). */
    gitRemote: optional(z.string().regex(/^https:\/\/\S+$|^ssh:\/\/\S+$|^[\w.-]+@[\w.-]+:\S+$/, 'expected an https:// or SSH repository URL')),
    gitBranch: z.string().default('main'),
    /** The notebooks folder inside the repository. */
    gitPath: z.string().default('notebooks'),
    /** Secret holding an HTTPS token for gitRemote (GitHub: a fine-grained token with contents read/write). */
    gitTokenSecretArn: secretArn,
    /** User name sent with the token (GitHub accepts any; GitLab wants `oauth2`). */
    gitUsername: optionalText,
    /** Secret holding an SSH deploy key (private key, PEM/OpenSSH) for an SSH gitRemote. */
    gitSshKeySecretArn: secretArn,
  })
  .superRefine((config, ctx) => {
    if (config.source === 'athena') {
      for (const key of ['athenaDatabase', 'athenaTable', 'athenaOutputLocation', 'athenaTrailBucket'] as const) {
        if (!config[key]) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is required when source is athena` });
      }
      if (config.athenaOutputLocation && !/^s3:\/\/[^/]+/.test(config.athenaOutputLocation)) {
        ctx.addIssue({ code: 'custom', path: ['athenaOutputLocation'], message: 'athenaOutputLocation must look like s3://bucket/prefix/' });
      }
    }
    if (config.auth !== 'token' && !config.certificateArn) {
      ctx.addIssue({ code: 'custom', path: ['auth'], message: `auth=${config.auth} needs certificateArn: the load balancer signs people in on its HTTPS listener only` });
    }
    if (config.auth === 'oidc') {
      for (const key of ['oidcIssuer', 'oidcAuthorizationEndpoint', 'oidcTokenEndpoint', 'oidcUserInfoEndpoint', 'oidcClientId', 'oidcClientSecretArn'] as const) {
        if (!config[key]) ctx.addIssue({ code: 'custom', path: [key], message: `${key} is required when auth is oidc` });
      }
    }
    if (config.gitTokenSecretArn && config.gitSshKeySecretArn) {
      ctx.addIssue({ code: 'custom', path: ['gitTokenSecretArn'], message: 'give gitTokenSecretArn or gitSshKeySecretArn, not both' });
    }
    if ((config.gitTokenSecretArn || config.gitSshKeySecretArn) && !config.gitRemote) {
      ctx.addIssue({ code: 'custom', path: ['gitRemote'], message: 'git credentials are set but gitRemote is not' });
    }
    if (config.gitRemote?.startsWith('https://') && config.gitSshKeySecretArn) {
      ctx.addIssue({ code: 'custom', path: ['gitSshKeySecretArn'], message: 'an SSH deploy key needs an SSH gitRemote (git@host:owner/repo.git)' });
    }
    if (config.vpc === 'default' && !(config.account && config.region)) {
      ctx.addIssue({ code: 'custom', path: ['vpc'], message: 'vpc=default needs account and region (context or CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION) for the VPC lookup' });
    }
  });

export type TrailbookConfig = z.output<typeof ConfigSchema> & { useDefaultVpc: boolean };

export const CONTEXT_KEYS = Object.keys(ConfigSchema.shape) as Array<keyof z.input<typeof ConfigSchema>>;

/**
 * Builds the config from a context reader (`(key) => app.node.tryGetContext(key)`).
 * account/region fall back to the CLI's CDK_DEFAULT_ACCOUNT/REGION.
 */
export function loadConfig(readContext: (key: string) => unknown, env: NodeJS.ProcessEnv = process.env): TrailbookConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = readContext(key);
    if (value !== undefined) raw[key] = value;
  }
  raw.account ??= env.CDK_DEFAULT_ACCOUNT;
  raw.region ??= env.CDK_DEFAULT_REGION;
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(context)'}: ${issue.message}`);
    throw new Error(`Invalid Trailbook CDK context:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  const useDefaultVpc = config.vpc ? config.vpc === 'default' : Boolean(config.account && config.region);
  return { ...config, useDefaultVpc };
}

/** The MCP function's name is fixed so other stacks can build its ARN without a cross-stack reference. */
export function mcpFunctionName(config: Pick<TrailbookConfig, 'stackPrefix'>): string {
  return `${config.stackPrefix.toLowerCase()}-cloudtrail-mcp`;
}

/** Cross-region inference profiles (us., eu., apac., global., ...) route to a foundation model in several regions. */
export function splitModelId(modelId: string): { profile: boolean; foundationModelId: string } {
  const match = /^(us|eu|apac|jp|au|ca|us-gov|global)\.(.+)$/.exec(modelId);
  return match ? { profile: true, foundationModelId: match[2] } : { profile: false, foundationModelId: modelId };
}

/** Splits s3://bucket/prefix into its bucket and key prefix (no leading slash). */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match) throw new Error(`not an s3:// location: ${location}`);
  return { bucket: match[1], prefix: match[2] };
}

/** The port the workbench image listens on (its Dockerfile CMD). */
export const APP_PORT = 8888;

/** TRAILBOOK_SOURCE and its settings, shared by the Lambda and the workbench task. */
export function dataSourceEnvironment(config: TrailbookConfig, region: string): Record<string, string> {
  const environment: Record<string, string> = {
    TRAILBOOK_SOURCE: config.source,
    TRAILBOOK_REGIONS: (config.lookupRegions ?? [region]).join(','),
  };
  if (config.source === 'athena') {
    environment.TRAILBOOK_ATHENA_DATABASE = config.athenaDatabase!;
    environment.TRAILBOOK_ATHENA_TABLE = config.athenaTable!;
    environment.TRAILBOOK_ATHENA_WORKGROUP = config.athenaWorkgroup;
    environment.TRAILBOOK_ATHENA_OUTPUT_LOCATION = config.athenaOutputLocation!;
  }
  return environment;
}
