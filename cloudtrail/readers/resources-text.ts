import { CLOSE_ARR, CLOSE_OBJ, COMMA, OPEN_ARR, OPEN_OBJ, QUOTE } from './delivery-scan.ts';
import type { TextColumnBuilder } from './text-column.ts';

/**
 * The JSON the store keeps of an event's resources (compact.ts resourcesText: `[{"arn":…,"type":…,"accountId":…}]`,
 * ARN before arn, null and absent fields left out, '' for none), written from the bytes of a resources array the
 * scan found in CloudTrail's plain shape (delivery-scan.ts PLAIN_OBJECTS) in an ASCII file. Parsing each array,
 * copying its objects without nulls and serialising them again was most of what the build allocated per event
 * (issue #14); here the values' bytes are copied as they are, which is what JSON.stringify writes for strings
 * without escapes, quotes, backslashes or control bytes.
 */
export class PlainResourcesWriter {
  private out = new Uint8Array(1024);
  private n = 0;

  /** Adds to `col` the JSON of the PLAIN_OBJECTS array written as bytes `[start, end)` of `b`. */
  write(b: Uint8Array, start: number, end: number, col: TextColumnBuilder): void {
    let i = start + 1;
    if (b[i] === CLOSE_ARR) return col.add('');
    // At most the array's own length plus the keys' renaming (`ARN` to `arn`) and quotes per member: room for twice it.
    if (this.out.length < 2 * (end - start) + 64) this.out = new Uint8Array(2 * (end - start) + 64);
    this.n = 0;
    this.byte(OPEN_ARR);
    for (;;) {
      // At an object's `{`. Each field: its value's [start, end), or -1 when absent or null (the last one written wins).
      i++;
      let upperStart = -1;
      let upperEnd = -1;
      let lowerStart = -1;
      let lowerEnd = -1;
      let typeStart = -1;
      let typeEnd = -1;
      let accountStart = -1;
      let accountEnd = -1;
      if (b[i] === CLOSE_OBJ) i++;
      else
        for (;;) {
          const keyStart = i + 1;
          i = quote(b, keyStart);
          const key = keyOf(b, keyStart, i);
          i += 2;
          let valueStart = -1;
          let valueEnd = -1;
          if (b[i] === QUOTE) {
            valueStart = i + 1;
            i = valueEnd = quote(b, valueStart);
            i++;
          } else i += 4;
          if (key === ARN_UPPER) {
            upperStart = valueStart;
            upperEnd = valueEnd;
          } else if (key === ARN_LOWER) {
            lowerStart = valueStart;
            lowerEnd = valueEnd;
          } else if (key === TYPE) {
            typeStart = valueStart;
            typeEnd = valueEnd;
          } else if (key === ACCOUNT_ID) {
            accountStart = valueStart;
            accountEnd = valueEnd;
          }
          if (b[i++] === CLOSE_OBJ) break;
        }
      this.byte(OPEN_OBJ);
      let first = true;
      if (upperStart >= 0 || lowerStart >= 0) {
        this.field(NAME_ARN, b, upperStart >= 0 ? upperStart : lowerStart, upperStart >= 0 ? upperEnd : lowerEnd);
        first = false;
      }
      if (typeStart >= 0) {
        if (!first) this.byte(COMMA);
        this.field(NAME_TYPE, b, typeStart, typeEnd);
        first = false;
      }
      if (accountStart >= 0) {
        if (!first) this.byte(COMMA);
        this.field(NAME_ACCOUNT_ID, b, accountStart, accountEnd);
      }
      this.byte(CLOSE_OBJ);
      if (b[i++] === CLOSE_ARR) break;
      this.byte(COMMA);
    }
    this.byte(CLOSE_ARR);
    col.addBytes(this.out, 0, this.n);
  }

  private byte(c: number): void {
    this.out[this.n++] = c;
  }

  /** `"name":"value"`, the name given with its quotes and colon. */
  private field(name: Uint8Array, b: Uint8Array, start: number, end: number): void {
    const out = this.out;
    let n = this.n;
    for (let k = 0; k < name.length; k++) out[n++] = name[k];
    for (let k = start; k < end; k++) out[n++] = b[k];
    out[n++] = QUOTE;
    this.n = n;
  }
}

/** The position of the next quote from `i` (strings of a PLAIN_OBJECTS array hold none escaped). */
function quote(b: Uint8Array, i: number): number {
  while (b[i] !== QUOTE) i++;
  return i;
}

const OTHER_KEY = 0;
const ARN_UPPER = 1;
const ARN_LOWER = 2;
const TYPE = 3;
const ACCOUNT_ID = 4;
const ACCOUNT_ID_BYTES = Buffer.from('accountId', 'latin1');

/** Which of the fields read here the key bytes `[start, end)` name. */
function keyOf(b: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 3) {
    const c = b[start];
    if ((c === 0x41 && b[start + 1] === 0x52 && b[start + 2] === 0x4e) || (c === 0x61 && b[start + 1] === 0x72 && b[start + 2] === 0x6e)) return c === 0x41 ? ARN_UPPER : ARN_LOWER;
    return OTHER_KEY;
  }
  if (n === 4) return b[start] === 0x74 && b[start + 1] === 0x79 && b[start + 2] === 0x70 && b[start + 3] === 0x65 ? TYPE : OTHER_KEY;
  if (n === 9) {
    for (let k = 0; k < 9; k++) if (b[start + k] !== ACCOUNT_ID_BYTES[k]) return OTHER_KEY;
    return ACCOUNT_ID;
  }
  return OTHER_KEY;
}

const NAME_ARN = Buffer.from('"arn":"', 'latin1');
const NAME_TYPE = Buffer.from('"type":"', 'latin1');
const NAME_ACCOUNT_ID = Buffer.from('"accountId":"', 'latin1');
