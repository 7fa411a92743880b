import { isAscii } from 'node:buffer';

/**
 * Parses a large S3 delivery file `{"Records":[...]}` in pieces of whole records, each well under V8's
 * large-object threshold (128 KB). One string per file of a few hundred KB lands in large-object space, which
 * V8 maps and unmaps per allocation and counts towards full collections: measured, converting those buffers to
 * strings cost more CPU than gunzip and JSON.parse together (bench/load.ts, issue #14). Small pieces live and die
 * in the young generation instead.
 *
 * Pieces are cut before `},{"eventVersion":`, the start of every CloudTrail record. That byte sequence cannot
 * occur inside a JSON string (its quotes would be escaped); if it occurs deeper in a record (a nested object with
 * that key) the pieces around it do not balance, JSON.parse refuses one, and the caller parses the whole file as
 * before. So the result is either exactly the file's Records or undefined, never a wrong split.
 */

/** Below V8's large-object threshold with room for the brackets around a piece. */
const PIECE_BYTES = 96 * 1024;
const OPEN = Buffer.from('{"Records":[');
const NEXT_RECORD = Buffer.from('},{"eventVersion":');

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** The Records of a delivery file's JSON bytes, parsed piece by piece; undefined when the file is small or not in that exact shape. */
export function splitDeliveryRecords(json: Buffer, pieceBytes = PIECE_BYTES): unknown[] | undefined {
  if (json.length <= pieceBytes || json.compare(OPEN, 0, OPEN.length, 0, OPEN.length) !== 0) return undefined;
  let end = json.length;
  while (end > 0 && isSpace(json[end - 1])) end--;
  // The body runs from the first record's `{` to just before the closing `]}`.
  if (json[end - 1] !== 0x7d || json[end - 2] !== 0x5d) return undefined;
  const bodyEnd = end - 2;
  // Cuts fall on ASCII bytes, so UTF-8 pieces never split a character.
  const encoding = isAscii(json) ? 'latin1' : 'utf8';
  const records: unknown[] = [];
  let start = OPEN.length;
  if (json[start] === 0x5d) return start === bodyEnd ? records : undefined;
  while (start < bodyEnd) {
    let cut = bodyEnd;
    if (bodyEnd - start > pieceBytes) {
      const before = json.lastIndexOf(NEXT_RECORD, start + pieceBytes);
      const at = before > start ? before : json.indexOf(NEXT_RECORD, start + 1);
      // `at` is the closing `}` of the piece's last record.
      if (at >= 0 && at < bodyEnd) cut = at + 1;
    }
    let piece: unknown;
    try {
      piece = JSON.parse(`[${json.toString(encoding, start, cut)}]`);
    } catch {
      return undefined;
    }
    for (const r of piece as unknown[]) records.push(r);
    // Skip the comma between the pieces.
    start = cut + 1;
  }
  return records;
}
