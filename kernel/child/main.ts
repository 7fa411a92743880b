import { writeSync } from 'node:fs';
import { Script } from 'node:vm';
import { inspect } from 'node:util';
import { transform } from 'esbuild';
import { OutputBudget } from '../output-budget.ts';
import type { ChildToHost, HostToChild } from '../wire.ts';
import preludeHelp from 'trailbook:prelude-help';
import { describeGlobal, setPreludeHelp } from '../prelude/help.ts';
import { preludeModules, type PreludeContext } from '../prelude/index.ts';
import { compileCell } from './compile.ts';
import { toMimeBundle } from './display.ts';
import { errorOutput, interruptedOutput, rememberCell } from './errors.ts';
import { executionContext, getRunning, InterruptError, setRunning, type Execution } from './execution.ts';
import { captureStdio, flushStreams, send, sendOutput, writeStream } from './output.ts';
import { clearInterrupt, markInterrupted, startInterruptPipe } from './interrupt-pipe.ts';
import { installRuntime } from './runtime.ts';
import { runSynchronousPart } from './sync-part.ts';

/**
 * The kernel child process: receives cells over IPC, runs them one at a time in this process's
 * global context, and sends outputs back as they happen.
 */

const ctx: PreludeContext = { cwd: process.cwd(), env: process.env };

// --- Prelude globals: light ones now, heavy ones just before the first cell that mentions them ---

const lazy = new Map<string, (c: PreludeContext) => Promise<unknown>>();
const loading = new Map<string, Promise<void>>();

setPreludeHelp(preludeHelp);

function defineGlobal(name: string, value: unknown) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

/** A prelude global: displaying it, or help(it), shows its card. */
function definePreludeGlobal(name: string, value: unknown) {
  defineGlobal(name, value);
  describeGlobal(name, value);
}

for (const module of preludeModules) {
  for (const [name, g] of Object.entries(module.globals)) {
    if (g.value) definePreludeGlobal(name, g.value(ctx));
    else if (g.load) {
      lazy.set(name, g.load);
      // Reached only through eval-like access before any cell named it: say what to do.
      Object.defineProperty(globalThis, name, {
        configurable: true,
        enumerable: false,
        get() {
          throw new Error(`${name} is loaded on first use: mention it directly in a cell (e.g. \`await ${name}\`) before using it indirectly`);
        },
        set(value) {
          defineGlobal(name, value);
        },
      });
    }
  }
}

function loadGlobals(identifiers: Set<string>): Promise<unknown> {
  const pending: Promise<void>[] = [];
  for (const [name, load] of lazy) {
    if (!identifiers.has(name)) continue;
    let p = loading.get(name);
    if (!p) {
      p = load(ctx).then((value) => definePreludeGlobal(name, value));
      p.catch(() => loading.delete(name)); // a failed load (e.g. bad config) is retried by the next cell
      loading.set(name, p);
    }
    pending.push(p);
  }
  return Promise.all(pending);
}

// --- Process setup ---

installRuntime(ctx.cwd);
captureStdio();
function interrupt(exec: number) {
  const running = getRunning();
  if (running?.exec !== exec) return clearInterrupt(exec); // arrived after the cell ended
  markInterrupted(exec);
  running.abort();
}
// Only the pipe's worker thread can stop a cell that keeps the main thread busy. Booting it costs
// tens of ms of CPU, so it starts just after the cold-start window, or with the first cell if sooner
// (an interrupt written to the pipe before it reads waits there).
const startPipe = () => startInterruptPipe(interrupt);
setTimeout(startPipe, 250).unref();

// SIGINT stops the synchronous part of a cell (breakOnSigint), and the interrupt worker raises it only
// while that part runs (sync-part.ts). One from outside (a terminal's Ctrl+C) arriving between cells
// is ignored here rather than ending the kernel.
process.on('SIGINT', () => {});

// Errors from background work must not kill the kernel: show them under the cell that started it.
process.on('uncaughtException', (err) => sendOutput(errorOutput(err)));
process.on('unhandledRejection', (reason) => {
  if (reason instanceof InterruptError) return; // an abandoned, interrupted cell
  writeStream('stderr', `Unhandled promise rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : inspect(reason)}\n`);
});

// A cell calling process.exit() ends the kernel: leave a note the host shows to the user.
const realExit = process.exit.bind(process);
process.exit = ((code?: number) => {
  flushStreams();
  writeSync(2, `[kernel] process.exit(${code ?? ''}) was called\n`);
  realExit(code);
}) as typeof process.exit;

// --- Execution ---

async function execute(msg: Extract<HostToChild, { type: 'execute' }>) {
  const controller = new AbortController();
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new InterruptError()), { once: true });
  });
  aborted.catch(() => {});
  const execution: Execution = {
    exec: msg.exec,
    count: msg.count,
    cellId: msg.cellId,
    get aborted() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
    finished: false,
    streamBytes: 0,
    streamTruncated: false,
    budget: new OutputBudget(msg.maxOutputBytes),
    abort: () => controller.abort(new Error('Execution interrupted')),
  };
  setRunning(execution);
  startPipe();
  let status: 'ok' | 'error' | 'aborted' = 'ok';
  try {
    const cell = await compileCell(msg.code, `<cell ${msg.count}>`);
    rememberCell(cell);
    await Promise.race([loadGlobals(cell.identifiers), aborted]);
    const script = new Script(cell.script, { filename: cell.filename });
    const result = executionContext.run(execution, () => runSynchronousPart(script, msg.exec) as Promise<unknown>);
    const value = await Promise.race([result, aborted]);
    if (value !== undefined) {
      const data = await toMimeBundle(value);
      sendOutput({ output_type: 'execute_result', execution_count: msg.count, data, metadata: {} }, execution);
    }
  } catch (err) {
    const interrupted = err instanceof InterruptError || (err as NodeJS.ErrnoException)?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED';
    status = interrupted ? 'aborted' : 'error';
    if (interrupted) execution.abort(); // also stops background work the cell started
    sendOutput(interrupted ? interruptedOutput() : errorOutput(err), execution);
  } finally {
    execution.finished = true;
    setRunning(undefined);
    clearInterrupt(msg.exec);
    flushStreams();
    send({ type: 'done', exec: msg.exec, status, dropped: execution.budget.dropped });
  }
}

let queue = Promise.resolve();
process.on('message', (msg: HostToChild) => {
  if (msg.type === 'execute') queue = queue.then(() => execute(msg));
  else if (msg.type === 'interrupt') interrupt(msg.exec);
  else if (msg.type === 'shutdown') {
    flushStreams();
    realExit(0);
  }
});
process.on('disconnect', () => realExit(0));

send({ type: 'ready', pid: process.pid, startedAt: Date.now() } satisfies ChildToHost);
// Start esbuild's service now so the first cell does not wait for it.
transform('', { loader: 'ts' }).catch(() => {});
