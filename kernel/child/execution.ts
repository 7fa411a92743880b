import { AsyncLocalStorage } from 'node:async_hooks';
import type { OutputBudget } from '../output-budget.ts';

/** One running (or finished) cell. Async work started by a cell carries it, so late output is attributed correctly. */
export interface Execution {
  exec: number;
  count: number;
  cellId?: string;
  /** Whether the cell was interrupted (its signal has fired). */
  readonly aborted: boolean;
  /** Fires when the cell is interrupted, so work it started (e.g. an agent conversation) can stop at once. */
  readonly signal: AbortSignal;
  finished: boolean;
  streamBytes: number;
  streamTruncated: boolean;
  /** What the cell may still send while it runs (the host's budget for it; afterwards the host alone decides). */
  budget: OutputBudget;
  /** Aborts the signal, which rejects the cell's pending promise so the kernel goes idle even if the cell never settles. */
  abort(): void;
}

export const executionContext = new AsyncLocalStorage<Execution>();

/** The cell currently running, if any (output from code outside any cell context goes to it). */
let running: Execution | undefined;
export const setRunning = (e: Execution | undefined) => {
  running = e;
};
export const getRunning = () => running;

export const currentExecution = (): Execution | undefined => executionContext.getStore() ?? running;

export class InterruptError extends Error {
  override name = 'KeyboardInterrupt';
  constructor() {
    super('Execution interrupted');
  }
}
