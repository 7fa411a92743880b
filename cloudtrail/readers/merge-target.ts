import { NCOL } from './compact.ts';

/** Bytes of a memory page: one write in each makes the system give the process that page. */
const PAGE = 4096;

/**
 * The memory mergeParts writes the merged times, readOnly and string-id columns into (~27 MB at 1M events), made
 * while the parser threads read the files and touched page by page as they report events, so that the merge after
 * the last file writes into pages the process already has. On this VM the first write to a fresh page is what
 * costs: 30 MB first written took 320-600 ms of wall time (~140 ms of it CPU) against 5 ms written again, and the
 * merge's fresh columns were most of the load's serial tail on the main thread (issue #14).
 *
 * Holds no data before the merge, so growing it is only a new reservation (untouched pages cost nothing).
 */
export class MergeTarget {
  times = new Float64Array(0);
  readOnly = new Uint8Array(0);
  /** 16-bit string ids: a merged table past 65,536 strings takes fresh 32-bit columns instead. */
  cols: Uint16Array[] = [];
  private touched = 0;

  /**
   * Touches the pages of the first `events` events, once `files` of `totalFiles` files have given them: the room
   * is the events those files project to the whole list, and a quarter more. Nothing is reserved before
   * `SAMPLE_FILES` files are in (or all of them): the first batch alone is 64 files from the trail's first hours,
   * which projected 55–60% of the events at 1M, so the room was made again at ~67% of the load and its pages
   * touched again in one call: ~70 ms on a quiet machine, 170–360 ms under load, in which the main thread handed
   * the parser threads no files (issue #14).
   * A call touches at most `TOUCH_PER_CALL` events' pages, so a room made again late is caught up over later
   * calls; what is still untouched at the merge is written fresh there.
   */
  reserve(events: number, files: number, totalFiles: number): void {
    if (files < Math.min(SAMPLE_FILES, totalFiles)) return;
    if (events > this.times.length) {
      const room = Math.ceil(((events / Math.max(files, 1)) * totalFiles * 5) / 4) + 1024;
      this.times = new Float64Array(room);
      this.readOnly = new Uint8Array(room);
      this.cols = Array.from({ length: NCOL }, () => new Uint16Array(room));
      this.touched = 0;
    }
    const to = Math.min(events, this.times.length, this.touched + TOUCH_PER_CALL);
    for (const a of [this.times, this.readOnly, ...this.cols]) touch(a, this.touched, to);
    this.touched = to;
  }

  /** Events whose pages have been touched. */
  get touchedEvents(): number {
    return this.touched;
  }

  /** Room for `n` events, if it has it. */
  fits(n: number): boolean {
    return n <= this.times.length;
  }
}

/**
 * Files reported before the room is sized: two parser threads' first two batches, from two places in the trail's
 * time order. In a replay of the 1M loads' reports, both shapes were then sized once, with room to spare.
 */
export const SAMPLE_FILES = 256;
/** Events whose pages one call touches at most: ~200 pages, a few ms on this VM. */
export const TOUCH_PER_CALL = 32_768;

/** One write per page of events `[from, to)` of `a`. */
function touch(a: Float64Array | Uint16Array | Uint8Array, from: number, to: number): void {
  const step = PAGE / a.BYTES_PER_ELEMENT;
  for (let i = from - (from % step); i < to; i += step) a[i] = 0;
}
