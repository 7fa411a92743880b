import type { Output } from '../notebook/format.ts';

/**
 * The contract between the kernel host (kernel/host.ts) and its users (workbench, CLI runner).
 * Messages follow the Jupyter model; outputs are nbformat outputs so they can be stored as-is.
 */

export type KernelStatus = 'starting' | 'idle' | 'busy' | 'dead';

export type KernelEvent =
  | { type: 'status'; status: KernelStatus; detail?: string }
  /** One output of the running cell, delivered as it happens (stream text arrives in chunks). */
  | { type: 'output'; cellId?: string; output: Output; executionCount?: number | null };

export interface ExecuteRequest {
  code: string;
  cellId?: string;
  /**
   * What makes this the same cell as an earlier run for the type check, whose new version then replaces
   * the old one among the cells later ones see (default: `cellId`, else the code). For a front door whose
   * `cellId` is new on every run (Jupyter's request ids), so that re-runs do not pile up.
   */
  typecheckKey?: string;
  /** Called for every output while the cell runs. */
  onOutput?: (output: Output) => void;
  /** Called as the cell starts, with its execution count (Jupyter's execute_input announces it before any output). */
  onStart?: (executionCount: number) => void;
  /**
   * A tighter output budget than the host's `cellOutputBytes` (e.g. what is left of a notebook's).
   * Outputs beyond it are dropped and one note "Output truncated: <reason>; N further outputs were
   * dropped." ends the cell. `reason` names the limit, e.g. "this notebook's outputs reached 64 MB".
   */
  outputBudget?: { bytes: number; reason: string };
  /**
   * Wait for the cell's type check and include its warnings in the reply. Otherwise a warning not known
   * when the cell ends (a quick cell; any cell while TypeScript loads) follows as a late `output` event of
   * the cell. A batch run wants every warning in the saved notebook; an interactive one, no added wait.
   */
  waitForTypecheck?: boolean;
  /**
   * For a front door whose client listens for the cell's warnings after its reply (Jupyter, until the
   * idle status): the check starts as the cell ends, not at a quiet moment, and the reply does not wait
   * for it. Called once its warnings have been emitted (as late `output` events) or there are none.
   */
  onTypecheckDone?: () => void;
}

export interface ExecuteReply {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  /** Wall time of the cell in ms. */
  durationMs: number;
  /** All outputs of the cell, in order (the same ones passed to onOutput). */
  outputs: Output[];
  /**
   * Set when this run had to start a fresh kernel because the previous one died (the reason, e.g.
   * "The kernel exited with code 1."). The same notice is the first output (stderr stream).
   */
  restartNotice?: string;
}

export interface InterruptResult {
  /** True when the kernel had to be killed and restarted, so its variables are gone. */
  stateLost: boolean;
}

export interface KernelHandle {
  readonly id: string;
  readonly status: KernelStatus;
  /** The kernel process id while it runs (for diagnostics). */
  readonly pid?: number;
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

/** Options of `createKernelHost(options)`. */
export interface KernelHostOptions {
  /** How long an interrupted cell may take to stop before the kernel is killed and restarted (default 2000 ms). */
  interruptGraceMs?: number;
  /** How long a kernel may take to start (default 30 s). */
  startTimeoutMs?: number;
  /** Extra `node` flags for kernel processes. */
  execArgv?: string[];
  /**
   * V8 heap limit of each kernel in MB (default 1024, `--max-old-space-size`). A kernel that runs out
   * dies with one line, "The kernel ran out of memory: limit N MB.", and the next run starts a fresh one.
   */
  memoryMb?: number;
  /**
   * Total output of one cell in bytes (stream text plus serialised MIME payloads; default 16 MB).
   * Beyond it outputs are dropped and counted, and the cell ends with one note saying how many.
   */
  cellOutputBytes?: number;
  /**
   * Environment added to every kernel's. A kernel inherits only the allow-listed part of process.env
   * (kernel/environment.ts: locale, AWS credentials and region, Trailbook's data settings; never the
   * workbench token or share secret); this and KernelStartOptions.env are added as given.
   */
  env?: Record<string, string>;
  /** Where the kernel bundle is cached (default node_modules/.cache/trailbook). */
  cacheDir?: string;
  /**
   * TypeScript diagnostics of each cell (default TRAILBOOK_TYPECHECK, else `warn`): `warn` shows them
   * under the cell as a warning block, `block` fails a cell with type errors without running it, `off`.
   * Checked against the prelude's declarations and the cells run so far, in a worker thread.
   */
  typecheck?: 'block' | 'warn' | 'off';
}

/** Starts and tracks kernels; exported by kernel/host.ts as `createKernelHost(options)`. */
export interface KernelHost {
  start(options?: KernelStartOptions): Promise<KernelHandle>;
  get(id: string): KernelHandle | undefined;
  list(): KernelHandle[];
  shutdownAll(): Promise<void>;
}
