import { z } from 'zod';
import type { Output } from '../notebook/format.ts';
import type { KernelEvent, KernelHandle, KernelHost, KernelStatus } from '../kernel/protocol.ts';

/**
 * One kernel per open notebook, shared by every browser tab showing it. Executions are queued
 * (as in Jupyter); an error or an interrupt aborts what is still queued. Kernels with no browser
 * attached are shut down after the idle time.
 */

/** Messages the browser sends over the kernel WebSocket. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('execute'), cellId: z.string().min(1).max(64), code: z.string().max(1_000_000) }),
  z.object({ type: z.literal('interrupt') }),
  z.object({ type: z.literal('restart') }),
  z.object({ type: z.literal('shutdown') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** 'off': no kernel process yet (started on the first execution). */
export type SessionStatus = KernelStatus | 'off';

export type ServerMessage =
  | { type: 'status'; status: SessionStatus; detail?: string }
  | { type: 'queued'; cellId: string }
  | { type: 'started'; cellId: string; at: number }
  | { type: 'output'; cellId?: string; output: Output }
  | { type: 'reply'; cellId: string; status: 'ok' | 'error' | 'aborted'; executionCount: number | null; durationMs: number }
  | { type: 'interrupted'; stateLost: boolean }
  | { type: 'error'; message: string };

export type Client = (message: ServerMessage) => void;

interface Job {
  cellId: string;
  code: string;
}

export class KernelSession {
  private kernel?: KernelHandle;
  private starting?: Promise<KernelHandle>;
  private unsubscribe?: () => void;
  private readonly clients = new Set<Client>();
  private readonly queue: Job[] = [];
  private running?: Job;
  private draining = false;
  /** Set when the notebook is deleted: the session refuses work so no untracked kernel is started. */
  private closed = false;
  lastActivity = Date.now();

  constructor(
    public name: string,
    private readonly host: () => Promise<KernelHost>,
    private readonly cwd: string,
  ) {}

  get status(): SessionStatus {
    return this.kernel ? this.kernel.status : this.starting ? 'starting' : 'off';
  }
  get attached(): number {
    return this.clients.size;
  }
  get busy(): boolean {
    return !!this.running || this.queue.length > 0;
  }

  attach(client: Client): () => void {
    this.clients.add(client);
    this.lastActivity = Date.now();
    client({ type: 'status', status: this.status });
    return () => {
      this.clients.delete(client);
      this.lastActivity = Date.now();
    };
  }

  private broadcast(message: ServerMessage): void {
    for (const client of this.clients) {
      try {
        client(message);
      } catch {
        // A closing socket must not stop the others from hearing the kernel.
      }
    }
  }

  private async ensureKernel(): Promise<KernelHandle> {
    if (this.kernel && this.kernel.status !== 'dead') return this.kernel;
    if (!this.starting) {
      this.broadcast({ type: 'status', status: 'starting' });
      this.starting = (async () => {
        this.unsubscribe?.();
        const host = await this.host();
        const kernel = await host.start({ name: this.name, cwd: this.cwd });
        this.kernel = kernel;
        this.unsubscribe = kernel.subscribe((event) => this.onKernelEvent(event));
        this.broadcast({ type: 'status', status: kernel.status });
        return kernel;
      })().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private onKernelEvent(event: KernelEvent): void {
    if (event.type === 'status') this.broadcast({ type: 'status', status: event.status, detail: event.detail });
    else this.broadcast({ type: 'output', cellId: event.cellId ?? this.running?.cellId, output: event.output });
  }

  execute(cellId: string, code: string): void {
    this.lastActivity = Date.now();
    this.queue.push({ cellId, code });
    this.broadcast({ type: 'queued', cellId });
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const job = this.queue.shift()!;
        this.running = job;
        let kernel: KernelHandle;
        try {
          kernel = await this.ensureKernel();
        } catch (err) {
          this.broadcast({ type: 'status', status: 'dead', detail: `kernel failed to start: ${(err as Error).message}` });
          this.broadcast({ type: 'error', message: `Kernel failed to start: ${(err as Error).message}` });
          this.abortQueued(job);
          break;
        }
        const started = Date.now();
        this.broadcast({ type: 'started', cellId: job.cellId, at: started });
        try {
          const reply = await kernel.execute({ code: job.code, cellId: job.cellId });
          this.broadcast({ type: 'reply', cellId: job.cellId, status: reply.status, executionCount: reply.executionCount, durationMs: reply.durationMs });
          if (reply.status !== 'ok') this.abortQueued();
        } catch (err) {
          this.broadcast({ type: 'output', cellId: job.cellId, output: { output_type: 'error', ename: 'KernelError', evalue: (err as Error).message, traceback: [] } });
          this.broadcast({ type: 'reply', cellId: job.cellId, status: 'error', executionCount: null, durationMs: Date.now() - started });
          this.abortQueued();
        }
        this.running = undefined;
        this.lastActivity = Date.now();
      }
    } finally {
      this.running = undefined;
      this.draining = false;
    }
  }

  /** Jupyter's stop-on-error: cells queued behind a failure are not run. */
  private abortQueued(current?: Job): void {
    const jobs = current ? [current, ...this.queue] : [...this.queue];
    this.queue.length = 0;
    for (const job of jobs) this.broadcast({ type: 'reply', cellId: job.cellId, status: 'aborted', executionCount: null, durationMs: 0 });
  }

  async interrupt(): Promise<void> {
    this.abortQueued();
    if (!this.kernel) return;
    const result = await this.kernel.interrupt();
    this.broadcast({ type: 'interrupted', stateLost: result.stateLost });
  }

  async restart(): Promise<void> {
    this.abortQueued();
    if (!this.kernel || this.kernel.status === 'dead') {
      this.kernel = undefined;
      await this.ensureKernel();
      return;
    }
    await this.kernel.restart();
    this.broadcast({ type: 'status', status: this.kernel.status });
  }

  async shutdown(): Promise<void> {
    this.abortQueued();
    const kernel = this.kernel ?? (await this.starting?.catch(() => undefined));
    this.kernel = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (kernel) await kernel.shutdown().catch(() => {});
    this.broadcast({ type: 'status', status: 'off', detail: 'kernel shut down' });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.shutdown();
  }

  async handle(message: ClientMessage): Promise<void> {
    this.lastActivity = Date.now();
    if (this.closed) {
      this.broadcast({ type: 'error', message: `Notebook ${this.name} was deleted or renamed away; reopen it from the list.` });
      return;
    }
    switch (message.type) {
      case 'execute':
        return this.execute(message.cellId, message.code);
      case 'interrupt':
        return this.interrupt();
      case 'restart':
        return this.restart();
      case 'shutdown':
        return this.shutdown();
    }
  }
}

export class KernelSessions {
  private readonly sessions = new Map<string, KernelSession>();
  private hostPromise?: Promise<KernelHost>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: { host?: KernelHost; cwd: string; idleMs: number },
  ) {
    const every = Math.max(250, Math.min(30_000, Math.floor(options.idleMs / 4)));
    this.timer = setInterval(() => void this.cull(), every);
    this.timer.unref();
  }

  /** The kernel host is loaded on first use, so the server starts without paying for it. */
  private host = (): Promise<KernelHost> => {
    if (this.options.host) return Promise.resolve(this.options.host);
    if (!this.hostPromise) {
      this.hostPromise = import('../kernel/host.ts').then((m: { createKernelHost: () => KernelHost }) => m.createKernelHost());
      this.hostPromise.catch(() => (this.hostPromise = undefined)); // a failed load is retried on the next start
    }
    return this.hostPromise;
  };

  get(name: string): KernelSession {
    let session = this.sessions.get(name);
    if (!session) {
      session = new KernelSession(name, this.host, this.options.cwd);
      this.sessions.set(name, session);
    }
    return session;
  }

  list(): { name: string; status: SessionStatus; attached: number }[] {
    return [...this.sessions.values()].map((s) => ({ name: s.name, status: s.status, attached: s.attached }));
  }

  rename(from: string, to: string): void {
    const session = this.sessions.get(from);
    if (!session) return;
    this.sessions.delete(from);
    session.name = to;
    this.sessions.set(to, session);
  }

  async remove(name: string): Promise<void> {
    const session = this.sessions.get(name);
    this.sessions.delete(name);
    await session?.close();
  }

  /** Shuts down kernels nobody is looking at and that have been idle longer than the limit. */
  async cull(now = Date.now()): Promise<string[]> {
    const culled: string[] = [];
    for (const session of this.sessions.values()) {
      if (session.status === 'off' || session.attached > 0 || session.busy) continue;
      if (now - session.lastActivity >= this.options.idleMs) {
        culled.push(session.name);
        await session.shutdown();
      }
    }
    return culled;
  }

  async shutdownAll(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.sessions.values()].map((s) => s.shutdown()));
    const host = this.options.host ?? (this.hostPromise ? await this.hostPromise.catch(() => undefined) : undefined);
    await host?.shutdownAll();
  }
}
