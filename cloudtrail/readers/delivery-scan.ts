import { isAscii } from 'node:buffer';

/**
 * A byte-level reader of S3 delivery files (`{"Records":[{...},...]}`) that takes from each record only the
 * top-level fields the store keeps and steps over the rest (requestParameters, responseElements, tlsDetails...,
 * most of the bytes) without building them: `JSON.parse` of the whole file built every one of those objects and
 * strings, and the collector then freed them (issue #14: the larger part of a cold load's CPU).
 *
 * It is a shortcut, never a second definition: each field's value is exactly what `JSON.parse` gives for it (a
 * string without escapes is the bytes decoded as the JSON.parse path decodes the file; anything else is
 * `JSON.parse` of that value's own text), a repeated key's last value wins as in JSON.parse, and the whole file
 * is checked against JSON's grammar as it is stepped over (strings with raw control characters or bad escapes,
 * numbers, literals, commas, nesting). Whatever it does not handle (another top-level shape or key, a record
 * that is not an object, an escaped key, an Insight file, invalid JSON, a leading byte-order mark) makes it
 * answer undefined, and the caller reads that file with JSON.parse as before.
 */

/** The record fields read here: what `invalidReason` checks and CompactBuilder keeps, and what `isInsight` reads. */
export const SCANNED_FIELDS = [
  'eventTime',
  'eventSource',
  'eventName',
  'eventID',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'recipientAccountId',
  'readOnly',
  'requestID',
  'userIdentity',
  'resources',
  'eventType',
  'eventCategory',
] as const;

/**
 * One record's scanned fields, each as JSON.parse gives it; an absent key is undefined, which every reader of
 * these fields (invalidReason, CompactBuilder) treats as absent. One class, so every record has one shape.
 */
export class ScannedRecord {
  eventTime: unknown = undefined;
  eventSource: unknown = undefined;
  eventName: unknown = undefined;
  eventID: unknown = undefined;
  awsRegion: unknown = undefined;
  sourceIPAddress: unknown = undefined;
  userAgent: unknown = undefined;
  errorCode: unknown = undefined;
  errorMessage: unknown = undefined;
  recipientAccountId: unknown = undefined;
  readOnly: unknown = undefined;
  requestID: unknown = undefined;
  userIdentity: unknown = undefined;
  resources: unknown = undefined;
  eventType: unknown = undefined;
  eventCategory: unknown = undefined;
  /** userIdentity's number in the IdentityTable, when it was an object (the same number is the same identity)... */
  identity: number | undefined = undefined;
  /** ...as long as the table's generation is this one. */
  identityGeneration = 0;
}

/** Stores field number `f` (of SCANNED_FIELDS) with a switch: a computed key made each record a slow dictionary store. */
function set(r: ScannedRecord, f: number, v: unknown): void {
  switch (f) {
    case 0: r.eventTime = v; break;
    case 1: r.eventSource = v; break;
    case 2: r.eventName = v; break;
    case 3: r.eventID = v; break;
    case 4: r.awsRegion = v; break;
    case 5: r.sourceIPAddress = v; break;
    case 6: r.userAgent = v; break;
    case 7: r.errorCode = v; break;
    case 8: r.errorMessage = v; break;
    case 9: r.recipientAccountId = v; break;
    case 10: r.readOnly = v; break;
    case 11: r.requestID = v; break;
    case 12: r.userIdentity = v; r.identity = undefined; break;
    case 13: r.resources = v; break;
    case 14: r.eventType = v; break;
    case 15: r.eventCategory = v; break;
  }
}

/** How a scanned field was written (ScannedFile.kinds). */
export const ABSENT = 0;
/** A string without escapes: its bytes are `[start, end)` inside the quotes. */
export const STRING = 1;
/** A string with escapes, `[start, end)` inside the quotes; its value (JSON.parse's) is in `parsed`. */
export const ESCAPED = 2;
export const NULL_VALUE = 3;
/** Any other value (number, true, false, array, object other than a userIdentity), `[start, end)` its text; its value in `parsed`. */
export const OTHER = 4;
/** A userIdentity object: `start` is its number in the IdentityTable (of generation `identityGeneration`). */
export const IDENTITY = 5;
/**
 * A resources array as CloudTrail writes it: `[]`, or objects whose members are all strings without escapes or
 * null, with no whitespace; `[start, end)` its text. Not parsed by the scan (`value` parses it when asked): the
 * builder writes its JSON from the bytes (resources-text.ts).
 */
export const PLAIN_OBJECTS = 6;
export const NFIELDS = SCANNED_FIELDS.length;

/**
 * One delivery file's records as where each scanned field's value lies in the file's bytes (slot `r * NFIELDS + f`
 * for record r and field f of SCANNED_FIELDS): what the builder makes its columns from without a string or an
 * object per value (issue #14: making the values and interning them was most of the build). Reused from file to
 * file; valid until the next scan into it.
 */
export class ScannedFile {
  count = 0;
  bytes: Buffer = Buffer.alloc(0);
  /** `bytes` as a DataView, to read four bytes at a time. */
  words = new DataView(this.bytes.buffer, this.bytes.byteOffset, 0);
  encoding: 'latin1' | 'utf8' = 'latin1';
  identities!: IdentityTable;
  identityGeneration = 0;
  kinds = new Uint8Array(64 * NFIELDS);
  starts = new Int32Array(64 * NFIELDS);
  ends = new Int32Array(64 * NFIELDS);
  /** JSON.parse's value of ESCAPED and OTHER slots (stale elsewhere). */
  parsed: unknown[] = [];

  /** The text of bytes `[start, end)`, decoded as the JSON.parse path decodes the file. */
  text(start: number, end: number): string {
    const d = this.bytes as unknown as Decoders;
    return this.encoding === 'latin1' ? d.latin1Slice(start, end) : d.utf8Slice(start, end);
  }

  /** Field `f` of record `r` as JSON.parse gives it (undefined when absent). */
  value(r: number, f: number): unknown {
    const slot = r * NFIELDS + f;
    switch (this.kinds[slot]) {
      case STRING:
        return this.text(this.starts[slot], this.ends[slot]);
      case ESCAPED:
      case OTHER:
        return this.parsed[slot];
      case PLAIN_OBJECTS:
        return JSON.parse(this.text(this.starts[slot], this.ends[slot]));
      case NULL_VALUE:
        return null;
      case IDENTITY:
        return this.identities.values[this.starts[slot]];
      default:
        return undefined;
    }
  }

  /** Record `r` as a ScannedRecord (the object path: odd records, and `scanDelivery`). */
  record(r: number): ScannedRecord {
    const out = new ScannedRecord();
    for (let f = 0; f < NFIELDS; f++) if (this.kinds[r * NFIELDS + f] !== ABSENT) set(out, f, this.value(r, f));
    const slot = r * NFIELDS + USER_IDENTITY;
    if (this.kinds[slot] === IDENTITY) {
      out.identity = this.starts[slot];
      out.identityGeneration = this.identityGeneration;
    }
    return out;
  }

  /** Room for record `r` (its slots are absent: `reset` cleared those the last file used). */
  open(r: number): void {
    const need = (r + 1) * NFIELDS;
    if (need > this.kinds.length) {
      const grow = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const next = make(Math.max(need, a.length * 2));
        next.set(a);
        return next;
      };
      this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
      this.starts = grow(this.starts, (n) => new Int32Array(n));
      this.ends = grow(this.ends, (n) => new Int32Array(n));
    }
  }

  /** Every slot absent again, before the next file: one fill per file rather than one per record. */
  reset(): void {
    this.kinds.fill(ABSENT, 0, this.count * NFIELDS);
    this.count = 0;
  }
}

/** Thrown inside the scan for anything it leaves to JSON.parse; never escapes `scanDelivery`. */
class NotHandled extends Error {}
const notHandled = new NotHandled();

const FIELD_BYTES = SCANNED_FIELDS.map((f) => Buffer.from(f, 'latin1'));
/**
 * A key's hash from its length and three of its bytes, not every byte (the keys differ there; a key of another
 * name with the same hash is told apart by `sameBytes`). The scanned names are 7 to 18 bytes long.
 */
const keyHash = (b: Uint8Array, start: number, n: number) => (n << 24) | (b[start + 6] << 16) | (b[start + n - 1] << 8) | b[start + n - 2];
const MIN_KEY = Math.min(...FIELD_BYTES.map((k) => k.length));
const MAX_KEY = Math.max(...FIELD_BYTES.map((k) => k.length));
/** Open-addressed table of the fields' key hashes (slot: hash & SLOTS - 1): a typed-array probe per key instead of a Map lookup. */
const SLOTS = 256;
const SLOT_HASH = new Int32Array(SLOTS);
const SLOT_FIELD = new Int8Array(SLOTS).fill(-1);
FIELD_BYTES.forEach((k, f) => {
  const h = keyHash(k, 0, k.length);
  let s = (h ^ (h >>> 11)) & (SLOTS - 1);
  while (SLOT_FIELD[s] >= 0) {
    if (SLOT_HASH[s] === h) throw new Error(`scanned keys ${SCANNED_FIELDS[SLOT_FIELD[s]]} and ${SCANNED_FIELDS[f]} share a hash`);
    s = (s + 1) & (SLOTS - 1);
  }
  SLOT_HASH[s] = h;
  SLOT_FIELD[s] = f;
});

/** Each name's bytes as little-endian 32-bit words (the tail of 0-3 bytes compared on its own). */
const FIELD_WORDS = FIELD_BYTES.map((k) => Int32Array.from({ length: k.length >> 2 }, (_, j) => k.readInt32LE(4 * j)));

/** The scanned field named by the key bytes `[start, stop)` of `b` (`w` a view of them), or -1. */
function fieldOf(b: Uint8Array, w: DataView, start: number, stop: number): number {
  const n = stop - start;
  if (n < MIN_KEY || n > MAX_KEY) return -1;
  const h = keyHash(b, start, n);
  for (let s = (h ^ (h >>> 11)) & (SLOTS - 1); SLOT_FIELD[s] >= 0; s = (s + 1) & (SLOTS - 1))
    if (SLOT_HASH[s] === h) {
      const f = SLOT_FIELD[s];
      const name = FIELD_BYTES[f];
      if (name.length !== n) return -1;
      // A word at a time: a byte loop over every scanned key was a tenth of the walk.
      const words = FIELD_WORDS[f];
      for (let j = 0; j < words.length; j++) if (w.getInt32(start + 4 * j, true) !== words[j]) return -1;
      for (let k = words.length * 4; k < n; k++) if (b[start + k] !== name[k]) return -1;
      return f;
    }
  return -1;
}
const RECORDS_KEY = Buffer.from('Records', 'latin1');
const USER_IDENTITY = SCANNED_FIELDS.indexOf('userIdentity');
const RESOURCES = SCANNED_FIELDS.indexOf('resources');
const EVENT_TYPE = SCANNED_FIELDS.indexOf('eventType');
const EVENT_CATEGORY = SCANNED_FIELDS.indexOf('eventCategory');

/** Structural bytes. */
export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
const COLON = 0x3a;
export const OPEN_OBJ = 0x7b;
export const CLOSE_OBJ = 0x7d;
export const OPEN_ARR = 0x5b;
export const CLOSE_ARR = 0x5d;

/** JSON's whitespace: space, tab, line feed, carriage return. */
const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;
/** Characters that may follow a backslash (besides `u`). */
const ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPES[c.charCodeAt(0)] = 1;
/** Bytes a string holds as they are: not a quote, a backslash or a control character. */
const PLAIN = new Uint8Array(256).fill(1, 0x20);
PLAIN[0x22] = PLAIN[0x5c] = 0;
/**
 * The first position from `i` whose byte is not PLAIN (past the end: the end). Four bytes at a time while none of
 * them is a quote, a backslash or a control byte (a byte below 0x20, or equal to 0x22 or 0x5c, sets its high bit
 * in the expression below, and no other byte does: the classic has-less / has-zero word tests, exact for whether
 * the word holds one), then byte by byte: strings were most of the walk's time, one table lookup per byte.
 */
function plainRun(b: Uint8Array, w: DataView, i: number): number {
  const last = b.length - 4;
  while (i <= last) {
    const x = w.getInt32(i, true);
    const q = x ^ 0x22222222;
    const s = x ^ 0x5c5c5c5c;
    if ((((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s)) & 0x80808080) break;
    i += 4;
  }
  while (PLAIN[b[i]]) i++;
  return i;
}
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39; // undefined (past the end) is not

/**
 * Parsed userIdentity values, numbered (the number is what a builder keys its principals by): a trail has few
 * identities and each repeats in thousands of records, and at ~500 bytes they were a third of every record. A known
 * identity is recognised by its bytes, without walking or decoding them: a JSON object is self-delimiting, so bytes
 * equal to a complete identity seen before are that identity, ending where it ends. The candidate is the identity
 * last seen with the same hash of its first bytes (up to its first `}` or 96 bytes); a miss is walked, decoded and
 * looked up by its text as before.
 */
export class IdentityTable {
  readonly values: unknown[] = [];
  /** The bytes of each identity, to recognise it again. */
  readonly keys: Buffer[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly byHead = new Map<number, number[]>();
  /** The identity matched or added last (matchLast), or -1. */
  private last = -1;
  /** Numbers are only valid until the table is cleared: a builder keeping them checks the generation. */
  generation = 0;

  /**
   * The number of the identity whose bytes start `b` at `start`, or -1 when none of the last few seen with head
   * hash `head` is there. Several per head: sessions of one role differ only after the first 96 bytes (their
   * access key), and with one candidate per head a trail alternating between them walked one record in nine.
   */
  match(b: Buffer, start: number, head: number): number {
    const list = this.byHead.get(head);
    if (list === undefined) return -1;
    for (let c = 0; c < list.length; c++) {
      const k = list[c];
      if (this.at(b, start, k)) {
        // Most recent first: runs of one identity find it at once.
        if (c > 0) {
          list[c] = list[0];
          list[0] = k;
        }
        return (this.last = k);
      }
    }
    return -1;
  }

  /**
   * The identity matched or added last, when its bytes start `b` at `start`, else -1: half the records of a
   * delivery file repeat the identity of the one before, and this skips hashing their head.
   */
  matchLast(b: Buffer, start: number): number {
    const k = this.last;
    return k >= 0 && this.at(b, start, k) ? k : -1;
  }

  /** Whether identity `k`'s bytes start `b` at `start`. */
  private at(b: Buffer, start: number, k: number): boolean {
    const key = this.keys[k];
    const n = key.length;
    return start + n <= b.length && b.compare(key, 0, n, start, start + n) === 0;
  }

  /**
   * Empties a full table, before a file is scanned (never during one: the file's slots hold numbers until it is
   * built), so a pathological trail with an identity per record cannot grow it without end.
   */
  bound(): void {
    if (this.values.length < MAX_IDENTITIES) return;
    this.values.length = this.keys.length = 0;
    this.last = -1;
    this.numbers.clear();
    this.byHead.clear();
    this.generation++;
  }

  /** The number of the identity `text` (the bytes `b[start, stop)` decoded), parsed when new. */
  lookup(text: string, b: Buffer, start: number, stop: number, head: number): number {
    let k = this.numbers.get(text);
    if (k === undefined) {
      k = this.values.length;
      this.values.push(JSON.parse(text));
      this.keys.push(Buffer.from(b.subarray(start, stop)));
      this.numbers.set(text, k);
    }
    this.last = k;
    const list = this.byHead.get(head);
    if (!list) this.byHead.set(head, [k]);
    else if (!list.includes(k)) {
      if (list.length >= HEAD_CANDIDATES) list.pop();
      list.unshift(k);
    }
    return k;
  }
}

/** Identity table bound (IdentityTable.bound). */
const MAX_IDENTITIES = 50_000;
/** Identities tried per head hash before walking the bytes. */
const HEAD_CANDIDATES = 8;

/**
 * Reads the records of one delivery file into `out` (where each scanned field lies), or answers false for the
 * JSON.parse path. `identities` is shared by the scans of many files; the caller owns it.
 */
export function scanDeliveryFields(json: Buffer, identities: IdentityTable, out: ScannedFile): boolean {
  // As the JSON.parse path decodes: a latin1 copy is exact for ASCII (split.ts, file.ts).
  encoding = isAscii(json) ? 'latin1' : 'utf8';
  table = identities;
  sf = out;
  out.bytes = json;
  out.encoding = encoding;
  out.identities = identities;
  out.reset();
  identities.bound();
  out.identityGeneration = identities.generation;
  try {
    out.words = new DataView(json.buffer, json.byteOffset, json.length);
    file(json, out.words);
    return true;
  } catch (err) {
    // A stack overflow from absurd nesting is not handled either, nor a value JSON.parse refuses after the walk
    // accepted it (it should not happen; if it does, that file's answer is still JSON.parse's own).
    if (err === notHandled || err instanceof RangeError || err instanceof SyntaxError) return false;
    throw err;
  }
}

/** The records of one delivery file with their scanned fields as values, or undefined for the JSON.parse path. */
export function scanDelivery(json: Buffer, identities: IdentityTable): ScannedRecord[] | undefined {
  const out = new ScannedFile();
  if (!scanDeliveryFields(json, identities, out)) return undefined;
  return Array.from({ length: out.count }, (_, r) => out.record(r));
}

// The scan's state for the file being read. The hot loops take the bytes as an argument instead (a module-level
// variable is reloaded, with its typed array's base and length, at every read in a loop).
let encoding: 'latin1' | 'utf8' = 'latin1';
let table: IdentityTable;
let sf: ScannedFile;
/** Set by `string()` when the string just read had a backslash (reset by its caller). */
let escaped = false;

/** Buffer's own decoders, without toString's argument checks (bounds are the scan's). */
interface Decoders {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}
const text = (b: Buffer, start: number, stop: number): string =>
  encoding === 'latin1' ? (b as unknown as Decoders).latin1Slice(start, stop) : (b as unknown as Decoders).utf8Slice(start, stop);

/** The first position from `i` that is not whitespace (reading past the end gives undefined, never whitespace). */
function ws(b: Uint8Array, i: number): number {
  while (WS[b[i]]) i++;
  return i;
}

function expect(b: Uint8Array, i: number, c: number): number {
  if (b[i] !== c) throw notHandled;
  return i + 1;
}

function file(b: Buffer, w: DataView): void {
  const end = b.length;
  let i = expect(b, ws(b, 0), OPEN_OBJ);
  // Exactly one key, "Records": other top-level keys are left to the JSON.parse path.
  i = expect(b, ws(b, i), QUOTE);
  const keyStart = i;
  escaped = false;
  i = string(b, w, i);
  if (escaped || !sameBytes(b, RECORDS_KEY, keyStart, i - 1)) throw notHandled;
  i = expect(b, ws(b, expect(b, ws(b, i), COLON)), OPEN_ARR);
  i = ws(b, i);
  if (b[i] === CLOSE_ARR) i++;
  else {
    for (let r = 0; ; r++) {
      i = ws(b, i);
      if (b[i] !== OPEN_OBJ) throw notHandled;
      sf.open(r);
      // Counted before it is read, so that a record left half read is cleared by the next `reset` too.
      sf.count = r + 1;
      i = ws(b, record(b, w, i, r * NFIELDS));
      const c = b[i++];
      if (c === CLOSE_ARR) break;
      if (c !== COMMA) throw notHandled;
    }
  }
  i = ws(b, expect(b, ws(b, i), CLOSE_OBJ));
  if (i !== end) throw notHandled;
  // Insight deliveries are recognised and skipped by the JSON.parse path (shapes.ts isInsight).
  if (sf.count && (sf.value(0, EVENT_TYPE) === 'AwsCloudTrailInsight' || sf.value(0, EVENT_CATEGORY) === 'Insight')) throw notHandled;
}

function sameBytes(b: Uint8Array, name: Uint8Array, start: number, stop: number): boolean {
  if (stop - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
  return true;
}

/**
 * The record object at `i` (its `{`) into the slots from `at`: where the scanned fields lie, the rest stepped over.
 * Whitespace is looked for only where a token is not found: delivery files have none between tokens.
 */
function record(b: Buffer, w: DataView, i: number, at: number): number {
  const { kinds, starts, ends } = sf;
  let end = 0;
  i++;
  if (WS[b[i]]) i = ws(b, i);
  if (b[i] === CLOSE_OBJ) return i + 1;
  for (;;) {
    // The key, and the index of the scanned field it names (or -1).
    if (b[i] !== QUOTE) i = expect(b, ws(b, i), QUOTE);
    else i++;
    const keyStart = i;
    i = plainRun(b, w, i);
    let c = b[i];
    // An escaped key could spell a scanned field's name: left to JSON.parse. So are raw control bytes and the end.
    if (c !== QUOTE) throw notHandled;
    const keyEnd = i++;
    if (b[i] !== COLON) i = expect(b, ws(b, i), COLON);
    else i++;
    if (WS[b[i]]) i = ws(b, i);
    const field = fieldOf(b, w, keyStart, keyEnd);
    const start = i;
    c = b[i];
    if (field < 0) i = skip(b, w, i);
    else {
      const slot = at + field;
      if (c === QUOTE) {
        escaped = false;
        i = string(b, w, i + 1);
        starts[slot] = start + 1;
        ends[slot] = i - 1;
        if (escaped) {
          kinds[slot] = ESCAPED;
          sf.parsed[slot] = JSON.parse(text(b, start, i));
        } else kinds[slot] = STRING;
      } else if (field === USER_IDENTITY && c === OPEN_OBJ) {
        let k = table.matchLast(b, start);
        if (k < 0) {
          const h = headHash(b, start);
          k = table.match(b, start, h);
          if (k < 0) {
            i = skip(b, w, i);
            k = table.lookup(text(b, start, i), b, start, i, h);
          }
        }
        i = start + table.keys[k].length;
        kinds[slot] = IDENTITY;
        starts[slot] = k;
      } else if (field === RESOURCES && c === OPEN_ARR && (end = plainObjects(b, w, i)) > 0) {
        // Neither walked as any value nor parsed: the builder writes the resources' JSON from these bytes.
        i = end;
        starts[slot] = start;
        ends[slot] = i;
        kinds[slot] = PLAIN_OBJECTS;
      } else {
        i = skip(b, w, i);
        starts[slot] = start;
        ends[slot] = i;
        if (c === 0x6e) kinds[slot] = NULL_VALUE;
        else {
          kinds[slot] = OTHER;
          // true and false are read by their first byte (skip() checked the word); the rest by JSON.parse.
          sf.parsed[slot] = c === 0x74 ? true : c === 0x66 ? false : JSON.parse(text(b, start, i));
        }
      }
    }
    c = b[i];
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c === CLOSE_OBJ) return i + 1;
    i = ws(b, i);
    c = b[i++];
    if (c === CLOSE_OBJ) return i;
    if (c !== COMMA) throw notHandled;
  }
}

/**
 * The position after the array at `i` (its `[`) when it is PLAIN_OBJECTS' shape, else -1 (the caller then walks it
 * as any value). What it accepts is valid JSON: strings are plain runs between quotes, and every other byte is
 * checked here.
 */
function plainObjects(b: Uint8Array, w: DataView, i: number): number {
  i++;
  if (b[i] === CLOSE_ARR) return i + 1;
  for (;;) {
    if (b[i] !== OPEN_OBJ) return -1;
    i++;
    if (b[i] === CLOSE_OBJ) i++;
    else
      for (;;) {
        // A key, then a string or null.
        if (b[i] !== QUOTE) return -1;
        i = plainRun(b, w, i + 1);
        if (b[i] !== QUOTE || b[i + 1] !== COLON) return -1;
        i += 2;
        const c = b[i];
        if (c === QUOTE) {
          i = plainRun(b, w, i + 1);
          if (b[i] !== QUOTE) return -1;
          i++;
        } else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) i += 4;
        else return -1;
        const d = b[i++];
        if (d === CLOSE_OBJ) break;
        if (d !== COMMA) return -1;
      }
    const e = b[i++];
    if (e === CLOSE_ARR) return i;
    if (e !== COMMA) return -1;
  }
}

/** Hash of the bytes from `start` to the first `}` or 96 bytes, whichever comes first: a function of an identity's own bytes. */
function headHash(b: Buffer, start: number): number {
  const stop = Math.min(b.length, start + 96);
  let h = 0;
  for (let i = start; i < stop; i++) {
    const c = b[i];
    h = (Math.imul(h, 31) + c) | 0;
    if (c === CLOSE_OBJ) break;
  }
  return h;
}

/** The rest of a string whose opening quote is before `i`; the position after its closing quote. Sets `escaped` on a backslash. */
function string(b: Uint8Array, w: DataView, i: number): number {
  for (;;) {
    i = plainRun(b, w, i);
    const c = b[i];
    if (c === QUOTE) return i + 1;
    // JSON strings cannot hold raw control characters; running off the end (undefined) is the same refusal.
    if (c !== BACKSLASH) throw notHandled;
    escaped = true;
    const e = b[i + 1];
    if (ESCAPES[e]) i += 2;
    else if (e === 0x75 && HEX[b[i + 2]] && HEX[b[i + 3]] && HEX[b[i + 4]] && HEX[b[i + 5]]) i += 6;
    else throw notHandled;
  }
}

/** Open containers of the value `skip` is in: 1 object, 2 array. */
const IN_OBJECT = 1;
const IN_ARRAY = 2;
/** Deeper values are left to JSON.parse (it nests as deep as it likes). */
const MAX_DEPTH = 512;
const open = new Uint8Array(MAX_DEPTH);

/**
 * Steps over the JSON value at `i`, checking its grammar; the position after it. One loop with its own stack of
 * open containers, not a call per value: most of a record's bytes are values stepped over this way.
 */
function skip(b: Uint8Array, w: DataView, i: number): number {
  let depth = 0;
  let c = b[i];
  for (;;) {
    // At a value's first byte, `c`.
    if (c === QUOTE) i = string(b, w, i + 1);
    else if (c === OPEN_OBJ) {
      c = b[++i];
      if (WS[c]) c = b[(i = ws(b, i))];
      if (c === CLOSE_OBJ) i++;
      else {
        if (depth === MAX_DEPTH) throw notHandled;
        open[depth++] = IN_OBJECT;
        c = b[(i = member(b, w, i))];
        continue;
      }
    } else if (c === OPEN_ARR) {
      c = b[++i];
      if (WS[c]) c = b[(i = ws(b, i))];
      if (c === CLOSE_ARR) i++;
      else {
        if (depth === MAX_DEPTH) throw notHandled;
        open[depth++] = IN_ARRAY;
        continue;
      }
    } else if (c === 0x6e) {
      if (b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) throw notHandled;
      i += 4;
    } else if (c === 0x74) {
      if (b[i + 1] !== 0x72 || b[i + 2] !== 0x75 || b[i + 3] !== 0x65) throw notHandled;
      i += 4;
    } else if (c === 0x66) {
      if (b[i + 1] !== 0x61 || b[i + 2] !== 0x6c || b[i + 3] !== 0x73 || b[i + 4] !== 0x65) throw notHandled;
      i += 5;
    } else i = number(b, i);
    // After a value: close what ends here, up to the next value (or the end of the outermost one).
    for (;;) {
      if (depth === 0) return i;
      c = b[i];
      if (WS[c]) c = b[(i = ws(b, i))];
      if (c === COMMA) {
        c = b[++i];
        if (open[depth - 1] === IN_OBJECT) c = b[(i = member(b, w, i))];
        else if (WS[c]) c = b[(i = ws(b, i))];
        break;
      }
      if (c !== (open[depth - 1] === IN_OBJECT ? CLOSE_OBJ : CLOSE_ARR)) throw notHandled;
      i++;
      depth--;
    }
  }
}

/** An object member's `"key":` (whitespace allowed around it) from `i`; the position of its value. */
function member(b: Uint8Array, w: DataView, i: number): number {
  if (b[i] !== QUOTE) i = expect(b, ws(b, i), QUOTE);
  else i++;
  i = string(b, w, i);
  if (b[i] !== COLON) i = expect(b, ws(b, i), COLON);
  else i++;
  return WS[b[i]] ? ws(b, i) : i;
}

/** JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function number(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else throw notHandled;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) throw notHandled;
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) throw notHandled;
    while (isDigit(b[i])) i++;
  }
  return i;
}
