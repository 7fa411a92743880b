/**
 * The environment a kernel child inherits from the workbench: an allow-list, because a cell runs
 * arbitrary code and reads `process.env`. The workbench's own secrets (TRAILBOOK_TOKEN,
 * TRAILBOOK_SHARE_SECRET, anything a deployment adds) would let a cell drive
 * the workbench API as its owner, so nothing is passed unless it is listed here.
 */

/** Variables passed by exact name. */
const NAMES = new Set([
  // Process basics.
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'TZ',
  'TMPDIR',
  'NODE_ENV',
  // The AWS SDK's credential chain and region (the kernel's cloudtrail, mcp and agent call AWS as the workbench does).
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  // Trailbook's data-plane settings read by the prelude (cloudtrail/config.ts, agent/config.ts, prelude/cloudtrail.ts).
  'TRAILBOOK_SOURCE',
  'TRAILBOOK_DATA_DIR',
  'TRAILBOOK_FILES_ENGINE',
  'TRAILBOOK_REGIONS',
  'TRAILBOOK_CACHE_DIR',
  'TRAILBOOK_CLOUDTRAIL_ENDPOINT',
  'TRAILBOOK_ATHENA_ENDPOINT',
  'TRAILBOOK_ATHENA_DATABASE',
  'TRAILBOOK_ATHENA_TABLE',
  'TRAILBOOK_ATHENA_WORKGROUP',
  'TRAILBOOK_ATHENA_OUTPUT_LOCATION',
  'TRAILBOOK_ATHENA_CATALOG',
  'TRAILBOOK_MCP_URL',
  'TRAILBOOK_MCP_SIGV4',
  'TRAILBOOK_BEDROCK_MODEL_ID',
  'TRAILBOOK_BEDROCK_REGION',
  'TRAILBOOK_BEDROCK_ENDPOINT',
]);

/** Variable families passed by prefix: locale categories, the SDK's per-service endpoints, the ECS task metadata endpoints. */
const PREFIXES = ['LC_', 'AWS_ENDPOINT_URL', 'ECS_CONTAINER_METADATA_URI'];

export const isKernelVariable = (name: string): boolean => NAMES.has(name) || PREFIXES.some((p) => name.startsWith(p));

/** The allow-listed part of `env` (unset and undefined values left out). */
export function kernelEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && isKernelVariable(name)) out[name] = value;
  // The kernel's `mcp` client needs the bearer token of a remote `trailbook mcp --http` it is pointed at;
  // it grants only what that client already reaches, so it passes only together with the URL.
  if (out.TRAILBOOK_MCP_URL && env.TRAILBOOK_MCP_TOKEN) out.TRAILBOOK_MCP_TOKEN = env.TRAILBOOK_MCP_TOKEN;
  return out;
}
