import { Worker } from 'node:worker_threads';

/**
 * The interrupt path. The host writes the interrupted execution's id to fd 4; a worker thread (its
 * own event loop, so it hears the host while the main thread is busy) reads it and:
 * - stores it in shared memory, which the `tick()` the compiler puts in every cell loop and the
 *   `check()` at every await read (loops that run after an await, where vm's breakOnSigint does not reach);
 * - raises SIGINT if that execution's synchronous part is running (sync-part.ts explains why only then);
 * - tells the main thread, which ends cells that wait rather than loop.
 */

const INTERRUPT_FD = 4;
/** Word 0 of the shared memory: id of the interrupted execution, or 0. */
const INTERRUPTED = 0;
/** Word 1: id of the execution whose synchronous part is running, SIGNALLED once the worker raised SIGINT for it, or 0. */
export const SYNC_PART = 1;
export const SIGNALLED = -1;
/**
 * Ids only grow, so an interrupt arriving late cannot stop a later cell; word 0 is cleared once its
 * cell has ended so loop checks stay on their fast path.
 */
export const interruptFlag = new Int32Array(new SharedArrayBuffer(8));

export const isInterrupted = (exec: number) => Atomics.load(interruptFlag, INTERRUPTED) === exec;
export const clearInterrupt = (exec: number) => void Atomics.compareExchange(interruptFlag, INTERRUPTED, exec, 0);
export const markInterrupted = (exec: number) => void Atomics.store(interruptFlag, INTERRUPTED, exec);

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const flag = new Int32Array(workerData.buffer);
const socket = new net.Socket({ fd: workerData.fd, readable: true, writable: false });
let pending = Buffer.alloc(0);
socket.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4) {
    const id = pending.readInt32LE(0);
    Atomics.store(flag, ${INTERRUPTED}, id);
    if (Atomics.compareExchange(flag, ${SYNC_PART}, id, ${SIGNALLED}) === id) process.kill(process.pid, 'SIGINT');
    parentPort.postMessage(id);
    pending = pending.subarray(4);
  }
});
socket.on('error', () => {});
`;

let started = false;

/** `onInterrupt` runs on the main thread once it is free: it ends cells that wait rather than loop. Starts the worker once. */
export function startInterruptPipe(onInterrupt: (exec: number) => void) {
  if (started) return;
  started = true;
  try {
    const worker = new Worker(WORKER, { eval: true, workerData: { buffer: interruptFlag.buffer, fd: INTERRUPT_FD } });
    worker.on('message', (exec: number) => onInterrupt(exec));
    worker.on('error', () => {}); // without the pipe (kernel started by hand) only the IPC message interrupts, and only awaiting cells
    worker.unref();
  } catch {
    // same
  }
}
