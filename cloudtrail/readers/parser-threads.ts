import { Worker } from 'node:worker_threads';
import type { CompactResult } from './compact.ts';
import { FileDispatch } from './dispatch.ts';
import type { FromWorker, ToWorker } from './parse-worker.ts';

/** Files per batch handed to a thread (fewer near the end: dispatch.ts). */
export const FILES_PER_BATCH = 64;

/**
 * Parser threads, started before the files they will parse are known: their code is read (or bundled), and each
 * thread boots Node and evaluates it (~0.1 CPU-s each here), while `find` lists the directory in another process.
 * Started after the listing, as they were, those steps were serial time before the first file was read (issue #14).
 */
export interface ParserThreads {
  /**
   * Parses `files` in the first `count` threads (the others end), in time-ordered batches (dispatch.ts); files are
   * handed out once `start` settles. Rejects when a thread cannot start or fails.
   */
  parse(files: string[], count: number, progress: (files: number, events: number) => void, start?: Promise<unknown>): Promise<CompactResult[]>;
  /** Ends the threads without parsing anything (the files turned out to need none). */
  close(): void;
}

/** Node options minus module loaders (`--import tsx` and the like), which would load themselves into each worker again. */
function withoutLoaders(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (/^--(import|loader|experimental-loader|require)$/.test(args[i]) || args[i] === '-r') i++;
    else if (!/^--(import|loader|experimental-loader|require|input-type)=/.test(args[i]) && !args[i].startsWith('--input-type')) out.push(args[i]);
  }
  return out;
}

/** One thread: what it said and whether it failed, kept from its start until `parse` listens. */
class ParserThread {
  readonly worker: Worker;
  /** Settles when the thread has evaluated its code; rejects when it could not. */
  readonly ready: Promise<void>;
  /** Rejects when the thread fails at any time (never resolves). */
  readonly failed: Promise<never>;
  onMessage?: (msg: FromWorker) => void;

  constructor(code: string | undefined) {
    // Files are scanned without building their records (readers/delivery-scan.ts), so each leaves little garbage:
    // a 16 MB young generation measured the same CPU as 64 MB and ~140 MB less peak RSS at 1M events (issue #14).
    this.worker = new Worker(code ?? new URL('./worker-entry.mjs', import.meta.url), {
      eval: code !== undefined,
      resourceLimits: { maxYoungGenerationSizeMb: 16 },
      // --input-type (from `node -e`) is refused by a worker started from a file; the bundle needs no loader.
      execArgv: code === undefined ? process.execArgv.filter((a) => !a.startsWith('--input-type')) : withoutLoaders(process.execArgv),
    });
    let isReady: () => void;
    let fail: (err: Error) => void;
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.ready = Promise.race([new Promise<void>((resolve) => (isReady = resolve)), this.failed]);
    // Handled where they are awaited; a thread ended unused must not leave an unhandled rejection behind.
    this.failed.catch(() => undefined);
    this.ready.catch(() => undefined);
    this.worker.on('message', (msg: FromWorker) => (msg.type === 'ready' ? isReady() : this.onMessage?.(msg)));
    this.worker.on('error', (err) => fail(err));
    this.worker.on('exit', (code) => fail(new Error(`parser worker exited with code ${code}`)));
  }

  end(): void {
    this.worker.removeAllListeners('exit');
    void this.worker.terminate();
  }
}

/**
 * Starts `count` parser threads as soon as their `code` is had: the bundle (worker-code.ts parserWorkerCode), or
 * undefined for worker-entry.mjs through tsx (a deployment without esbuild).
 */
export function startParserThreads(count: number, code: Promise<string | undefined>): ParserThreads {
  const threads = code.then((code) => Array.from({ length: count }, () => new ParserThread(code)));
  // Handled where it is awaited (parse, close).
  threads.catch(() => undefined);
  let closed = false;
  return {
    close() {
      closed = true;
      void threads.then((all) => all.forEach((t) => t.end()), () => undefined);
    },
    async parse(files, use, progress, start) {
      if (closed) throw new Error('parser threads closed');
      const all = await threads;
      all.slice(use).forEach((t) => t.end());
      const used = all.slice(0, use);
      const dispatch = new FileDispatch(files, used.length, FILES_PER_BATCH);
      // Room for ~64 events per file of its share (a guess: the columns grow past it).
      const capacity = Math.ceil(files.length / used.length) * 64;
      try {
        return await Promise.all(used.map((thread, w) => Promise.race([run(thread, w), thread.failed])));
      } finally {
        used.forEach((t) => t.end());
      }

      async function run(thread: ParserThread, w: number): Promise<CompactResult> {
        await Promise.all([thread.ready, start]);
        return new Promise<CompactResult>((resolve) => {
          let first = true;
          let done = false;
          const send = () => {
            if (done) return;
            const batch = dispatch.next(w);
            if (!batch.length) {
              done = true;
              thread.worker.postMessage({ type: 'done' } satisfies ToWorker);
              return;
            }
            const message: ToWorker = { type: 'files', files: batch.map((i): [number, string] => [i, files[i]]) };
            if (first) message.capacity = capacity;
            first = false;
            thread.worker.postMessage(message);
          };
          thread.onMessage = (msg) => {
            if (msg.type === 'progress') {
              progress(msg.files, msg.events);
              send();
            } else if (msg.type === 'result') resolve(msg.result);
          };
          // Two batches in flight: the thread starts its next one without waiting for this thread's answer.
          send();
          send();
        });
      }
    },
  };
}
