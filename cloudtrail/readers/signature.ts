import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * The change signature of a file list: every path with its size and modification time, so that a cache built from
 * the files is used only for exactly those files. Every file is stat-ed on every open, on purpose: CloudTrail never
 * rewrites a delivered object, but a person editing a file in place (same name, same size) must still get fresh
 * results, and only the file's own mtime shows that. docs/sql.md ("Change detection").
 *
 * Stat-ing 15,000-23,000 files costs 0.13-0.35 CPU-s (issue #14). The caller asks for the signature when the rest
 * of its reopen runs elsewhere (the cache's string table read in the pool, DuckDB opening in its own threads), so the
 * stat overlaps that. With a spare core a worker shares the stat, each thread claiming chunks of the list from a
 * shared counter: the worker starts at once, this thread does its own work and then takes the chunks left. On the
 * 2-core machine of issue #14 the worker cost more than it saved (bench/load.ts warm, org shape, load 9-13: 0.77-0.79
 * CPU-s and 2.8-4.3 s with it, 0.48-0.57 CPU-s and 0.8-2.2 s without; DuckDB likewise), so it is only used with more
 * than two cores and a load below the cores less one. Promises per file were measured at ~3× the CPU of statSync.
 */

/** Files stat-ed per claim: large enough that the shared counter is rarely touched, small enough to share well. */
const CHUNK = 256;
/** Below this many files a worker costs more to start (~40-90 ms) than the stat it would share. */
const WORKER_MIN_FILES = 4000;

/** A core that nothing else is using: what a worker needs to shorten the reopen rather than slow it (see above). */
const spareCore = () => availableParallelism() > 2 && loadavg()[0] < availableParallelism() - 1;

/**
 * Stats the claimed chunks of `files` into `out` (size, mtime per file; -1 when it cannot be stat-ed, which
 * changes the signature). Self-contained: its source also runs in the worker, so it uses only its arguments.
 * Returns how many files it stat-ed.
 */
function statChunks(statSync: typeof fs.statSync, files: string[], next: Int32Array, done: Int32Array, out: Float64Array, chunk: number): number {
  let mine = 0;
  for (;;) {
    const from = Atomics.add(next, 0, chunk);
    if (from >= files.length) return mine;
    const to = Math.min(files.length, from + chunk);
    for (let i = from; i < to; i++) {
      const st = statSync(files[i], { throwIfNoEntry: false });
      out[2 * i] = st ? st.size : -1;
      out[2 * i + 1] = st ? st.mtimeMs : -1;
    }
    mine += to - from;
    Atomics.add(done, 0, to - from);
  }
}

// Worker scripts given as code run as CommonJS; `__name` is the helper tsx's transform puts around named functions.
const WORKER_CODE = `var __name = (f) => f;
const { parentPort, workerData: w } = require('node:worker_threads');
const statChunks = ${statChunks.toString()};
const next = new Int32Array(w.shared, 0, 1);
const done = new Int32Array(w.shared, 4, 1);
const out = new Float64Array(w.shared, 8, 2 * w.files.length);
parentPort.postMessage(statChunks(require('node:fs').statSync, w.files, next, done, out, w.chunk));`;

export interface PendingSignature {
  /**
   * Stats what is left of the list on this thread and resolves with the signature once every file is stat-ed
   * (by either thread). Call it when this thread has nothing better to do.
   */
  finish(): Promise<string>;
}

function digest(files: string[], stats: Float64Array): string {
  const hash = createHash('sha256');
  for (let i = 0; i < files.length; i++) hash.update(`${files[i]}\0${stats[2 * i]}\0${stats[2 * i + 1]}\n`);
  return hash.digest('hex');
}

/**
 * Starts computing the signature of `files`; `finish()` gives it. `threads`: whether a worker shares the stat of a
 * large list (`auto`, the default: when there is a spare core).
 */
export function startSignature(files: string[], { threads = 'auto' }: { threads?: boolean | 'auto' } = {}): PendingSignature {
  const shared = new SharedArrayBuffer(8 + 16 * files.length);
  const next = new Int32Array(shared, 0, 1);
  const done = new Int32Array(shared, 4, 1);
  const stats = new Float64Array(shared, 8, 2 * files.length);
  let worker: Worker | undefined;
  let workerDone: Promise<void> = Promise.resolve();
  if ((threads === 'auto' ? spareCore() : threads) && files.length >= WORKER_MIN_FILES) {
    try {
      // No Node options: the worker is plain JavaScript and needs no loader (`--import tsx` would load itself again).
      const w = new Worker(WORKER_CODE, { eval: true, workerData: { shared, files, chunk: CHUNK }, execArgv: [] });
      worker = w;
      // A worker that fails leaves its unclaimed chunks to this thread; a chunk it claimed and did not finish is
      // found by the count below and stat-ed here again.
      workerDone = new Promise<void>((resolve) => {
        w.once('message', () => resolve());
        w.once('error', () => resolve());
        w.once('exit', () => resolve());
      });
    } catch {
      worker = undefined;
    }
  }
  return {
    async finish() {
      statChunks(fs.statSync, files, next, done, stats, CHUNK);
      if (Atomics.load(done, 0) < files.length) await workerDone;
      if (Atomics.load(done, 0) < files.length) {
        // The worker died mid-chunk: stat everything here (rare; correctness over speed).
        Atomics.store(next, 0, 0);
        statChunks(fs.statSync, files, next, new Int32Array(1), stats, CHUNK);
      }
      if (worker) void worker.terminate();
      return digest(files, stats);
    },
  };
}

/** The signature of `files` from their sizes and modification times found elsewhere (walk.ts listAndStat): the same as `startSignature`'s. */
export const signatureOf = (files: string[], stats: Float64Array): string => digest(files, stats);

/**
 * A hash of find's raw listing of `dir` (walk.ts findListing: every entry's type, size, mtime and path, in
 * directory order), which tells an unchanged directory without sorting the listing or digesting each file (at
 * 22,528 files ~5 CPU ms against ~0.25 CPU-s for those, issue #14). Equal listings of the same `dir` text give equal
 * signatures (the signature is made from these bytes and `dir` alone), so a cache may keep this beside the signature
 * it verified and trust it next time; any change to a file's size, mtime or name, or to any other entry (a
 * directory's mtime, a hidden or ignored file, the order readdir gives), only sends the caller back to the
 * signature. Undefined when an entry is anything but a plain file or a directory: a link's target can change while
 * the link, which is all find printed, does not.
 */
export function listingSignature(dir: string, found: Buffer): string | undefined {
  for (let at = 0; at < found.length; ) {
    const type = found[at];
    if (type !== 102 /* f */ && type !== 100 /* d */) return undefined;
    const end = found.indexOf(0, at);
    if (end < 0) return undefined;
    at = end + 1;
  }
  return createHash('sha256').update(`trailbook-listing-1\0${dir}\0`).update(found).digest('hex');
}

/** The signature of `files`, stat-ed on this thread. */
export function directorySignatureSync(files: string[]): string {
  const stats = new Float64Array(2 * files.length);
  statChunks(fs.statSync, files, new Int32Array(1), new Int32Array(1), stats, CHUNK);
  return digest(files, stats);
}
