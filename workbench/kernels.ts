import { z } from 'zod';
import type { Output } from '../notebook/format.ts';
import { DEFAULT_CELL_OUTPUT_BYTES, formatMb, MB, outputBytes } from '../kernel/output-budget.ts';
import type { KernelEvent, KernelHandle, KernelHost, KernelHostOptions, KernelStatus } from '../kernel/protocol.ts';

/**
 * One kernel per open notebook, shared by every browser tab showing it. Executions are queued
 * (as in Jupyter); an error or an interrupt aborts what is still queued. Kernels with no browser
 * attached are shut down after the idle time.
 *
 * Output budgets: a cell may produce `cellOutputBytes` (TRAILBOOK_CELL_OUTPUT_MB), and a notebook's
 * cells together `notebookOutputBytes` (TRAILBOOK_NOTEBOOK_OUTPUT_MB), counted as what the browser
 * shows: the latest outputs of each cell run since the kernel (re)started. Re-running a cell
 * replaces its share; a restart or shutdown starts the count afresh (a kernel that died does not:
 * the browser still shows what its cells printed). Each run gets what is left as
 * its budget, which the kernel host enforces (dropping the rest with one note, see
 * kernel/output-budget.ts), so the server never holds or sends more than that.
 */

export const DEFAULT_NOTEBOOK_OUTPUT_BYTES = 64 * MB;
/** A browser this far behind (bytes queued on its socket) is cut off rather than buffered for. */
export const MAX_CLIENT_BACKLOG_BYTES = 64 * MB;

/** Messages the browser sends over the kernel WebSocket. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('execute'), cellId: z.string().min(1).max(64), code: z.string() }), // its size is bounded by the socket's message limit (TRAILBOOK_MAX_MESSAGE_MB)
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

/** The part of a `ws` WebSocket that socketClient uses. */
export interface SocketLike {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  terminate(): void;
}

/**
 * A session client writing to a browser's WebSocket. `ws` queues whatever a slow browser has not
 * read yet in server memory, so a browser more than `maxBacklogBytes` behind is disconnected (it
 * reconnects and gets the current status; outputs it missed are in the notebook once re-run)
 * instead of letting the backlog grow.
 */
export function socketClient(ws: SocketLike, maxBacklogBytes = MAX_CLIENT_BACKLOG_BYTES, onDrop?: (backlog: number) => void): Client {
  return (message) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBacklogBytes) {
      onDrop?.(ws.bufferedAmount);
      ws.terminate();
      return;
    }
    ws.send(JSON.stringify(message));
  };
}

export interface OutputLimits {
  /** Total output of one run of a cell (default 16 MB). */
  cellOutputBytes?: number;
  /** Total of the latest outputs of the notebook's cells run since the kernel started (default 64 MB). */
  notebookOutputBytes?: number;
}

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
  /** Bytes of the latest outputs of each cell run since the kernel (re)started. */
  private readonly shown = new Map<string, number>();
  /** Set when the notebook is deleted: the session refuses work so no untracked kernel is started. */
  private closed = false;
  lastActivity = Date.now();

  constructor(
    public name: string,
    private readonly host: () => Promise<KernelHost>,
    private readonly cwd: string,
    private readonly limits: OutputLimits = {},
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
    if (event.type === 'status') return this.broadcast({ type: 'status', status: event.status, detail: event.detail });
    const cellId = event.cellId ?? this.running?.cellId;
    if (cellId !== undefined) this.shown.set(cellId, (this.shown.get(cellId) ?? 0) + outputBytes(event.output));
    this.broadcast({ type: 'output', cellId, output: event.output });
  }

  /** This run's budget: the per-cell one, or what the notebook has left if that is less. */
  private budgetFor(cellId: string): { bytes: number; reason: string } {
    const cell = this.limits.cellOutputBytes ?? DEFAULT_CELL_OUTPUT_BYTES;
    const notebook = this.limits.notebookOutputBytes ?? DEFAULT_NOTEBOOK_OUTPUT_BYTES;
    let others = 0;
    for (const [id, bytes] of this.shown) if (id !== cellId) others += bytes;
    const left = Math.max(0, notebook - others);
    if (left < cell) {
      return {
        bytes: left,
        reason: `this notebook's outputs reached ${formatMb(notebook)} (limit set by TRAILBOOK_NOTEBOOK_OUTPUT_MB; re-running a cell replaces its outputs, restarting the kernel starts the count afresh)`,
      };
    }
    return { bytes: cell, reason: `this cell produced more than ${formatMb(cell)} of output (limit set by TRAILBOOK_CELL_OUTPUT_MB)` };
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
        this.shown.set(job.cellId, 0);
        const outputBudget = this.budgetFor(job.cellId);
        this.broadcast({ type: 'started', cellId: job.cellId, at: started });
        try {
          const reply = await kernel.execute({ code: job.code, cellId: job.cellId, outputBudget });
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
    this.shown.clear();
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
    this.shown.clear();
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
    private readonly options: OutputLimits & {
      host?: KernelHost;
      cwd: string;
      idleMs: number;
      /** V8 heap limit per kernel in MB (TRAILBOOK_KERNEL_MEMORY_MB; default 1024, see kernel/host.ts). */
      kernelMemoryMb?: number;
    },
  ) {
    const every = Math.max(250, Math.min(30_000, Math.floor(options.idleMs / 4)));
    this.timer = setInterval(() => void this.cull(), every);
    this.timer.unref();
  }

  /** The kernel host is loaded on first use, so the server starts without paying for it. */
  private host = (): Promise<KernelHost> => {
    if (this.options.host) return Promise.resolve(this.options.host);
    if (!this.hostPromise) {
      const hostOptions: KernelHostOptions = { memoryMb: this.options.kernelMemoryMb, cellOutputBytes: this.options.cellOutputBytes };
      this.hostPromise = import('../kernel/host.ts').then((m: { createKernelHost: (o: KernelHostOptions) => KernelHost }) => m.createKernelHost(hostOptions));
      this.hostPromise.catch(() => (this.hostPromise = undefined)); // a failed load is retried on the next start
    }
    return this.hostPromise;
  };

  get(name: string): KernelSession {
    let session = this.sessions.get(name);
    if (!session) {
      session = new KernelSession(name, this.host, this.options.cwd, this.options);
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
