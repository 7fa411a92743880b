import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CellDiagnostic } from '../jupyter/language.ts';
import { DEFAULT_CACHE_DIR, kernelBundle, PROJECT_ROOT } from '../bundle.ts';
import type { CheckReply, CheckRequest, WorkerData } from './worker.ts';

export type { CellDiagnostic } from '../jupyter/language.ts';

/**
 * Type-checks cells off the host's event loop: a worker thread (worker.ts, run as plain node on a
 * bundle built like the kernel's) holds the TypeScript language services. One checker serves every
 * kernel of a host; each request carries the kernel's directory and the cells it ran so far.
 */

const ENTRY = join(PROJECT_ROOT, 'kernel/typecheck/worker.ts');
const CACHE_DIR = join(DEFAULT_CACHE_DIR, 'typecheck');
/** TypeScript's program for one notebook stays well under this; a runaway one ends the worker, not the host. */
const WORKER_HEAP_MB = 768;
/**
 * The thread's niceness when it is started by background work (a `warn` check put off to a quiet
 * moment, the warm-up): on a busy machine the cells, the host and the workbench get the cores first.
 * Started by a check someone waits for (`block`, `trailbook run`), it keeps normal priority.
 */
const BACKGROUND_NICE = 10;

export class TypeCheckUnavailable extends Error {
  override name = 'TypeCheckUnavailable';
}

/** The host shut the checker down: checks still pending simply have no result. */
export class TypeCheckClosed extends Error {
  override name = 'TypeCheckClosed';
}

export class TypeChecker {
  private worker?: Promise<Worker>;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (d: CellDiagnostic[]) => void; reject: (e: Error) => void }>();
  /** Directories whose service answered once: a check there takes milliseconds. */
  private readonly warm = new Set<string>();
  private closed = false;

  /** Starts loading TypeScript for `cwd` in the background, so the first real check is quick. */
  warmUp(cwd: string, background = true): void {
    if (this.warm.has(cwd)) return;
    this.check(cwd, [], '', background).catch(() => {}); // failures surface on the first real check
  }

  /** `background`: nobody waits for this check; if it starts the thread, the thread runs at a lower priority. */
  check(cwd: string, cells: string[], code: string, background = false): Promise<CellDiagnostic[]> {
    if (this.closed) return Promise.reject(new TypeCheckClosed('the type checker was shut down'));
    const id = ++this.seq;
    const request: CheckRequest = { id, cwd, cells, code };
    return new Promise<CellDiagnostic[]>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (d) => {
          this.warm.add(cwd);
          resolve(d);
        },
        reject,
      });
      this.start(background).then(
        (w) => w.postMessage(request),
        (err: Error) => this.fail(new TypeCheckUnavailable(err.message)),
      );
    });
  }

  private start(background: boolean): Promise<Worker> {
    this.worker ??= kernelBundle(CACHE_DIR, ENTRY).then((file) => {
      const workerData: WorkerData = { nice: background ? BACKGROUND_NICE : 0 };
      const worker = new Worker(file, { workerData, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
      worker.unref(); // a host with only a checker left running may exit
      worker.on('message', (m: CheckReply) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if ('error' in m) p.reject(new TypeCheckUnavailable(m.error));
        else p.resolve(m.diagnostics);
      });
      worker.on('error', (err) => this.fail(new TypeCheckUnavailable(`the type checker failed: ${err.message}`)));
      worker.on('exit', () => {
        this.worker = undefined; // the next check starts a fresh one
        this.warm.clear();
        this.fail(new TypeCheckUnavailable('the type checker stopped'));
      });
      return worker;
    });
    this.worker.catch(() => (this.worker = undefined));
    return this.worker;
  }

  private fail(err: Error) {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new TypeCheckClosed('the type checker was shut down'));
    if (worker) await (await worker.catch(() => undefined))?.terminate();
  }
}
