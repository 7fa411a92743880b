/**
 * Hands out batches of files to parser threads so that each thread's part covers one stretch of time: the files
 * are put in the order of the time CloudTrail writes in their names, each thread starts at its own share of that
 * list, and a thread done with its share takes batches from the end of the largest share left. The parts then
 * overlap in time only where the shares meet, and the main thread's merge of the sorted parts is a few copies of
 * long runs (columns.ts mergeParts), where batches dealt in turn made it an event-by-event merge.
 */
export class FileDispatch {
  /** File numbers in time order. */
  private readonly order: number[];
  /** Each thread's share of `order`: [lo, hi) not yet handed out. */
  private readonly lo: number[];
  private readonly hi: number[];

  constructor(
    files: string[],
    threads: number,
    private readonly batch: number,
  ) {
    const keys = files.map(timeKey);
    this.order = files.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
    const n = files.length;
    this.lo = Array.from({ length: threads }, (_, w) => Math.floor((n * w) / threads));
    this.hi = Array.from({ length: threads }, (_, w) => Math.floor((n * (w + 1)) / threads));
  }

  /** The next batch of file numbers for `thread`, in time order; empty when every file has been handed out. */
  next(thread: number): number[] {
    if (this.lo[thread] < this.hi[thread]) {
      const from = this.lo[thread];
      const to = Math.min(this.hi[thread], from + this.batch);
      this.lo[thread] = to;
      return this.order.slice(from, to);
    }
    let most = -1;
    for (let w = 0; w < this.lo.length; w++) if (this.hi[w] - this.lo[w] > 0 && (most < 0 || this.hi[w] - this.lo[w] > this.hi[most] - this.lo[most])) most = w;
    if (most < 0) return [];
    const to = this.hi[most];
    const from = Math.max(this.lo[most], to - this.batch);
    this.hi[most] = from;
    return this.order.slice(from, to);
  }
}

/** The delivery time in a CloudTrail file name (`..._20261027T0525Z_...`), or '' (such files go first, in list order). */
function timeKey(path: string): string {
  const m = /_(\d{8}T\d{4})Z_[^/\\]*$/.exec(path);
  return m ? m[1] : '';
}
