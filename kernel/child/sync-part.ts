import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { InterruptError } from './execution.ts';
import { interruptFlag, isInterrupted, SIGNALLED, SYNC_PART } from './interrupt-pipe.ts';

/**
 * Runs a cell's synchronous part (its script, up to the first await) under vm's breakOnSigint: the
 * one way to stop JavaScript that never yields (a counted loop, a long call) and keep the kernel's state.
 *
 * Node's SIGINT watchdog has a flaw that this works around. A SIGINT that arrives while a run is
 * active is counted by a semaphore that the watchdog's own thread takes; when the run ends before that
 * thread got to it (the cell's loop check saw the interrupt first, or the part simply finished), the
 * count stays, and the next run's watchdog thread takes it at once: the next cell is stopped with a
 * KeyboardInterrupt nobody asked for. A SIGINT arriving just as a run starts or ends, when Node has no
 * handler installed, ends the process instead.
 *
 * So SIGINT is raised only by the interrupt worker (interrupt-pipe.ts), only while the interrupted
 * execution's synchronous part runs (word SYNC_PART holds its id, set and cleared inside the run), and a
 * part that ends after the worker committed to a signal waits, still inside the run, for the watchdog
 * to stop it. Every SIGINT is then taken by the run it was meant for.
 */

/** Bounds the wait for the watchdog (it comes in microseconds; the host kills a kernel that outlasts its grace anyway). */
const LEAVE_WAIT_MS = 5000;
const ENTRY = '__trailbook_sync_part';

// Named after this file, so a stack trace through it is dropped with the kernel's own frames (errors.ts).
const bracket = new Script(`${ENTRY}()`, { filename: fileURLToPath(import.meta.url) });

export function runSynchronousPart(script: Script, exec: number): unknown {
  let value: unknown;
  const body = () => {
    Atomics.store(interruptFlag, SYNC_PART, exec);
    try {
      // An interrupt the worker read before this part started found nothing to signal: it stops the part here.
      if (isInterrupted(exec)) throw new InterruptError();
      value = script.runInThisContext();
    } finally {
      leave(exec);
    }
  };
  Object.defineProperty(globalThis, ENTRY, { value: body, enumerable: false, configurable: true, writable: true });
  try {
    bracket.runInThisContext({ breakOnSigint: true });
  } finally {
    Atomics.store(interruptFlag, SYNC_PART, 0);
  }
  return value;
}

function leave(exec: number) {
  if (Atomics.compareExchange(interruptFlag, SYNC_PART, exec, 0) !== SIGNALLED) return;
  // The worker raised SIGINT for this run: the watchdog's termination ends this wait (and the run).
  Atomics.wait(interruptFlag, SYNC_PART, SIGNALLED, LEAVE_WAIT_MS);
}
