import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EncodeJob, EncodeResult, InspectJob, InspectResult, WorkerJob } from './notebook-codec.ts';

/**
 * A small pool of notebook worker threads (notebook-worker.ts) with a FIFO queue: one worker per core
 * beyond the first, at least one. The main thread must keep a core to answer requests: measured on two
 * loaded cores, two busy workers delayed the event loop by up to 300 ms, one by under 40 ms. A worker
 * that dies (e.g. out of memory on a huge file) fails its job and is replaced.
 */

const WORKER_URL = new URL('./notebook-worker.mjs', import.meta.url);

interface Pending {
  job: WorkerJob;
  transfer: ArrayBuffer[];
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  current?: Pending & { id: number };
}

export class NotebookWorkers {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly size = Math.max(1, Math.min(4, availableParallelism() - 1))) {}

  inspect(job: Omit<InspectJob, 'op'>): Promise<InspectResult> {
    return this.run({ op: 'inspect', ...job }) as Promise<InspectResult>;
  }

  /** The body bytes are handed over to the worker (transferred, not copied): do not use them afterwards. */
  encode(job: Omit<EncodeJob, 'op'>): Promise<EncodeResult> {
    const transfer = job.source.kind === 'file' ? [] : [job.source.bytes.buffer as ArrayBuffer];
    return this.run({ op: 'encode', ...job }, transfer) as Promise<EncodeResult>;
  }

  private run(job: WorkerJob, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('notebook workers are shut down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, transfer, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.current);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.current = { ...pending, id: this.nextId++ };
      slot.worker.postMessage({ id: slot.current.id, job: pending.job }, pending.transfer);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL, { stdout: false, stderr: false });
    worker.unref(); // an idle pool never keeps the process alive
    const slot: Slot = { worker };
    this.slots.push(slot);
    worker.on('message', (message: { id?: number; result?: unknown; error?: string; ready?: boolean }) => {
      const current = slot.current;
      if (message.ready || !current || message.id !== current.id) return;
      slot.current = undefined;
      if (message.error !== undefined) current.reject(new Error(message.error));
      else current.resolve(message.result);
      this.dispatch();
    });
    const fail = (err: Error) => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      this.slots.splice(index, 1);
      slot.current?.reject(new Error(`the notebook worker failed: ${err.message}`));
      slot.current = undefined;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('notebook workers are shut down'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

let shared: NotebookWorkers | undefined;
/** The process-wide pool: every store in the process shares the same two workers. */
export const notebookWorkers = (): NotebookWorkers => (shared ??= new NotebookWorkers());
