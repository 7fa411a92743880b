/**
 * Hands out batches of files to parser threads so that each thread's part covers a few long stretches of time: the
 * files are put in the order of the time CloudTrail writes in their names, each thread starts at its own share of
 * that list, and a thread done with its share takes the later half of the largest share left and goes on through it
 * in time order. The parts then overlap in time only where shares were split, and the main thread's merge of the
 * sorted parts is a few copies of long runs (columns.ts mergeParts), where batches dealt in turn made it an
 * event-by-event merge.
 *
 * Batches shrink near the end (to a quarter of each thread's share of what is left, at least `MIN_BATCH` files), so
 * that the threads run out of files within a few files of each other: with whole batches to the last, one thread
 * could be left with two batches in flight while the other had nothing (issue #14).
 */
export class FileDispatch {
  /** File numbers in time order. */
  readonly order: Uint32Array;
  /** Each thread's share of `order`: [lo, hi) not yet handed out. */
  private readonly lo: number[];
  private readonly hi: number[];
  /** Files not yet handed out, over all shares. */
  private left: number;

  constructor(
    files: string[],
    private readonly threads: number,
    private readonly batch: number,
  ) {
    this.order = timeOrder(files);
    const n = files.length;
    this.left = n;
    this.lo = Array.from({ length: threads }, (_, w) => Math.floor((n * w) / threads));
    this.hi = Array.from({ length: threads }, (_, w) => Math.floor((n * (w + 1)) / threads));
  }

  /** The next batch of file numbers for `thread`, in time order; empty when every file has been handed out. */
  next(thread: number): number[] {
    if (this.lo[thread] >= this.hi[thread] && !this.steal(thread)) return [];
    const from = this.lo[thread];
    const size = Math.min(this.batch, Math.max(MIN_BATCH, Math.ceil(this.left / (this.threads * 16))));
    const to = Math.min(this.hi[thread], from + size);
    this.lo[thread] = to;
    this.left -= to - from;
    return Array.from(this.order.subarray(from, to));
  }

  /** Makes the later half of the largest share left `thread`'s own; false when no file is left. */
  private steal(thread: number): boolean {
    let most = -1;
    for (let w = 0; w < this.lo.length; w++) if (this.hi[w] > this.lo[w] && (most < 0 || this.hi[w] - this.lo[w] > this.hi[most] - this.lo[most])) most = w;
    if (most < 0) return false;
    // The owner keeps the earlier half (it is reading there): rounded so that one file left goes to the thief.
    const mid = this.lo[most] + Math.floor((this.hi[most] - this.lo[most]) / 2);
    this.lo[thread] = mid;
    this.hi[thread] = this.hi[most];
    this.hi[most] = mid;
    return true;
  }
}

/** Smallest batch near the end: a message each way costs far less than parsing a few files. */
const MIN_BATCH = 4;

/**
 * File numbers ordered by the delivery time in their names (`..._20261027T0525Z_...`), ties and names without one
 * in list order (those first). The times are compared as numbers (yyyymmddhhmm fits a double exactly), not strings.
 */
function timeOrder(files: string[]): Uint32Array {
  const n = files.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = timeKey(files[i]);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => keys[a] - keys[b] || a - b);
}

const T = 84; // 'T'
const Z = 90; // 'Z'
const UNDERSCORE = 95; // '_'

/**
 * The delivery time in a CloudTrail file name as yyyymmddhhmm: the first `_yyyymmddThhmmZ_` in the last part of the
 * path, as /_(\d{8}T\d{4})Z_[^/\\]*$/ finds it; -1 when there is none. Scanned by hand: a regular expression per
 * file was most of this order's cost (22,528 files at 1M events).
 */
function timeKey(path: string): number {
  const name = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1;
  for (let at = name; at + 15 < path.length; at++) {
    if (path.charCodeAt(at) !== UNDERSCORE || path.charCodeAt(at + 9) !== T || path.charCodeAt(at + 14) !== Z || path.charCodeAt(at + 15) !== UNDERSCORE) continue;
    let key = 0;
    for (let k = at + 1; k < at + 14 && key >= 0; k++) {
      if (k === at + 9) continue;
      const d = path.charCodeAt(k) - 48;
      key = d >= 0 && d <= 9 ? key * 10 + d : -1;
    }
    if (key >= 0) return key;
  }
  return -1;
}
