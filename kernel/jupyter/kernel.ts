import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Router } from 'zeromq';
import { TYPESCRIPT_METADATA } from '../../notebook/kernel-metadata.ts';
import { PROJECT_ROOT } from '../bundle.ts';
import type { KernelEvent, KernelHandle } from '../protocol.ts';
import type { ConnectionInfo } from './connection.ts';
import { CellHistory, CellLanguageService } from './language.ts';
import { isSqlCell } from '../../notebook/sql-cell.ts';
import { sqlCompleteReply, sqlInspectReply } from './sql-complete.ts';
import { createMessage, decode, encode, PROTOCOL_VERSION, Signer, WireError, type Header, type Incoming } from './messages.ts';
import { executeReplyContent, iopubOutput } from './outputs.ts';
import { bindSockets, receive, type KernelSockets } from './sockets.ts';

/**
 * The Jupyter front door of the Trailbook kernel: speaks the messaging protocol on ZeroMQ and
 * drives the same runtime as the workbench (a KernelHost kernel: compile, redeclare, top-level
 * await, interrupt, display all happen there). This class only translates.
 *
 * Execute requests run one at a time in arrival order; other shell requests (completion, inspection,
 * kernel_info) are answered at once, also while a cell runs, each between its own busy and idle.
 */

export interface JupyterKernelOptions {
  connection: ConnectionInfo;
  /** Starts the runtime (called again for the next cell if a start failed). */
  startRuntime: () => Promise<KernelHandle>;
  /** The prelude's TypeScript declarations, for completion and inspection. */
  preludeTypes: () => Promise<string>;
  /** The notebook's directory: where the runtime runs and relative imports resolve. */
  cwd: string;
  log: (line: string) => void;
}

interface Queued {
  socket: Router;
  incoming: Incoming;
}

/** The requests' content schemas (zod), loaded after the first reply (requests.ts says why). */
let requestSchemas: Promise<typeof import('./requests.ts')> | undefined;
const schemas = () => (requestSchemas ??= import('./requests.ts'));

/** Requests answered while remembering which request a later (timer) output belongs to. */
const REMEMBERED_CELLS = 1000;
/**
 * Loading TypeScript and its libs takes a second or two of CPU, too long to wait for on the first
 * Tab. It is done once the kernel has sat idle this long: people at a notebook pause, while a
 * headless run (nbconvert, papermill) goes cell to cell and then shuts down, never paying for it.
 */
const WARM_UP_AFTER_IDLE_MS = 3000;
/**
 * When no client has asked anything by then, the runtime starts anyway. Every Jupyter client asks for
 * kernel_info first, but on a busy machine its request can take a few hundred ms to arrive: started
 * sooner, the runtime's loading would hold that reply up.
 */
const RUNTIME_START_DELAY_MS = 1000;
/**
 * How long a cell's idle status waits for its type check after the reply. Jupyter clients stop
 * listening to a request at its idle, so its warnings must come first; a warm check takes
 * milliseconds. The first one loads TypeScript (seconds), and nbclient (nbconvert, papermill) waits
 * only 4 s after a reply for the idle (its iopub_timeout) before going on without it: past this
 * bound the cell gets a note instead and goes idle, and the warnings follow when the check ends.
 */
export const TYPECHECK_WAIT_MS = 3000;
/** Published under a cell whose check outlasted TYPECHECK_WAIT_MS (or was cut short by an interrupt or shutdown). */
export const TYPECHECK_PENDING_NOTE =
  "[type check still running (the first one loads TypeScript): this cell's warnings, if any, come after its idle status, which most clients no longer show]\n";

const packageVersion = (() => {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

export class JupyterKernel {
  readonly session = randomUUID();
  private readonly signer: Signer;
  private sockets!: KernelSockets;
  private runtime?: Promise<KernelHandle>;
  private readonly queue: Queued[] = [];
  private draining = false;
  private cellSeq = 0;
  /** Runtime cell id → the execute request it came from, so every output finds its parent. */
  private readonly requests = new Map<string, { header: Header; silent: boolean }>();
  private readonly history = new CellHistory();
  private language?: Promise<CellLanguageService | undefined>;
  private warmUpTimer?: NodeJS.Timeout;
  private afterFirstReply?: () => void;
  /** Ends the wait for the running cell's type check (an interrupt or shutdown does not wait for it). */
  private stopTypecheckWait?: () => void;
  private finish!: (result: { restart: boolean }) => void;
  /** Resolves when a client asked the kernel to shut down (restart: the client will start a new one). */
  readonly done = new Promise<{ restart: boolean }>((resolve) => (this.finish = resolve));

  private constructor(private readonly options: JupyterKernelOptions) {
    this.signer = new Signer(options.connection.signature_scheme, options.connection.key);
  }

  static async start(options: JupyterKernelOptions): Promise<JupyterKernel> {
    const kernel = new JupyterKernel(options);
    kernel.sockets = await bindSockets(options.connection, (m) => options.log(m));
    const { shell, control, stdin } = kernel.sockets;
    void receive(shell, (frames) => kernel.onMessage('shell', shell, frames), options.log);
    void receive(control, (frames) => kernel.onMessage('control', control, frames), options.log);
    // Nothing asks for input (the kernel never sends input_request), but a reply must not pile up.
    void receive(stdin, () => {}, options.log);
    kernel.status('starting');
    // The runtime (sample data check, child process) starts just after the first reply, which is
    // kernel_info for every Jupyter client: its module loading would otherwise hold that reply up.
    // The first cell waits for it.
    const startRuntime = () => {
      clearTimeout(timer);
      kernel.afterFirstReply = undefined;
      void schemas();
      void kernel.getRuntime().then(() => kernel.warmUpWhenIdle(), () => {});
    };
    const timer = setTimeout(startRuntime, RUNTIME_START_DELAY_MS);
    kernel.afterFirstReply = () => setImmediate(startRuntime);
    return kernel;
  }

  get ports() {
    return this.sockets.ports;
  }

  /** Interrupts the running cell (interrupt_request, or SIGINT to this process). */
  async interrupt(): Promise<void> {
    this.stopTypecheckWait?.();
    const runtime = await this.runtime?.catch(() => undefined);
    await runtime?.interrupt();
  }

  async close(): Promise<void> {
    clearTimeout(this.warmUpTimer);
    this.stopTypecheckWait?.();
    const runtime = await this.runtime?.catch(() => undefined);
    await runtime?.shutdown();
    // Let the last replies leave before the sockets go (linger is 0).
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.sockets.close();
  }

  private getRuntime(): Promise<KernelHandle> {
    this.runtime ??= this.options.startRuntime().then(
      (runtime) => {
        runtime.subscribe((event) => this.onRuntimeEvent(event));
        return runtime;
      },
      (err: Error) => {
        this.runtime = undefined;
        this.options.log(`the runtime could not start: ${err.message}`);
        throw err;
      },
    );
    return this.runtime;
  }

  private onRuntimeEvent(event: KernelEvent) {
    if (event.type === 'status') {
      // A fresh process (restart, or the previous one died): earlier cells' declarations are gone.
      if (event.status === 'starting') this.history.clear();
      return;
    }
    const request = event.cellId ? this.requests.get(event.cellId) : undefined;
    if (request?.silent && event.output.output_type === 'execute_result') return;
    const { msgType, content } = iopubOutput(event.output);
    this.publish(msgType, content, request?.header);
  }

  // --- Wire ---

  private publish(msgType: string, content: Record<string, unknown>, parent?: Header) {
    const message = createMessage(this.session, msgType, content, parent);
    void this.sockets.send(this.sockets.iopub, encode(message, [Buffer.from(`kernel.${this.session}.${msgType}`)], this.signer));
  }

  private status(state: 'starting' | 'busy' | 'idle', parent?: Header) {
    this.publish('status', { execution_state: state }, parent);
  }

  private reply(socket: Router, incoming: Incoming, msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
    const message = createMessage(this.session, msgType, content, incoming.message.header, metadata);
    const sent = this.sockets.send(socket, encode(message, incoming.identities, this.signer));
    this.afterFirstReply?.();
    return sent;
  }

  private onMessage(channel: 'shell' | 'control', socket: Router, frames: Buffer[]) {
    let incoming: Incoming;
    try {
      incoming = decode(frames, this.signer);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.options.log(`ignored a message on ${channel}: ${err.message}`);
      return;
    }
    if (incoming.message.header.msg_type === 'execute_request') {
      this.queue.push({ socket, incoming });
      void this.drain();
      return;
    }
    void this.handle(socket, incoming);
  }

  // --- Requests other than execute ---

  private async handle(socket: Router, incoming: Incoming) {
    const { header, content } = incoming.message;
    const type = header.msg_type;
    this.status('busy', header);
    let shutdown: { restart: boolean } | undefined;
    try {
      const answer: Record<string, unknown> | undefined = await this.answer(type, content, header).catch((err: Error) => {
        this.options.log(`${type} failed: ${err.stack ?? err.message}`);
        return { status: 'error', ename: err.name, evalue: err.message, traceback: [] };
      });
      if (answer) await this.reply(socket, incoming, type.replace(/_request$/, '_reply'), answer);
      if (type === 'shutdown_request' && answer?.status === 'ok') {
        shutdown = { restart: answer.restart === true };
        this.publish('shutdown_reply', answer, header); // other clients learn of it too
      }
    } finally {
      this.status('idle', header);
    }
    if (shutdown) this.finish(shutdown);
  }

  /** The reply content for a request, or undefined for messages that get none. */
  private async answer(type: string, content: Record<string, unknown>, header: Header): Promise<Record<string, unknown> | undefined> {
    if (type === 'kernel_info_request') return this.kernelInfo();
    const { CodeAtCursor, CommOpenContent, describeIssues, IsCompleteContent, ShutdownContent } = await schemas();
    const bad = (error: Parameters<typeof describeIssues>[1]) => ({ status: 'error', ename: 'BadRequest', evalue: describeIssues(type, error), traceback: [] });
    switch (type) {
      case 'is_complete_request': {
        const req = IsCompleteContent.safeParse(content);
        // Loaded on first use: it brings the cell compiler (esbuild, acorn), which launch does not need.
        return req.success ? { ...(await (await import('./is-complete.ts')).isComplete(req.data.code)) } : bad(req.error);
      }
      case 'complete_request': {
        const req = CodeAtCursor.safeParse(content);
        if (!req.success) return bad(req.error);
        const { code, cursor_pos } = req.data;
        if (isSqlCell(code)) return { status: 'ok', ...sqlCompleteReply(code, cursor_pos) };
        const language = await this.languageService();
        if (!language) return { status: 'ok', matches: [], cursor_start: cursor_pos, cursor_end: cursor_pos, metadata: {} };
        return { status: 'ok', ...language.complete(this.history, code, cursor_pos) };
      }
      case 'inspect_request': {
        const req = CodeAtCursor.safeParse(content);
        if (!req.success) return bad(req.error);
        if (isSqlCell(req.data.code)) return { status: 'ok', ...sqlInspectReply(req.data.code, req.data.cursor_pos), metadata: {} };
        const language = await this.languageService();
        const found = language?.inspect(this.history, req.data.code, req.data.cursor_pos) ?? { found: false, data: {} };
        return { status: 'ok', ...found, metadata: {} };
      }
      case 'comm_info_request':
        return { status: 'ok', comms: {} };
      case 'history_request':
        return { status: 'ok', history: [] };
      case 'interrupt_request':
        await this.interrupt();
        return { status: 'ok' };
      case 'shutdown_request': {
        const req = ShutdownContent.safeParse(content);
        return req.success ? { status: 'ok', restart: req.data.restart } : bad(req.error);
      }
      case 'comm_open': {
        // No comm targets (widgets) yet: close it, as IPython does for an unknown target.
        const req = CommOpenContent.safeParse(content);
        if (req.success) this.publish('comm_close', { comm_id: req.data.comm_id, data: {} }, header);
        return undefined;
      }
      case 'comm_msg':
      case 'comm_close':
        return undefined;
      default:
        this.options.log(`unsupported message type ${type}`);
        return type.endsWith('_request') ? { status: 'error', ename: 'NotImplementedError', evalue: `the Trailbook kernel does not handle ${type}`, traceback: [] } : undefined;
    }
  }

  private kernelInfo(): Record<string, unknown> {
    return {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'trailbook',
      implementation_version: packageVersion,
      language_info: TYPESCRIPT_METADATA.language_info,
      banner: `Trailbook TypeScript kernel ${packageVersion} on Node ${process.version}. Globals: cloudtrail, mcp, predict, agent, Plot, display, html, md.`,
      help_links: [],
      debugger: false,
    };
  }

  /** TypeScript is loaded on the first completion or inspection (it is large); without it they answer empty. */
  private languageService(): Promise<CellLanguageService | undefined> {
    this.language ??= (async () => {
      try {
        return await CellLanguageService.create(await this.options.preludeTypes(), this.options.cwd);
      } catch (err) {
        this.options.log(`completion and inspection are off: cannot load the TypeScript language service (${(err as Error).message})`);
        return undefined;
      }
    })();
    return this.language;
  }

  private warmUpWhenIdle() {
    clearTimeout(this.warmUpTimer);
    if (this.language) return;
    this.warmUpTimer = setTimeout(() => {
      if (this.draining || this.queue.length) return; // a cell is running: the next idle period will do
      void this.languageService().then((language) => language?.complete(this.history, 'cloudtrail.', 11));
    }, WARM_UP_AFTER_IDLE_MS);
    this.warmUpTimer.unref();
  }

  // --- Execute ---

  private async drain() {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) await this.execute(this.queue.shift()!);
    } finally {
      this.draining = false;
      this.warmUpWhenIdle();
    }
  }

  private async execute({ socket, incoming }: Queued) {
    const { header, content } = incoming.message;
    const started = new Date().toISOString();
    this.status('busy', header);
    try {
      const req = (await schemas()).ExecuteContent.safeParse(content);
      if (!req.success) {
        const evalue = req.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
        await this.reply(socket, incoming, 'execute_reply', { status: 'error', execution_count: null, ename: 'BadRequest', evalue, traceback: [] });
        return;
      }
      const { code, silent, stop_on_error } = req.data;
      let runtime: KernelHandle;
      try {
        runtime = await this.getRuntime();
      } catch (err) {
        const evalue = `The kernel could not be started: ${(err as Error).message}`;
        const error = { ename: 'KernelStartError', evalue, traceback: [`KernelStartError: ${evalue}`] };
        this.publish('error', error, header);
        const aborted = stop_on_error ? this.queue.splice(0) : [];
        await this.reply(socket, incoming, 'execute_reply', { status: 'error', execution_count: null, ...error });
        this.abort(aborted);
        return;
      }
      const cellId = `jupyter-${++this.cellSeq}`;
      this.requests.set(cellId, { header, silent });
      if (this.requests.size > REMEMBERED_CELLS) this.requests.delete(this.requests.keys().next().value!);
      // JupyterLab names the notebook cell in the request's metadata; without it, identical code is the same cell.
      const notebookCell = incoming.message.metadata.cellId;
      let typechecked!: () => void;
      const checked = new Promise<void>((resolve) => (typechecked = resolve));
      const reply = await runtime.execute({
        code,
        cellId,
        typecheckKey: typeof notebookCell === 'string' ? `cell:${notebookCell}` : `code:${code}`,
        // A silent request publishes no results, so nothing waits for its warnings.
        ...(silent ? {} : { onTypecheckDone: typechecked }),
        onStart: (count) => {
          if (!silent) this.publish('execute_input', { code, execution_count: count }, header);
        },
      });
      const replyContent = executeReplyContent(reply);
      // Taken before the reply goes out: a request sent after the client saw it is not aborted.
      const aborted = replyContent.status === 'error' && stop_on_error ? this.queue.splice(0) : [];
      await this.reply(socket, incoming, 'execute_reply', replyContent, { started, status: replyContent.status, dependencies_met: true, engine: this.session });
      // Declarations of a cell that compiled are known to later completions (a failed cell may have declared some).
      if (replyContent.ename !== 'SyntaxError') this.history.add(code);
      this.abort(aborted);
      if (!silent) await this.typecheckBeforeIdle(checked, header);
    } finally {
      this.status('idle', header);
    }
  }

  /**
   * The reply is out; the cell's warnings (published by onRuntimeEvent under this request) must come
   * before its idle, when clients stop listening. A check still running at TYPECHECK_WAIT_MS, or at an
   * interrupt or shutdown, gets a note saying its warnings follow later, so none is lost unsaid.
   */
  private async typecheckBeforeIdle(checked: Promise<void>, header: Header) {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      checked.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), TYPECHECK_WAIT_MS);
        this.stopTypecheckWait = () => resolve(false);
      }),
    ]);
    clearTimeout(timer);
    this.stopTypecheckWait = undefined;
    if (!done) {
      this.publish('stream', { name: 'stderr', text: TYPECHECK_PENDING_NOTE }, header);
    }
  }

  /** After a failed cell with stop_on_error, the cells already queued behind it are not run (as in IPython). */
  private abort(requests: Queued[]) {
    for (const { socket, incoming } of requests) {
      const { header } = incoming.message;
      this.status('busy', header);
      void this.reply(socket, incoming, 'execute_reply', { status: 'aborted', execution_count: null });
      this.status('idle', header);
    }
  }
}
