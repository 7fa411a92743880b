import { randomBytes } from 'node:crypto';

/**
 * Browser sessions, held in server memory: the cookie carries a random id that means nothing by itself,
 * so logging out (or a restart) really ends the session. Each session has its own CSRF token.
 */

export interface Session {
  id: string;
  csrf: string;
  createdAt: number;
  lastSeen: number;
}

export interface SessionTimes {
  /** Ended after this long unused. */
  idleMs: number;
  /** Ended this long after login however busy. */
  maxMs: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly times: SessionTimes,
    private readonly now: () => number = Date.now,
  ) {}

  create(): Session {
    this.sweep();
    const at = this.now();
    const session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(18).toString('base64url'), createdAt: at, lastSeen: at };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle clock restarted; undefined when unknown or expired. */
  use(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const at = this.now();
    if (this.expired(session, at)) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = at;
    return session;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(session: Session, at: number): boolean {
    return at - session.lastSeen > this.times.idleMs || at - session.createdAt > this.times.maxMs;
  }

  /** Expired sessions are dropped at each login, so the map holds live sessions plus at most a day's leftovers. */
  private sweep(): void {
    const at = this.now();
    for (const [id, session] of this.sessions) if (this.expired(session, at)) this.sessions.delete(id);
  }
}
