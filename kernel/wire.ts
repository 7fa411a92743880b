import type { Output } from '../notebook/format.ts';

/**
 * Messages between the kernel host and its child process (child_process IPC, 'advanced'
 * serialization). Internal to kernel/: users see kernel/protocol.ts.
 */

export type HostToChild =
  /** `maxOutputBytes`: the cell's output budget (output-budget.ts); the child drops what does not fit and reports the count in `done`. */
  | { type: 'execute'; exec: number; code: string; count: number; cellId?: string; maxOutputBytes: number }
  /** Also written to the interrupt pipe (fd 4) for a kernel stuck in a synchronous loop, which reads no IPC. */
  | { type: 'interrupt'; exec: number }
  | { type: 'shutdown' };

export type ChildToHost =
  | { type: 'ready'; pid: number; startedAt: number }
  /** `exec` is absent for output from code running outside any cell (e.g. an unhandled rejection at startup). */
  | { type: 'output'; exec?: number; output: Output }
  | { type: 'done'; exec: number; status: 'ok' | 'error' | 'aborted'; dropped: number };

/** Size limits for outputs, so one cell cannot flood the browser or the notebook file. */
export const LIMITS = {
  /** Stream text (stdout + stderr) per cell. */
  streamBytesPerCell: 1024 * 1024,
  /** One MIME payload of a display_data / execute_result. */
  mimeBytes: 5 * 1024 * 1024,
  /** Rows shown in an HTML table of an array of objects. */
  tableRows: 50,
};
