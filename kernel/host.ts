import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Output } from '../notebook/format.ts';
import { kernelBundle } from './bundle.ts';
import { kernelEnvironment } from './environment.ts';
import { kernelErrorOutput } from './error-output.ts';
import { DEFAULT_CELL_OUTPUT_BYTES, OutputBudget, truncationNote } from './output-budget.ts';
import type {
  ExecuteReply,
  ExecuteRequest,
  InterruptResult,
  KernelEvent,
  KernelHandle,
  KernelHost,
  KernelHostOptions,
  KernelStartOptions,
  KernelStatus,
} from './protocol.ts';
import { StderrFilter } from './stderr.ts';
import { TypeChecker } from './typecheck/checker.ts';
import { KernelTypecheck, typecheckMode, type CellCheck } from './typecheck/session.ts';
import type { ChildToHost, HostToChild } from './wire.ts';

/**
 * Runs each kernel in its own child process (plain `node` on the cached kernel bundle, IPC with
 * 'advanced' serialization). The host never dies with a kernel: a kernel that exits, runs out of
 * memory or is killed fails its running cell with a clear error, is marked dead, and the next
 * execute starts a fresh one and says so.
 *
 * Three limits keep one notebook from hurting the workbench it runs in: the child inherits only an
 * allow-listed environment (environment.ts: no workbench token or share secret), its V8 heap is
 * capped (`memoryMb`), and each cell's outputs are capped in total (`cellOutputBytes`, output-budget.ts).
 */

export type { KernelHostOptions } from './protocol.ts';

const DEFAULT_INTERRUPT_GRACE_MS = 2000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
/**
 * Heap limit per kernel. The workbench's Fargate task has 3 GB: the server (~150 MB) and two or
 * three kernels at 1 GB each (plus their off-heap buffers) fit; without a limit V8 picks ~4 GB, so
 * one cell could starve every other kernel. Configurable (workbench: TRAILBOOK_KERNEL_MEMORY_MB).
 */
export const DEFAULT_KERNEL_MEMORY_MB = 1024;
/** A partial stderr line (no newline yet) is shown after this pause. */
const STDERR_PAUSE_MS = 100;

/** One cell's outputs as the host tracks them, also after it finished (timers keep writing). */
interface CellRecord {
  cellId?: string;
  count?: number;
  budget: OutputBudget;
  /** The note for outputs dropped after the cell finished was shown. */
  lateNoted: boolean;
}

interface Running {
  exec: number;
  count: number;
  req: ExecuteRequest;
  record: CellRecord;
  outputs: Output[];
  started: number;
  notice?: string;
  /** The cell's type check (typecheck/session.ts): its warnings end the cell's outputs. */
  check?: CellCheck;
  settle(status: ExecuteReply['status']): void;
  done: Promise<void>;
}

interface Child {
  process: ChildProcess;
  closed: Promise<void>;
  /** Set when the host ended it on purpose (restart, interrupt timeout, shutdown). */
  expected: boolean;
  stderr: StderrFilter;
  stderrTimer?: NodeJS.Timeout;
}

class Kernel implements KernelHandle {
  readonly id = randomUUID();
  private currentStatus: KernelStatus = 'starting';
  private child?: Child;
  private starting?: Promise<void>;
  private running?: Running;
  private count = 0;
  private execSeq = 0;
  /** exec id → cell, so output arriving after a cell finished (timers) is still attributed and budgeted. */
  private readonly cellOf = new Map<number, CellRecord>();
  /** Output from code outside any cell, budgeted like a cell; renewed when a cell starts. */
  private stray: CellRecord;
  private readonly listeners = new Set<(e: KernelEvent) => void>();
  private chain: Promise<unknown> = Promise.resolve();
  private deathNote?: string;
  private isShutDown = false;
  private readonly typecheck: KernelTypecheck;

  constructor(
    private readonly options: KernelStartOptions,
    private readonly hostOptions: KernelHostOptions,
    private readonly onShutdown: (k: Kernel) => void,
    checker: () => TypeChecker | undefined,
  ) {
    this.stray = { budget: this.cellBudget(), lateNoted: false };
    this.typecheck = new KernelTypecheck(typecheckMode(hostOptions.typecheck), checker, options.cwd ?? process.cwd());
  }

  private cellBudget(request?: ExecuteRequest['outputBudget']): OutputBudget {
    const cap = this.hostOptions.cellOutputBytes ?? DEFAULT_CELL_OUTPUT_BYTES;
    return request && request.bytes <= cap ? new OutputBudget(Math.max(0, request.bytes), request.reason) : new OutputBudget(cap);
  }

  /** The heap limit in force: the last --max-old-space-size in execArgv wins, as in node. */
  private get memoryMb(): number {
    const flags = (this.hostOptions.execArgv ?? []).map((a) => /^--max-old-space-size=(\d+)$/.exec(a)?.[1]).filter(Boolean);
    return flags.length ? Number(flags.at(-1)) : (this.hostOptions.memoryMb ?? DEFAULT_KERNEL_MEMORY_MB);
  }

  get status(): KernelStatus {
    return this.currentStatus;
  }

  get pid(): number | undefined {
    return this.child?.process.pid;
  }

  get name(): string | undefined {
    return this.options.name;
  }

  subscribe(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: KernelEvent) {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a faulty listener must not break the kernel
      }
    }
  }

  private setStatus(status: KernelStatus, detail?: string) {
    this.currentStatus = status;
    this.emit(detail ? { type: 'status', status, detail } : { type: 'status', status });
  }

  // --- Process lifecycle ---

  async start(detail?: string): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.spawn(detail).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawn(detail?: string): Promise<void> {
    this.setStatus('starting', detail);
    const bundle = await kernelBundle(this.hostOptions.cacheDir);
    // Explicit env (host and start options) is the caller's choice; the inherited part is allow-listed.
    // NODE_OPTIONS is not inherited: the host may run under tsx/vitest loaders, the kernel is plain node.
    const env: Record<string, string> = {
      ...kernelEnvironment(process.env),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...this.hostOptions.env,
      ...this.options.env,
    };
    const proc = fork(bundle, [], {
      cwd: this.options.cwd ?? process.cwd(),
      env,
      execArgv: [`--max-old-space-size=${this.hostOptions.memoryMb ?? DEFAULT_KERNEL_MEMORY_MB}`, ...(this.hostOptions.execArgv ?? [])],
      serialization: 'advanced',
      // fd 4: interrupt pipe (see kernel/child/interrupt-pipe.ts).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
    });
    const child: Child = {
      process: proc,
      expected: false,
      stderr: new StderrFilter(),
      closed: new Promise((resolve) => proc.once('close', () => resolve())),
    };
    this.child = child;
    proc.stdout!.on('data', (d: Buffer) => this.rawOutput(child, 'stdout', d.toString()));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => this.rawStderr(child, d));
    proc.on('message', (m: ChildToHost) => this.onMessage(child, m));
    (proc.stdio[4] as NodeJS.WritableStream | null)?.on('error', () => {});
    proc.on('error', () => {
      // spawn or IPC errors surface as 'close' too; nothing else to do here
    });

    const ready = new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`kernel did not start within ${this.startTimeout} ms`)), this.startTimeout);
      const onMessage = (m: ChildToHost) => {
        if (m.type !== 'ready') return;
        clearTimeout(timeout);
        proc.off('message', onMessage);
        resolve();
      };
      proc.on('message', onMessage);
      child.closed.then(() => {
        clearTimeout(timeout);
        reject(new Error(`kernel exited during startup: ${this.describeExit(child)}`));
      });
    });
    proc.once('close', () => this.onClose(child));
    try {
      await ready;
    } catch (err) {
      child.expected = true;
      proc.kill('SIGKILL');
      if (this.child === child) this.child = undefined;
      this.setStatus('dead', (err as Error).message);
      throw err;
    }
    // After ready, not before: loading TypeScript must not compete with the process start.
    this.typecheck.reset();
    if (this.child === child) this.setStatus(this.running ? 'busy' : 'idle');
  }

  private get startTimeout() {
    return this.hostOptions.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  }

  /** One line for the user: V8's own dump is never shown (see stderr.ts). */
  private describeExit(child: Child): string {
    const { exitCode, signalCode } = child.process;
    const { outOfMemory, fatal, fatalReason, exitCall } = child.stderr;
    if (outOfMemory) return `The kernel ran out of memory: limit ${this.memoryMb} MB.`;
    if (fatal) return `The kernel crashed (V8 fatal error${fatalReason ? `: ${fatalReason}` : ''}).`;
    if (exitCall !== undefined) return `The kernel exited because a cell called process.exit(${exitCall}).`;
    if (signalCode === 'SIGKILL') return 'The kernel was killed (SIGKILL; possibly out of memory).';
    if (signalCode) return `The kernel was killed by ${signalCode}.`;
    return `The kernel exited with code ${exitCode}.`;
  }

  private onClose(child: Child) {
    clearTimeout(child.stderrTimer);
    if (!child.expected) {
      const rest = child.stderr.flush();
      if (rest) this.rawOutput(child, 'stderr', rest);
    }
    if (this.child === child) this.child = undefined;
    if (child.expected) return;
    const reason = this.describeExit(child);
    this.deathNote = reason;
    this.setStatus('dead', reason);
    const r = this.running;
    if (r) {
      // One line: why it died, and what that means for the next run.
      this.addOutput(r, kernelErrorOutput('KernelDied', `${reason} Variables from earlier cells are gone; the next run starts a fresh kernel.`));
      r.settle('error');
    }
  }

  /** Ends the current process on purpose and waits until it is gone. */
  private async killChild(signal: NodeJS.Signals = 'SIGKILL') {
    const child = this.child;
    if (!child) return;
    child.expected = true;
    this.child = undefined;
    child.process.kill(signal);
    await child.closed;
  }

  private sendToChild(message: HostToChild): boolean {
    const proc = this.child?.process;
    if (!proc?.connected) return false;
    try {
      proc.send(message);
      return true;
    } catch {
      return false;
    }
  }

  // --- Messages ---

  private onMessage(child: Child, m: ChildToHost) {
    if (child !== this.child) return;
    if (m.type === 'output') this.routeOutput(m.exec, m.output);
    else if (m.type === 'done') {
      const r = this.running;
      if (r && r.exec === m.exec) {
        // A partial stderr line written during the cell belongs to it.
        clearTimeout(child.stderrTimer);
        const rest = child.stderr.flush();
        if (rest) this.rawOutput(child, 'stderr', rest);
        r.record.budget.dropped += m.dropped;
        void this.finish(r, m.status);
      }
    }
  }

  private rawStderr(child: Child, chunk: string) {
    const text = child.stderr.push(chunk);
    if (text) this.rawOutput(child, 'stderr', text);
    clearTimeout(child.stderrTimer);
    if (!child.stderr.pending) return;
    child.stderrTimer = setTimeout(() => {
      const rest = child.stderr.flush();
      if (rest) this.rawOutput(child, 'stderr', rest);
    }, STDERR_PAUSE_MS);
    child.stderrTimer.unref();
  }

  private rawOutput(child: Child, name: 'stdout' | 'stderr', text: string) {
    if (child !== this.child) return;
    this.routeOutput(this.running?.exec, { output_type: 'stream', name, text });
  }

  /** Every output from the child passes its cell's budget here; the child enforces it too, but cell code can reach process.send. */
  private routeOutput(exec: number | undefined, output: Output) {
    const r = this.running;
    if (r && exec === r.exec) {
      if (r.record.budget.admit(output)) this.addOutput(r, output);
      return;
    }
    const record = (exec === undefined ? undefined : this.cellOf.get(exec)) ?? this.stray;
    if (!record.budget.admit(output)) {
      if (record.lateNoted) return;
      record.lateNoted = true;
      output = truncationNote(record.budget.reason);
    }
    this.emit({ type: 'output', cellId: record.cellId, output, executionCount: record.count ?? null });
  }

  /** The child finished the cell: its type warnings (when known) are its last outputs, then it settles. */
  private async finish(r: Running, status: ExecuteReply['status']) {
    const late = (output: Output) => this.emit({ type: 'output', cellId: r.req.cellId, output, executionCount: r.count });
    this.typecheck.cellEnded();
    for (const output of (await r.check?.finish(r.outputs, late)) ?? []) if (this.running === r) this.addOutput(r, output);
    r.settle(status);
  }

  /** Outputs the host makes itself (notices, errors, the truncation note) are not budgeted. */
  private addOutput(r: Running, output: Output) {
    r.outputs.push(output);
    try {
      r.req.onOutput?.(output);
    } catch {
      // the caller's callback failing must not lose the output for others
    }
    this.emit({ type: 'output', cellId: r.req.cellId, output, executionCount: r.count });
  }

  // --- KernelHandle ---

  execute(req: ExecuteRequest): Promise<ExecuteReply> {
    const result = this.chain.then(() => this.run(req));
    this.chain = result.catch(() => {});
    return result;
  }

  private async run(req: ExecuteRequest): Promise<ExecuteReply> {
    if (this.isShutDown) throw new Error('kernel is shut down');
    let notice: string | undefined;
    if (this.starting) await this.starting.catch(() => {});
    if (!this.child) {
      const note = this.deathNote;
      this.deathNote = undefined;
      if (note) notice = `${note} A fresh kernel was started: variables from earlier cells are gone.`;
      this.count = 0;
      try {
        await this.start(note ? `restarted: ${note}` : 'restarted');
      } catch (err) {
        const message = `The kernel could not be started: ${(err as Error).message}`;
        const output = kernelErrorOutput('KernelStartError', message);
        req.onOutput?.(output);
        this.emit({ type: 'output', cellId: req.cellId, output, executionCount: null });
        return { status: 'error', executionCount: null, durationMs: 0, outputs: [output] };
      }
    }
    const count = ++this.count;
    const exec = ++this.execSeq;
    const record: CellRecord = { cellId: req.cellId, count, budget: this.cellBudget(req.outputBudget), lateNoted: false };
    this.cellOf.set(exec, record);
    if (this.cellOf.size > 1000) this.cellOf.delete(this.cellOf.keys().next().value!);
    this.stray = { budget: this.cellBudget(), lateNoted: false };

    let settled = false;
    let settle!: (status: ExecuteReply['status']) => void;
    const reply = new Promise<ExecuteReply['status']>((resolve) => {
      settle = resolve;
    });
    const running: Running = {
      exec,
      count,
      req,
      record,
      outputs: [],
      started: performance.now(),
      notice,
      settle: (status) => {
        if (settled) return;
        settled = true;
        if (this.running === running) this.running = undefined;
        const { dropped, reason } = record.budget;
        if (dropped) this.addOutput(running, truncationNote(reason, dropped));
        settle(status);
      },
      done: reply.then(() => {}),
    };
    this.running = running;
    this.setStatus('busy');
    req.onStart?.(count);
    if (notice) this.addOutput(running, { output_type: 'stream', name: 'stderr', text: `[${notice}]\n` });
    running.check = this.typecheck.begin(req.code, req.typecheckKey ?? req.cellId, req.waitForTypecheck, !!req.onTypecheckDone);
    let blocked = false;
    if (running.check && this.typecheck.mode === 'block') {
      const { stop, notes } = await running.check.blocking();
      for (const output of notes) this.addOutput(running, output);
      if (stop && this.running === running) {
        this.addOutput(running, stop);
        running.settle('error');
      }
      blocked = !!stop;
    }
    if (!blocked && this.running === running && !this.sendToChild({ type: 'execute', exec, code: req.code, count, cellId: req.cellId, maxOutputBytes: record.budget.limit })) {
      // The kernel died between start and send; onClose settles the cell with the reason.
      if (!this.child) running.settle('error');
    }
    const status = await reply;
    if (this.child && !this.running) this.setStatus('idle');
    if (req.onTypecheckDone) void (running.check?.settled() ?? Promise.resolve()).then(req.onTypecheckDone);
    return {
      status,
      executionCount: count,
      durationMs: Math.round((performance.now() - running.started) * 100) / 100,
      outputs: running.outputs,
      ...(notice ? { restartNotice: notice } : {}),
    };
  }

  async interrupt(): Promise<InterruptResult> {
    const r = this.running;
    const child = this.child;
    if (!r || !child) return { stateLost: false };
    // No SIGINT from here: the child raises it itself, only while the cell's synchronous part runs
    // (kernel/child/sync-part.ts: a SIGINT that misses that window stops the next cell or ends the kernel).
    const id = Buffer.alloc(4);
    id.writeInt32LE(r.exec);
    (child.process.stdio[4] as NodeJS.WritableStream | null)?.write(id);
    this.sendToChild({ type: 'interrupt', exec: r.exec });
    const grace = this.hostOptions.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([r.done.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), grace)))]);
    clearTimeout(timer);
    if (stopped) return { stateLost: false };

    await this.killChild();
    const seconds = (grace / 1000).toString();
    this.addOutput(r, kernelErrorOutput('KernelRestarted', `The cell did not stop within ${seconds} s of the interrupt, so the kernel was restarted: its state (variables, imports) was lost.`));
    r.settle('aborted');
    this.count = 0;
    await this.start('restarted after an interrupt: state was lost');
    return { stateLost: true };
  }

  async restart(): Promise<void> {
    if (this.isShutDown) throw new Error('kernel is shut down');
    await this.killChild();
    const r = this.running;
    if (r) {
      this.addOutput(r, kernelErrorOutput('KernelRestarted', 'The kernel was restarted while this cell ran.'));
      r.settle('aborted');
    }
    this.count = 0;
    this.deathNote = undefined;
    await this.start('restarted');
  }

  async shutdown(): Promise<void> {
    if (this.isShutDown) return;
    this.isShutDown = true;
    this.typecheck.close();
    const child = this.child;
    if (child) {
      child.expected = true;
      this.sendToChild({ type: 'shutdown' });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([child.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
      await this.killChild();
    }
    const r = this.running;
    if (r) {
      this.addOutput(r, kernelErrorOutput('KernelShutdown', 'The kernel was shut down while this cell ran.'));
      r.settle('aborted');
    }
    this.setStatus('dead', 'shut down');
    this.onShutdown(this);
  }
}

export function createKernelHost(options: KernelHostOptions = {}): KernelHost {
  const kernels = new Map<string, Kernel>();
  // Checked here so a bad TRAILBOOK_TYPECHECK fails when the host is made, naming the variable.
  const settings = { ...options, typecheck: typecheckMode(options.typecheck ?? process.env.TRAILBOOK_TYPECHECK) };
  let checker: TypeChecker | undefined;
  const sharedChecker = () => (settings.typecheck === 'off' ? undefined : (checker ??= new TypeChecker()));
  return {
    async start(startOptions: KernelStartOptions = {}) {
      const kernel = new Kernel(startOptions, settings, (k) => kernels.delete(k.id), sharedChecker);
      kernels.set(kernel.id, kernel);
      try {
        await kernel.start();
      } catch (err) {
        kernels.delete(kernel.id);
        throw err;
      }
      return kernel;
    },
    get: (id) => kernels.get(id),
    list: () => [...kernels.values()],
    async shutdownAll() {
      await Promise.all([...kernels.values()].map((k) => k.shutdown()));
      await checker?.close();
      checker = undefined;
    },
  };
}
