import type { Output } from '../notebook/format.ts';

/**
 * The contract between the kernel host (kernel/host.ts) and its users (workbench, CLI runner).
 * Messages follow the Jupyter model; outputs are nbformat outputs so they can be stored as-is.
 */

export type KernelStatus = 'starting' | 'idle' | 'busy' | 'dead';

export type KernelEvent =
  | { type: 'status'; status: KernelStatus; detail?: string }
  /** One output of the running cell, delivered as it happens (stream text arrives in chunks). */
  | { type: 'output'; cellId?: string; output: Output };

export interface ExecuteRequest {
  code: string;
  cellId?: string;
  /** Called for every output while the cell runs. */
  onOutput?: (output: Output) => void;
}

export interface ExecuteReply {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  /** Wall time of the cell in ms. */
  durationMs: number;
  /** All outputs of the cell, in order (the same ones passed to onOutput). */
  outputs: Output[];
}

export interface InterruptResult {
  /** True when the kernel had to be killed and restarted, so its variables are gone. */
  stateLost: boolean;
}

export interface KernelHandle {
  readonly id: string;
  readonly status: KernelStatus;
  execute(req: ExecuteRequest): Promise<ExecuteReply>;
  interrupt(): Promise<InterruptResult>;
  restart(): Promise<void>;
  shutdown(): Promise<void>;
  /** Subscribes to status changes and outputs; returns an unsubscribe function. */
  subscribe(listener: (event: KernelEvent) => void): () => void;
}

export interface KernelStartOptions {
  /** Shown in logs and status: usually the notebook path. */
  name?: string;
  cwd?: string;
  env?: Record<string, string>;
}

/** Starts and tracks kernels; exported by kernel/host.ts as `createKernelHost(options)`. */
export interface KernelHost {
  start(options?: KernelStartOptions): Promise<KernelHandle>;
  get(id: string): KernelHandle | undefined;
  list(): KernelHandle[];
  shutdownAll(): Promise<void>;
}
