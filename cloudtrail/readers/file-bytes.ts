import { closeSync, constants as fsConstants, openSync, readSync } from 'node:fs';
import { constants as zlibConstants, createGunzip, type Gunzip } from 'node:zlib';
import { inflate, inflatedSize, isGzip } from './file.ts';

/**
 * Reads and inflates files into two buffers reused from file to file, one reader per parser thread. A fresh input
 * buffer per file (readFileSync) and a fresh output buffer per file (gunzipSync) are fresh pages each time, page
 * faults and system time for 1.4 GB of JSON at 1M events, and external memory that makes the collector run more
 * often (issue #14). What `read` returns is a view of a reused buffer: valid until the next call, so a caller keeps
 * only copies of it (CompactBuilder copies every value it keeps: strings, interned bytes, identity keys).
 */
export class FileBytes {
  private input = Buffer.allocUnsafeSlow(INITIAL_INPUT);
  private output = Buffer.allocUnsafeSlow(INITIAL_OUTPUT);
  /** undefined: not made yet; null: this Node's zlib has no handle to reuse. */
  private engine: Engine | null | undefined;
  /** The message zlib reported during the last write, if any. */
  private failed: string | undefined;

  /** The file's bytes, inflated when they are gzip (by their magic bytes, as `inflate`): a view valid until the next call. */
  read(path: string): Buffer {
    return this.inflate(this.readRaw(path), path);
  }

  /** The file's bytes as they are on disk: a view of the input buffer. */
  private readRaw(path: string): Buffer {
    // One file far larger than the rest is not kept for the rest of the load.
    if (this.input.length > MAX_KEPT) this.input = Buffer.allocUnsafeSlow(INITIAL_INPUT);
    // open, read until end of file, close: readFileSync's fstat is not needed when the buffer grows as it fills.
    const fd = openSync(path, fsConstants.O_RDONLY);
    try {
      let n = 0;
      for (;;) {
        if (n === this.input.length) {
          const next = Buffer.allocUnsafeSlow(this.input.length * 2);
          this.input.copy(next, 0, 0, n);
          this.input = next;
        }
        const got = readSync(fd, this.input, n, this.input.length - n, null);
        if (got === 0) return this.input.subarray(0, n);
        n += got;
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * `inflate(gz, file)` into the output buffer, through one zlib stream reset between files. Anything but a single
   * member that ends within the size its trailer gives (a corrupt or truncated file, a multi-member file, a wrong
   * trailer) goes to `inflate` itself, so its answer or its message is exactly today's.
   */
  private inflate(gz: Buffer, file: string): Buffer {
    if (!isGzip(gz)) return gz;
    // Room for the trailer's size and one byte: a full buffer means more output than the trailer says.
    const need = inflatedSize(gz) + 1;
    if (this.output.length > MAX_KEPT) this.output = Buffer.allocUnsafeSlow(INITIAL_OUTPUT);
    if (this.output.length < need) this.output = Buffer.allocUnsafeSlow(Math.max(need, this.output.length * 2));
    const out = this.output;
    const engine = this.engine === undefined ? (this.engine = this.newEngine()) : this.engine;
    // A Node whose zlib stream has no such handle: every file through the public path.
    if (engine === null) return inflate(gz, file);
    this.failed = undefined;
    engine.handle.writeSync(zlibConstants.Z_FINISH, gz, 0, gz.length, out, 0, out.length);
    const room = engine.state[0];
    if (this.failed !== undefined) {
      // zlib cannot go on after an error: the next file gets a new stream.
      engine.gunzip.close();
      this.engine = undefined;
      return inflate(gz, file);
    }
    engine.handle.reset();
    if (room === 0) return inflate(gz, file);
    return out.subarray(0, out.length - room);
  }

  private newEngine(): Engine | null {
    const gunzip = createGunzip();
    const stream = gunzip as unknown as { _handle?: ZlibHandle; _writeState?: unknown };
    const handle = stream._handle;
    if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function' || !(stream._writeState instanceof Uint32Array)) {
      gunzip.close();
      return null;
    }
    // Node's own handler would destroy the stream and emit 'error' on the next tick; the failure is told apart
    // here and the file handed to `inflate`, which reports it.
    handle.onerror = (message: string) => {
      this.failed = message;
    };
    return { gunzip, handle, state: stream._writeState };
  }
}

/** Node's zlib binding behind a stream (not public API, stable since Node 12): the one call that inflates into a buffer the caller owns. */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
  reset(): void;
  onerror: (message: string, errno: number, code: string) => void;
}

interface Engine {
  gunzip: Gunzip;
  handle: ZlibHandle;
  /** [output bytes left, input bytes left] after each writeSync. */
  state: Uint32Array;
}

const INITIAL_INPUT = 64 * 1024;
const INITIAL_OUTPUT = 1024 * 1024;
/** Buffers grown beyond this for one large file are dropped at the next call. */
const MAX_KEPT = 32 * 1024 * 1024;
