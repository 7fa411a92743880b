import { isIP } from 'node:net';
import type { Context, Next } from 'koa';

/**
 * DNS rebinding defence: a page on evil.example can make its own name resolve to 127.0.0.1 and then talk
 * to a local workbench as "same origin". The Host header still says evil.example, so requests are served
 * only for names we know. Loopback names are always fine; on a loopback address nothing else is (unless
 * listed). Off loopback, IP literals are fine (rebinding needs a DNS name) and names must be listed in
 * TRAILBOOK_ALLOWED_HOSTS (`.example.com` also allows its subdomains, `*` allows any).
 *
 * The raw Host header is checked, never X-Forwarded-Host: a rebound page can set that header itself.
 */

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** "Host: [::1]:8888" → "::1"; undefined for anything that is not a host with an optional numeric port. */
export function hostName(header: string | undefined): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s/@]+))(?::\d{1,5})?$/i.exec(header ?? '');
  if (!match) return undefined;
  const name = (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, '');
  if (match[1] && isIP(name) !== 6) return undefined;
  return name;
}

const isLoopback = (name: string) => LOOPBACK_NAMES.has(name) || (isIP(name) === 4 && name.startsWith('127.'));

export class HostCheck {
  private readonly loopbackOnly: boolean;
  private readonly names: string[];
  private readonly anyHost: boolean;

  constructor(bindHost: string, allowedHosts: string[]) {
    this.loopbackOnly = isLoopback(bindHost.toLowerCase().replace(/^\[|\]$/g, ''));
    this.names = allowedHosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
    this.anyHost = this.names.includes('*');
  }

  allows(header: string | undefined): boolean {
    const name = hostName(header);
    if (!name) return false;
    if (this.anyHost || isLoopback(name)) return true;
    if (this.names.some((allowed) => (allowed.startsWith('.') ? name === allowed.slice(1) || name.endsWith(allowed) : name === allowed))) return true;
    return !this.loopbackOnly && isIP(name) !== 0;
  }

  /** The text a refused request gets: what was refused and how to allow it. */
  refusal(header: string | undefined): string {
    const shown = (header ?? '').slice(0, 100).replace(/[^\x20-\x7e]/g, '?');
    const served = ['localhost', '127.0.0.1', '[::1]', ...this.names, ...(this.loopbackOnly ? [] : ['IP addresses'])].join(', ');
    return `Host "${shown}" is not served here (this server answers to ${served}). To serve another name, add it to TRAILBOOK_ALLOWED_HOSTS.`;
  }

  /** Koa middleware; /healthcheck is exempt because load balancers probe the task by its IP with any Host. */
  middleware() {
    return async (ctx: Context, next: Next): Promise<void> => {
      const host = ctx.req.headers.host;
      if (ctx.path !== '/healthcheck' && !this.allows(host)) {
        ctx.status = 403;
        ctx.type = 'text';
        ctx.body = this.refusal(host);
        return;
      }
      await next();
    };
  }
}
