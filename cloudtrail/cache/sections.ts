import { read, readSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/**
 * Typed arrays kept in a file as checksummed sections, read back as views of the file's bytes (no copy, no object
 * per value): the shape of the files store's index cache (readers/index-cache.ts) and of the engine columns kept
 * beside a DuckDB database (stores/engine-columns-cache.ts). Each says in its own JSON header what its sections
 * are; this module lays them out, writes, reads and checks them.
 *
 * Layout: a little-endian u32 header length, the JSON header, then each section at an 8-byte aligned offset (so a
 * Float64Array can view it in place), zero bytes between. Each section's CRC-32 is recorded in the header and
 * checked when the section is read, so a same-length copy with damaged bytes is never trusted.
 */

export interface Section {
  offset: number;
  bytes: number;
  crc: number;
}

export const align8 = (n: number): number => Math.ceil(n / 8) * 8;
export const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export const crcsOf = (arrays: readonly ArrayBufferView[]): number[] => arrays.map((a) => crc32(bytesOf(a)));

/** Where sections of these byte lengths go from file offset `first` on (aligned), each with its CRC-32; `end` is where the last one ends. */
export function layOut(byteLengths: readonly number[], first: number, crcs: readonly number[]): { sections: Section[]; end: number } {
  let at = align8(first);
  let end = at;
  const sections = byteLengths.map((bytes, i) => {
    const s = { offset: at, bytes, crc: crcs[i] };
    end = at + bytes;
    at = align8(end);
    return s;
  });
  return { sections, end };
}

/** The u32 length and the JSON `header`, spaces after it up to `size` bytes when given (a header laid out before its final text). */
export function headerBytes(header: unknown, size?: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (size !== undefined && json.length > size) throw new Error('the header outgrew the room laid out for it');
  const out = Buffer.alloc(4 + (size ?? json.length), 0x20);
  out.writeUInt32LE(size ?? json.length);
  json.copy(out, 4);
  return out;
}

/**
 * Writes the header then each array at its section's offset, zeros up to `size` at the end (default: no padding
 * after the last), to a temporary name renamed over `path`: a reader sees the old file or the new one, never half.
 * Written chunk by chunk: no second copy of the arrays in memory.
 */
export async function writeSections(path: string, header: Buffer, arrays: readonly ArrayBufferView[], sections: readonly Section[], size?: number): Promise<void> {
  const chunks: Uint8Array[] = [header];
  let at = header.length;
  arrays.forEach((a, i) => {
    if (sections[i].offset < at) throw new Error('sections overlap');
    if (sections[i].offset > at) chunks.push(new Uint8Array(sections[i].offset - at));
    chunks.push(bytesOf(a));
    at = sections[i].offset + a.byteLength;
  });
  if (size !== undefined && size > at) chunks.push(new Uint8Array(size - at));
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, chunks);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The header of a sections file held in `buf` (a whole file read at once) and where it ends. */
export function headerIn<H>(buf: Buffer): { header: H; end: number } {
  const length = buf.readUInt32LE(0);
  if (4 + length > buf.length) throw new Error('the header runs past the end of the file');
  return { header: JSON.parse(buf.toString('utf8', 4, 4 + length)) as H, end: 4 + length };
}

/** `length` bytes at `position` of open file `fd`, in memory of their own (offset 0, so 8-byte aligned: views need that). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafeSlow(length);
  for (let done = 0; done < length; ) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`the file ends ${length - done} bytes early`);
    done += n;
  }
  return buf;
}

/** readAt in a thread of libuv's pool, so the caller's thread can work meanwhile. */
export function readAtAsync(fd: number, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafeSlow(length);
  const step = (done: number, resolve: (b: Buffer) => void, reject: (e: Error) => void): void => {
    if (done === length) return resolve(buf);
    read(fd, buf, done, length - done, position + done, (err, n) => {
      if (err) reject(err);
      else if (n === 0) reject(new Error(`the file ends ${length - done} bytes early`));
      else step(done + n, resolve, reject);
    });
  };
  return new Promise((resolve, reject) => step(0, resolve, reject));
}

/**
 * Section `s` (named `name` in errors) viewed in `buf`, which holds the file's bytes from offset `start`, after
 * checking that it lies inside, aligned, and matches its CRC-32.
 */
export function checkedSection(buf: Uint8Array, start: number, s: Section | undefined, name: string): Uint8Array {
  if (!s || s.offset % 8 || s.offset < start || s.offset + s.bytes > start + buf.byteLength) throw new Error(`section ${name} is out of place`);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset + s.offset - start, s.bytes);
  if (crc32(bytes) !== s.crc) throw new Error(`section ${name} fails its checksum`);
  return bytes;
}
