import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to the Streamable HTTP server, checked before the MCP transport sees a request, as the MCP
 * transport security guidance asks: a Host header naming this server (DNS rebinding), an Origin header, when a
 * browser sends one, from an allowed origin, and the bearer token. The SDK's own `allowedHosts`/`allowedOrigins`
 * transport options are deprecated in favour of middleware like this, and they see POSTs only.
 */

export interface HttpGuardOptions {
  /** The bearer token every request must carry; undefined when the caller authenticates (e.g. the workbench). */
  token?: string;
  /** Host header hostnames accepted (any port); undefined accepts any Host. */
  allowedHostnames?: string[];
  /** Whether a browser Origin may call; requests without an Origin header (non-browser clients) always pass. */
  originAllowed?: (origin: string) => boolean;
}

export interface Refusal {
  status: 401 | 403;
  message: string;
  headers: Record<string, string>;
}

export const LOOPBACK_HOSTNAMES = ['127.0.0.1', 'localhost', '::1'];

/** `[::1]` and `::1` alike; case-insensitive. */
const bare = (hostname: string) => hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

export const isLoopbackHost = (host: string): boolean => LOOPBACK_HOSTNAMES.includes(bare(host));

/** The hostname of a Host header value (`example.com:8080`, `[::1]:3001`), or undefined when it is not one. */
export function hostnameOf(hostHeader: string): string | undefined {
  try {
    return bare(new URL(`http://${hostHeader}`).hostname);
  } catch {
    return undefined;
  }
}

/** An origin as browsers send it: `scheme://host[:port]`, nothing else. Undefined when `text` is not one. */
export function normaliseOrigin(text: string): string | undefined {
  try {
    const u = new URL(text);
    if (!/^https?:$/.test(u.protocol) || u.pathname !== '/' || u.search || u.hash || u.username || u.password) return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

/** Loopback pages (any port, http or https), plus the configured origins. */
export function originPolicy(opts: { loopback: boolean; allowed: string[] }): (origin: string) => boolean {
  const listed = new Set(opts.allowed.map((o) => normaliseOrigin(o) ?? o));
  return (origin) => {
    const o = normaliseOrigin(origin);
    if (!o) return false; // includes "null" (sandboxed frames, file:// pages)
    if (listed.has(o)) return true;
    return opts.loopback && isLoopbackHost(new URL(o).hostname);
  };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison of the presented token with the expected one (hashing first evens out the lengths). */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** A fresh random token for a run that was given none (never written anywhere but the terminal). */
export const generateToken = (): string => randomBytes(24).toString('base64url');

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Why the request is refused, or undefined when it may go on to the MCP transport. */
export function checkRequest(req: IncomingMessage, opts: HttpGuardOptions): Refusal | undefined {
  const forbidden = (message: string): Refusal => ({ status: 403, message, headers: {} });
  if (opts.allowedHostnames) {
    const host = header(req, 'host');
    const hostname = host === undefined ? undefined : hostnameOf(host);
    if (!hostname || !opts.allowedHostnames.map(bare).includes(hostname)) return forbidden(`Forbidden: Host header ${host === undefined ? '(missing)' : `"${host}"`} is not this server`);
  }
  const origin = header(req, 'origin');
  if (origin !== undefined && opts.originAllowed && !opts.originAllowed(origin)) {
    return forbidden(`Forbidden: Origin "${origin}" is not allowed (see TRAILBOOK_MCP_ALLOWED_ORIGINS)`);
  }
  if (opts.token !== undefined) {
    const auth = header(req, 'authorization');
    const m = auth === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (!m) return { status: 401, message: 'Unauthorized: send the token as "Authorization: Bearer <token>"', headers: { 'www-authenticate': 'Bearer realm="trailbook-mcp"' } };
    if (!tokenMatches(m[1], opts.token)) {
      return { status: 401, message: 'Unauthorized: the bearer token is not valid', headers: { 'www-authenticate': 'Bearer realm="trailbook-mcp", error="invalid_token"' } };
    }
  }
  return undefined;
}
