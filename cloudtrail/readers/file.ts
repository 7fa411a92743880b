import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { withoutAbsentNulls, type CloudTrailRecord } from '../record.ts';
import { CloudTrailFileError, extractRecords, invalidReason, type Shape, type SkippedShape } from './shapes.ts';

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

/** gzip is recognised by its magic bytes, whatever the file is called. */
export function decode(buf: Buffer, file: string): string {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return text(gunzipSync(buf));
    } catch (err) {
      throw new CloudTrailFileError(file, `corrupt gzip (${(err as Error).message})`);
    }
  }
  return text(buf);
}

/** CloudTrail JSON is almost always ASCII: a latin1 copy is then exact and much cheaper than UTF-8 decoding. */
const text = (buf: Buffer): string => (isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8'));

export function recordsFromBuffer(buf: Buffer, file: string): FileRecords {
  const found = extractRecords(decode(buf, file), file);
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
