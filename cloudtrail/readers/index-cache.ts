import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NCOL, type CompactResult } from './compact.ts';

/**
 * On-disk copy of the compact index of a directory, so reopening unchanged data skips parsing.
 * Valid only for the exact same file list with the same sizes and modification times.
 */
const FORMAT = 'trailbook-files-index-2';

/**
 * Synchronous on purpose: a reopen is mostly this, and one promise per file cost ~6× the CPU of statSync in a
 * loop (measured at 15,400 files: 0.9 CPU-s against ~0.15, bench/load.ts).
 */
export async function directorySignature(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const f of files) {
    const st = statSync(f);
    hash.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

interface Header {
  format: string;
  signature: string;
  parts: (Omit<CompactResult, 'times' | 'fileIdx' | 'recIdx' | 'cells' | 'readOnly' | 'ids'> & { idsBytes: number })[];
  /** Events in the store's (time, id) order, as numbers across all parts: a reopen need not sort again. */
  orderBytes: number;
  bytes: number;
}

export interface SavedIndex {
  results: CompactResult[];
  order: Uint32Array;
}

export async function saveIndex(path: string, signature: string, { results, order }: SavedIndex): Promise<void> {
  // Let the caller use the store first: serialising a large index takes a few hundred milliseconds.
  await new Promise((r) => setImmediate(r));
  const chunks: Buffer[] = [];
  const parts: Header['parts'] = [];
  for (const r of results) {
    const ids = Buffer.from(r.ids, 'utf8');
    for (const a of [r.times, r.fileIdx, r.recIdx, r.cells, r.readOnly]) chunks.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    chunks.push(ids);
    parts.push({ count: r.count, strings: r.strings, resources: r.resources, outcomes: r.outcomes, idsBytes: ids.length });
  }
  chunks.push(Buffer.from(order.buffer, order.byteOffset, order.byteLength));
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  const header = Buffer.from(JSON.stringify({ format: FORMAT, signature, parts, orderBytes: order.byteLength, bytes } satisfies Header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, Buffer.concat([len, header, ...chunks]));
  await rename(tmp, path);
}

export async function loadIndex(path: string, signature: string): Promise<SavedIndex | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch {
    return undefined;
  }
  try {
    const hlen = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + hlen).toString('utf8')) as Header;
    if (header.format !== FORMAT || header.signature !== signature || buf.length !== 4 + hlen + header.bytes) return undefined;
    let off = 4 + hlen;
    const take = (n: number) => {
      const out = new Uint8Array(n);
      out.set(buf.subarray(off, off + n));
      off += n;
      return out.buffer;
    };
    const results = header.parts.map((p) => {
      const n = p.count;
      const times = new Float64Array(take(n * 8));
      const fileIdx = new Uint32Array(take(n * 4));
      const recIdx = new Uint32Array(take(n * 4));
      const cells = new Uint32Array(take(n * 4 * NCOL));
      const readOnly = new Uint8Array(take(n));
      const ids = buf.subarray(off, off + p.idsBytes).toString('utf8');
      off += p.idsBytes;
      return { count: n, strings: p.strings, resources: p.resources, outcomes: p.outcomes, times, fileIdx, recIdx, cells, readOnly, ids };
    });
    const order = new Uint32Array(take(header.orderBytes));
    if (order.length !== results.reduce((s, r) => s + r.count, 0)) return undefined;
    return { results, order };
  } catch {
    return undefined;
  }
}
