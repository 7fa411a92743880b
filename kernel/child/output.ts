import type { Output } from '../../notebook/format.ts';
import { outputBytes } from '../output-budget.ts';
import { LIMITS, type ChildToHost } from '../wire.ts';
import { currentExecution, type Execution } from './execution.ts';

/** Whether an output of the running cell may cross IPC: over its budget it is dropped here and counted for the host's note. */
const withinBudget = (execution: Execution | undefined, bytes: () => number, isError = false) => !execution || execution.finished || execution.budget.take(bytes, isError);

/** True, and the output counted as dropped, when the running cell's budget is spent: display() then skips building the bundle. */
export function budgetSpent(execution: Execution | undefined = currentExecution()): boolean {
  if (!execution || execution.finished || !execution.budget.spent) return false;
  return !execution.budget.take(0);
}

/**
 * Sends outputs to the host. Writes go out at once unless they come in a burst (a tight loop of
 * console.log would otherwise cost one IPC message per line); then they are batched but flushed
 * every few milliseconds, also while a synchronous loop keeps the event loop busy, so output
 * still arrives live.
 */

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 8;
/** Writes per FLUSH_MS window sent individually before batching starts. */
const BURST = 16;

export function send(message: ChildToHost) {
  if (message.type !== 'output' || message.output.output_type !== 'stream') flushStreams();
  process.send?.(message);
}

interface Pending {
  exec?: number;
  name: 'stdout' | 'stderr';
  text: string;
}
let pending: Pending[] = [];
let pendingBytes = 0;
let lastFlush = 0;
let windowStart = 0;
let windowWrites = 0;
let timer: NodeJS.Timeout | undefined;

export function flushStreams() {
  if (timer) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (!pending.length) return;
  lastFlush = performance.now();
  const batch = pending;
  pending = [];
  pendingBytes = 0;
  for (const p of batch) process.send?.({ type: 'output', exec: p.exec, output: { output_type: 'stream', name: p.name, text: p.text } } satisfies ChildToHost);
}

export function writeStream(name: 'stdout' | 'stderr', text: string, execution: Execution | undefined = currentExecution()) {
  if (!text) return;
  if (execution) {
    if (execution.streamTruncated) return;
    const remaining = LIMITS.streamBytesPerCell - execution.streamBytes;
    const bytes = Buffer.byteLength(text);
    if (bytes > remaining) {
      execution.streamTruncated = true;
      text = `${Buffer.from(text).subarray(0, Math.max(remaining, 0)).toString()}\n[output truncated: this cell wrote more than ${LIMITS.streamBytesPerCell / 1024 / 1024} MB of text; the rest was dropped]\n`;
      name = 'stderr';
    }
    execution.streamBytes += bytes;
  }
  if (!withinBudget(execution, () => Buffer.byteLength(text))) return;
  const last = pending[pending.length - 1];
  if (last && last.exec === execution?.exec && last.name === name) last.text += text;
  else pending.push({ exec: execution?.exec, name, text });
  pendingBytes += text.length;
  const now = performance.now();
  if (now - windowStart >= FLUSH_MS) {
    windowStart = now;
    windowWrites = 0;
  }
  windowWrites++;
  if (windowWrites <= BURST || pendingBytes >= FLUSH_BYTES || now - lastFlush >= FLUSH_MS) flushStreams();
  else timer ??= setTimeout(flushStreams, FLUSH_MS);
}

export function sendOutput(output: Output, execution: Execution | undefined = currentExecution()) {
  if (!withinBudget(execution, () => outputBytes(output), output.output_type === 'error')) return;
  send({ type: 'output', exec: execution?.exec, output });
}

/** Routes process.stdout/stderr writes (console.* included) to the cell that made them. */
export function captureStdio() {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      writeStream(name, text);
      const cb = typeof encoding === 'function' ? encoding : callback;
      if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
      return true;
    }) as typeof stream.write;
  }
}
