import { hostnameOf, isLoopbackHost, normaliseOrigin } from './http-guard.ts';

/**
 * Who may use `trailbook mcp --http`, from the command line and the environment: the bearer token
 * (TRAILBOOK_MCP_TOKEN or --token), browser origins (TRAILBOOK_MCP_ALLOWED_ORIGINS) and Host names
 * (TRAILBOOK_MCP_ALLOWED_HOSTS). Settings that would leave the server open are refused before anything listens.
 */

/** A setting that would leave the server open to anyone who can reach it, or that cannot be read; the message says what to set. */
export class McpHttpConfigError extends Error {
  override name = 'McpHttpConfigError';
}

/** Shorter tokens are refused: beyond loopback the token is all that stands between the network and the data. */
export const MIN_TOKEN_LENGTH = 16;

/** Throws unless listening on `host` with `token` (undefined: one will be generated) is safe. */
export function checkListenAccess(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopbackHost(host)) {
    throw new McpHttpConfigError(
      `refusing to listen on ${host} without a token: anyone who can reach it could read the CloudTrail data. Set TRAILBOOK_MCP_TOKEN (or --token), or listen on 127.0.0.1`,
    );
  }
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new McpHttpConfigError(`the token must be at least ${MIN_TOKEN_LENGTH} characters (e.g. the output of \`openssl rand -base64 24\`)`);
  }
  if (token !== undefined && /\s/.test(token)) throw new McpHttpConfigError('the token must not contain whitespace (it travels in an HTTP header)');
}

export interface HttpAccess {
  token?: string;
  allowedOrigins: string[];
  allowedHostnames?: string[];
}

// Blank values count as unset (shells and .env files often export empty variables).
const setting = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
const list = (v: string | undefined) => (setting(v) ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The access settings for listening on `host`; McpHttpConfigError naming the bad setting otherwise. */
export function httpAccess(host: string, flags: { token?: string }, env: NodeJS.ProcessEnv = process.env): HttpAccess {
  const token = flags.token ?? setting(env.TRAILBOOK_MCP_TOKEN);
  checkListenAccess(host, token);
  const allowedOrigins = list(env.TRAILBOOK_MCP_ALLOWED_ORIGINS).map((o) => {
    const origin = normaliseOrigin(o);
    if (!origin) throw new McpHttpConfigError(`TRAILBOOK_MCP_ALLOWED_ORIGINS: "${o}" is not an origin (scheme://host[:port], e.g. https://notebooks.example.com)`);
    return origin;
  });
  const hosts = list(env.TRAILBOOK_MCP_ALLOWED_HOSTS).map((h) => {
    const name = hostnameOf(h);
    if (!name || /[/\s]/.test(h)) throw new McpHttpConfigError(`TRAILBOOK_MCP_ALLOWED_HOSTS: "${h}" is not a host name`);
    return name;
  });
  return { token, allowedOrigins, allowedHostnames: hosts.length ? hosts : undefined };
}
