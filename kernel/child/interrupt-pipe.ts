import { Worker } from 'node:worker_threads';

/**
 * A second interrupt path for synchronous loops that run after an await, where vm's breakOnSigint
 * does not reach and the SIGINT handler cannot run (the main thread is busy). The host writes the
 * interrupted execution's id to fd 4; a worker thread (its own event loop) reads it and stores it
 * in shared memory, which the `tick()` the compiler puts in every cell loop reads.
 */

const INTERRUPT_FD = 4;
/**
 * Id of the interrupted execution, or 0. Ids only grow, so an interrupt arriving late cannot stop a
 * later cell; it is cleared once its cell has ended so loop checks stay on their fast path.
 */
export const interruptFlag = new Int32Array(new SharedArrayBuffer(4));

export const isInterrupted = (exec: number) => Atomics.load(interruptFlag, 0) === exec;
export const clearInterrupt = (exec: number) => void Atomics.compareExchange(interruptFlag, 0, exec, 0);
export const markInterrupted = (exec: number) => void Atomics.store(interruptFlag, 0, exec);

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
    Atomics.store(flag, 0, id);
    parentPort.postMessage(id);
    pending = pending.subarray(4);
  }
});
socket.on('error', () => {});
`;

/** `onInterrupt` runs on the main thread once it is free: it ends cells that wait rather than loop. */
export function startInterruptPipe(onInterrupt: (exec: number) => void) {
  try {
    const worker = new Worker(WORKER, { eval: true, workerData: { buffer: interruptFlag.buffer, fd: INTERRUPT_FD } });
    worker.on('message', (exec: number) => onInterrupt(exec));
    worker.on('error', () => {}); // without the pipe (kernel started by hand) only SIGINT interrupts
    worker.unref();
  } catch {
    // same
  }
}
