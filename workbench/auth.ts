import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookie } from 'cookie';
import type { Context, Next } from 'koa';
import { FailedLogins } from './failed-logins.ts';
import type { Session, SessionStore } from './sessions.ts';

/**
 * Token auth like Jupyter's: `Authorization: token <t>` for scripts; for browsers a server-side session
 * (sessions.ts) whose random id travels in an HttpOnly cookie, created by the login form only: a token in
 * a URL would land in browser history and proxy and ALB access logs, so `?token=` logs nobody in. Browser
 * mutations need the session's CSRF token in a header and a same-site Origin; the kernel WebSocket needs a
 * same-site Origin. Wrong tokens are throttled per client (failed-logins.ts).
 */

export const SESSION_COOKIE = 'trailbook_session';
const CSRF_COOKIE = 'trailbook_csrf';
const CSRF_HEADER = 'x-csrf-token';

const equal = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The URL without a `token` query parameter: an old `?token=` link must not carry it onward. */
const withoutToken = (originalUrl: string): string => {
  const url = new URL(originalUrl, 'http://x');
  url.searchParams.delete('token');
  return url.pathname + url.search;
};

/** Who is calling: a script with the token itself (not CSRF-able), or a browser session. */
export type Caller = { via: 'header' } | { via: 'cookie'; session: Session };

/** The outcome of one token attempt. */
export type Attempt = { ok: true } | { ok: false; status: 401 } | { ok: false; status: 429; retryAfter: number };

export type Verdict = { ok: true; caller: Caller } | { ok: false; status: 401 } | { ok: false; status: 429; retryAfter: number };

export const tooManyAttempts = (retryAfter: number) => `Too many failed attempts with a wrong token: try again in ${Math.ceil(retryAfter / 60)} minute(s).`;

export interface AuthOptions {
  token: string;
  sessions: SessionStore;
  failures?: FailedLogins;
  /** Behind a proxy (the ALB): the client is the last X-Forwarded-For entry, the one the proxy appended. */
  trustProxy?: boolean;
}

export class Auth {
  private readonly token: string;
  private readonly sessions: SessionStore;
  private readonly failures: FailedLogins;
  private readonly trustProxy: boolean;

  constructor(options: AuthOptions) {
    this.token = options.token;
    this.sessions = options.sessions;
    this.failures = options.failures ?? new FailedLogins();
    this.trustProxy = options.trustProxy ?? false;
  }

  /** The address failures are counted against. Without a trusted proxy, X-Forwarded-For is the client's own claim. */
  clientAddress(req: IncomingMessage): string {
    if (this.trustProxy) {
      const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',').pop()!.trim();
      if (forwarded) return forwarded;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  /** Checks a token from the login form or a header; refused unchecked while the client is throttled. */
  attempt(req: IncomingMessage, candidate: string | undefined): Attempt {
    const client = this.clientAddress(req);
    const retryAfter = this.failures.retryAfter(client);
    if (retryAfter) return { ok: false, status: 429, retryAfter };
    if (candidate && equal(candidate, this.token)) {
      this.failures.succeed(client);
      return { ok: true };
    }
    this.failures.fail(client);
    return { ok: false, status: 401 };
  }

  /** The token header when present decides; otherwise the session cookie (a stale one is simply "not logged in"). */
  identify(req: IncomingMessage, sessionId: string | undefined): Verdict {
    const header = /^(?:token|bearer)\s+(.*)$/i.exec(req.headers.authorization?.trim() ?? '');
    if (header) {
      const attempt = this.attempt(req, header[1]);
      return attempt.ok ? { ok: true, caller: { via: 'header' } } : attempt;
    }
    const session = this.sessions.use(sessionId);
    return session ? { ok: true, caller: { via: 'cookie', session } } : { ok: false, status: 401 };
  }

  /** The request's Origin (if any) must be this server: blocks cross-site pages and WebSocket hijacking. */
  static sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  /** Browsers must send a same-site Origin on WebSocket upgrades; scripts using the token header need not. */
  checkUpgrade(req: IncomingMessage): Verdict {
    // `cookie` leaves a value it cannot decode as it is, where decodeURIComponent would throw.
    const verdict = this.identify(req, parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE]);
    if (verdict.ok && verdict.caller.via === 'cookie' && !(req.headers.origin && Auth.sameOrigin(req))) return { ok: false, status: 401 };
    return verdict;
  }

  startSession(ctx: Context): void {
    this.sessions.end(ctx.cookies.get(SESSION_COOKIE));
    const session = this.sessions.create();
    const options = { sameSite: 'strict' as const, secure: ctx.secure, path: '/', overwrite: true };
    ctx.cookies.set(SESSION_COOKIE, session.id, { ...options, httpOnly: true });
    // Readable by the page, which echoes it in the CSRF header; it is checked against the session, not this cookie.
    ctx.cookies.set(CSRF_COOKIE, session.csrf, { ...options, httpOnly: false });
  }

  endSession(ctx: Context): void {
    this.sessions.end(ctx.cookies.get(SESSION_COOKIE));
    ctx.cookies.set(SESSION_COOKIE, '', { maxAge: 0, path: '/' });
    ctx.cookies.set(CSRF_COOKIE, '', { maxAge: 0, path: '/' });
  }

  /**
   * Guards a route group. HTML pages redirect to the login page; the API answers 401/403/429 in JSON.
   * A `?token=` in the URL logs nobody in and is not carried into the login page's `next` (nor its history).
   */
  middleware(kind: 'page' | 'api') {
    const refuse = (ctx: Context, status: 401 | 403 | 429, message: string) => {
      ctx.status = status;
      ctx.body = kind === 'api' ? { error: message } : message;
    };
    const throttled = (ctx: Context, retryAfter: number) => {
      ctx.set('Retry-After', String(retryAfter));
      refuse(ctx, 429, tooManyAttempts(retryAfter));
    };
    return async (ctx: Context, next: Next): Promise<void> => {
      const verdict = this.identify(ctx.req, ctx.cookies.get(SESSION_COOKIE));
      if (!verdict.ok) {
        if (verdict.status === 429) return throttled(ctx, verdict.retryAfter);
        if (kind === 'page') return ctx.redirect(`/login?next=${encodeURIComponent(withoutToken(ctx.originalUrl))}`);
        return refuse(ctx, 401, 'authentication required: log in or send "Authorization: token <token>"');
      }
      const { caller } = verdict;
      if (!['GET', 'HEAD', 'OPTIONS'].includes(ctx.method) && caller.via === 'cookie') {
        const header = ctx.get(CSRF_HEADER);
        if (!Auth.sameOrigin(ctx.req) || !header || !equal(header, caller.session.csrf)) {
          return refuse(ctx, 403, 'cross-site request refused (missing or wrong CSRF token, or foreign Origin)');
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
