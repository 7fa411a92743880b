/**
 * Failed-login throttle: after `max` wrong tokens from one client within `windowMs`, every token attempt
 * from it (the right token too, so guessing cannot continue) is refused until the oldest failure ages out.
 */

export interface FailureLimit {
  max: number;
  windowMs: number;
}

export const DEFAULT_FAILURE_LIMIT: FailureLimit = { max: 10, windowMs: 5 * 60_000 };

/** Bounds memory when failures come from very many addresses: the stalest clients are forgotten first. */
const MAX_CLIENTS = 10_000;

export class FailedLogins {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: FailureLimit = DEFAULT_FAILURE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `client` may try again, or 0 when it may try now. */
  retryAfter(client: string): number {
    const recent = this.recent(client);
    if (recent.length < this.limit.max) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.limit.max]! + this.limit.windowMs - this.now()) / 1000));
  }

  fail(client: string): void {
    const recent = this.recent(client);
    recent.push(this.now());
    this.failures.delete(client); // re-insert: Map order is then least recently failed first
    this.failures.set(client, recent);
    if (this.failures.size > MAX_CLIENTS) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const since = this.now() - this.limit.windowMs;
    const recent = (this.failures.get(client) ?? []).filter((at) => at > since);
    if (recent.length) this.failures.set(client, recent);
    else this.failures.delete(client);
    return recent;
  }
}
