import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';

/**
 * Token auth like Jupyter's: `Authorization: token <t>` for scripts, an HttpOnly session cookie for
 * browsers (set by the login form or by `?token=` once), and double-submit CSRF protection plus an
 * Origin check on every browser mutation and WebSocket.
 */

const SESSION_COOKIE = 'trailbook_session';
const CSRF_COOKIE = 'trailbook_csrf';
const CSRF_HEADER = 'x-csrf-token';

const equal = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

export class Auth {
  /** The cookie holds a value derived from the token, not the token itself. */
  private readonly session: string;
  constructor(private readonly token: string) {
    this.session = createHmac('sha256', token).update('trailbook-session-v1').digest('base64url');
  }

  tokenMatches(candidate: string | undefined): boolean {
    return !!candidate && equal(candidate, this.token);
  }

  /** 'header' when a script authenticated with the token itself (not CSRF-able), 'cookie' for browsers. */
  check(req: IncomingMessage): 'header' | 'cookie' | undefined {
    const header = req.headers.authorization;
    if (header) {
      const m = /^(?:token|bearer)\s+(.+)$/i.exec(header.trim());
      if (m && this.tokenMatches(m[1])) return 'header';
    }
    const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (cookie && equal(cookie, this.session)) return 'cookie';
    return undefined;
  }

  /** The request's Origin (if any) must be this server: blocks cross-site pages and WebSocket hijacking. */
  static sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    const host = req.headers['x-forwarded-host'] ?? req.headers.host;
    try {
      return new URL(origin).host === String(host).split(',')[0]!.trim();
    } catch {
      return false;
    }
  }

  /** Browsers must send an Origin on WebSocket upgrades; scripts using the token header need not. */
  checkUpgrade(req: IncomingMessage): boolean {
    const how = this.check(req);
    if (how === 'header') return true;
    return how === 'cookie' && !!req.headers.origin && Auth.sameOrigin(req);
  }

  startSession(ctx: Context): void {
    const secure = ctx.secure || ctx.get('x-forwarded-proto') === 'https';
    ctx.cookies.set(SESSION_COOKIE, this.session, { httpOnly: true, sameSite: 'strict', secure, path: '/', overwrite: true });
    ctx.cookies.set(CSRF_COOKIE, randomBytes(18).toString('base64url'), { httpOnly: false, sameSite: 'strict', secure, path: '/', overwrite: true });
  }

  endSession(ctx: Context): void {
    ctx.cookies.set(SESSION_COOKIE, '', { maxAge: 0, path: '/' });
    ctx.cookies.set(CSRF_COOKIE, '', { maxAge: 0, path: '/' });
  }

  /**
   * Guards a route group. HTML pages redirect to the login page; the API answers 401/403 in JSON.
   * A valid `?token=` logs the browser in once and redirects to the same URL without it.
   */
  middleware(kind: 'page' | 'api') {
    return async (ctx: Context, next: Next): Promise<void> => {
      const queryToken = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
      if (queryToken !== undefined && ctx.method === 'GET') {
        if (this.tokenMatches(queryToken)) {
          this.startSession(ctx);
          const url = new URL(ctx.originalUrl, 'http://x');
          url.searchParams.delete('token');
          ctx.redirect(url.pathname + url.search);
          return;
        }
        ctx.status = 401;
        ctx.body = kind === 'api' ? { error: 'invalid token' } : 'Invalid token';
        return;
      }
      const how = this.check(ctx.req);
      if (!how) {
        if (kind === 'page') {
          ctx.redirect(`/login?next=${encodeURIComponent(ctx.originalUrl)}`);
        } else {
          ctx.status = 401;
          ctx.body = { error: 'authentication required: log in or send "Authorization: token <token>"' };
        }
        return;
      }
      if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method) && how === 'cookie') {
        const cookie = ctx.cookies.get(CSRF_COOKIE);
        const header = ctx.get(CSRF_HEADER);
        if (!Auth.sameOrigin(ctx.req) || !cookie || !header || !equal(cookie, header)) {
          ctx.status = 403;
          ctx.body = { error: 'cross-site request refused (missing or wrong CSRF token, or foreign Origin)' };
          return;
        }
      }
      await next();
    };
  }
}

/** Security headers for every response; the app CSP allows Monaco's workers and inline styles only. */
export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  if (!ctx.response.get('Content-Security-Policy')) {
    ctx.set(
      'Content-Security-Policy',
      [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
    );
  }
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on same-origin POSTs,
  // which would defeat the Origin check. Cross-origin requests still get no referrer (share tokens stay private).
  if (!ctx.response.get('Referrer-Policy')) ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
  ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
  ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}
