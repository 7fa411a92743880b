import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../record.ts';
import { withoutAbsentNulls } from '../record-nulls.ts';
import { CloudTrailFileError, extractRecords, invalidReason, isInsight, type Extracted, type Shape, type SkippedShape } from './shapes.ts';
import { splitDeliveryRecords } from './split.ts';

export interface InvalidRecord {
  index: number;
  reason: string;
}

export interface FileRecords {
  file: string;
  shape: Shape | SkippedShape;
  /** Valid records, in file order. */
  records: CloudTrailRecord[];
  /** Records (or NDJSON lines) that were present but unusable. */
  invalid: InvalidRecord[];
}

/** deflate's best ratio is about 1032:1, so a trailer claiming more than that is corrupt (or a multi-member file). */
const MAX_RATIO = 1032;

/** The size a gzip file's trailer gives (ISIZE, the uncompressed length mod 2^32), bounded by what deflate can reach. */
export function inflatedSize(gz: Buffer): number {
  const isize = gz.length >= 18 ? gz.readUInt32LE(gz.length - 4) : 0;
  return Math.min(isize, gz.length * MAX_RATIO, (1 << 30) - 1);
}

/**
 * Output chunk size for gunzipSync: the trailer's size plus one byte, so zlib inflates into one buffer instead of
 * 16 KB chunks concatenated at the end: measured 25-30% less CPU on delivery files (bench/parse-cpu.ts). Only a
 * hint: a wrong ISIZE costs extra chunks, never a wrong result.
 */
const outputChunk = (gz: Buffer): number => Math.max(16 * 1024, inflatedSize(gz) + 1);

/** gzip is recognised by its magic bytes, whatever the file is called. */
export const isGzip = (buf: Uint8Array): boolean => buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;

export function inflate(buf: Buffer, file: string): Buffer {
  if (isGzip(buf)) {
    try {
      return gunzipSync(buf, { chunkSize: outputChunk(buf) });
    } catch (err) {
      throw new CloudTrailFileError(file, `corrupt gzip (${(err as Error).message})`);
    }
  }
  return buf;
}

export const decode = (buf: Buffer, file: string): string => text(inflate(buf, file));

/** The records of a file's bytes (gzipped or not), large delivery files parsed in pieces (see split.ts). */
export function recordsIn(buf: Buffer, file: string): Extracted {
  return recordsInJson(inflate(buf, file), file);
}

/** `recordsIn` for bytes already inflated. */
export function recordsInJson(json: Buffer, file: string): Extracted {
  const records = splitDeliveryRecords(json);
  if (records && !isInsight(records[0])) return { shape: 'delivery', records, badLines: 0 };
  return extractRecords(text(json), file);
}

/** CloudTrail JSON is almost always ASCII: a latin1 copy is then exact and much cheaper than UTF-8 decoding. */
const text = (buf: Buffer): string => (isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8'));

export function recordsFromBuffer(buf: Buffer, file: string): FileRecords {
  const found = recordsIn(buf, file);
  const records: CloudTrailRecord[] = [];
  const invalid: InvalidRecord[] = [];
  found.records.forEach((parsed, index) => {
    const r = withoutAbsentNulls(parsed);
    const reason = invalidReason(r);
    if (reason) invalid.push({ index, reason });
    else records.push(r as CloudTrailRecord);
  });
  for (let i = 0; i < found.badLines; i++) invalid.push({ index: -1, reason: 'line is not JSON' });
  return { file, shape: found.shape, records, invalid };
}

/** Reads one CloudTrail file of any supported shape (.json, .json.gz, NDJSON, LookupEvents output). */
export async function readCloudTrailFile(file: string): Promise<FileRecords> {
  return recordsFromBuffer(await readFile(file), file);
}

export function readCloudTrailFileSync(file: string): FileRecords {
  return recordsFromBuffer(readFileSync(file), file);
}
