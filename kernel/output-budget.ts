import type { Output } from '../notebook/format.ts';

/**
 * How much output one cell may produce. Each MIME payload is already capped (wire.ts LIMITS), but
 * their total was not: a loop of displays could push gigabytes through the host and the browser.
 * The budget counts bytes of stream text and serialised MIME payloads; once an output does not fit,
 * it and every later one are dropped and counted, so the cell ends with one note saying how many.
 * Used by the kernel child (so dropped bytes never cross IPC), the host (the guarantee) and the
 * workbench (which sizes each cell's budget from what the notebook already shows).
 */

export const MB = 1024 * 1024;
/** Default per-cell budget (workbench: TRAILBOOK_CELL_OUTPUT_MB). */
export const DEFAULT_CELL_OUTPUT_BYTES = 16 * MB;
/** One error output per cell is shown even past the budget, so a failing cell still says why. */
const ERROR_RESERVE_BYTES = 64 * 1024;

const utf8 = (s: string) => Buffer.byteLength(s);

function payloadBytes(value: unknown): number {
  if (typeof value === 'string') return utf8(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.reduce((n: number, v: string) => n + utf8(v), 0);
  try {
    return utf8(JSON.stringify(value) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY; // circular or BigInt: cannot be sent anyway
  }
}

/** Bytes of an output as it is stored and sent: stream text, MIME payloads plus metadata, error fields. */
export function outputBytes(output: Output): number {
  switch (output.output_type) {
    case 'stream':
      return payloadBytes(output.text);
    case 'error':
      return utf8(output.ename) + utf8(output.evalue) + payloadBytes(output.traceback);
    default: {
      let n = 0;
      for (const value of Object.values(output.data)) n += payloadBytes(value);
      const metadata = output.metadata && Object.keys(output.metadata).length ? payloadBytes(output.metadata) : 0;
      return n + metadata;
    }
  }
}

export class OutputBudget {
  used = 0;
  /** Outputs refused so far (the child reports its own count to the host at the end of the cell). */
  dropped = 0;
  private errorShown = false;

  /** `reason` completes "Output truncated: …", e.g. "this cell produced more than 16 MB of output". */
  constructor(
    readonly limit: number,
    readonly reason = `this cell produced more than ${formatMb(limit)} of output`,
  ) {}

  /** Once something was dropped, every later output is too (except one error): no need to measure them. */
  get spent(): boolean {
    return this.dropped > 0;
  }

  /** Whether the output may be sent; counts it either way. */
  admit(output: Output): boolean {
    return this.take(() => outputBytes(output), output.output_type === 'error');
  }

  /** `size` may be a function, so an output refused anyway is not measured (a 5 MB payload costs milliseconds to measure). */
  take(size: number | (() => number), isError = false): boolean {
    if (this.spent && (!isError || this.errorShown)) {
      this.dropped++;
      return false;
    }
    const bytes = typeof size === 'function' ? size() : size;
    if (this.dropped === 0 && this.used + bytes <= this.limit) {
      this.used += bytes;
      return true;
    }
    if (isError && !this.errorShown && bytes <= ERROR_RESERVE_BYTES) {
      this.errorShown = true;
      this.used += bytes;
      return true;
    }
    this.dropped++;
    return false;
  }
}

/**
 * The one visible note for a truncated cell: with the count at the end of the cell, without it for
 * outputs that arrive after the cell finished (timers), where no end is known.
 */
export function truncationNote(reason: string, dropped?: number): Extract<Output, { output_type: 'stream' }> {
  const what = dropped === undefined ? 'further outputs are dropped' : `${dropped} further output${dropped === 1 ? ' was' : 's were'} dropped`;
  return { output_type: 'stream', name: 'stderr', text: `[Output truncated: ${reason}; ${what}.]\n` };
}

export function formatMb(bytes: number): string {
  const mb = bytes / MB;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(mb < 1 ? 2 : 1)} MB`;
}
