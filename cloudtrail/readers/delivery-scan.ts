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

  /** Room for record `r`, its slots reset to absent. */
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
    this.kinds.fill(ABSENT, r * NFIELDS, need);
  }
}

/** Thrown inside the scan for anything it leaves to JSON.parse; never escapes `scanDelivery`. */
class NotHandled extends Error {}
const notHandled = new NotHandled();

const FIELD_BYTES = SCANNED_FIELDS.map((f) => Buffer.from(f, 'latin1'));
const hashOf = (key: Buffer) => {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key[i]) | 0;
  return h;
};
/** Open-addressed table of the fields' key hashes (slot: hash & SLOTS - 1): a typed-array probe per key instead of a Map lookup. */
const SLOTS = 256;
const SLOT_HASH = new Int32Array(SLOTS);
const SLOT_FIELD = new Int8Array(SLOTS).fill(-1);
FIELD_BYTES.forEach((k, f) => {
  const h = hashOf(k);
  let s = h & (SLOTS - 1);
  while (SLOT_FIELD[s] >= 0) s = (s + 1) & (SLOTS - 1);
  SLOT_HASH[s] = h;
  SLOT_FIELD[s] = f;
});

/** The field whose key hash is `h` (then to be confirmed byte by byte), or -1. */
function fieldOf(h: number): number {
  for (let s = h & (SLOTS - 1); SLOT_FIELD[s] >= 0; s = (s + 1) & (SLOTS - 1)) if (SLOT_HASH[s] === h) return SLOT_FIELD[s];
  return -1;
}
const RECORDS_KEY = Buffer.from('Records', 'latin1');
const USER_IDENTITY = SCANNED_FIELDS.indexOf('userIdentity');
const EVENT_TYPE = SCANNED_FIELDS.indexOf('eventType');
const EVENT_CATEGORY = SCANNED_FIELDS.indexOf('eventCategory');

/** Structural bytes. */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;

/** JSON's whitespace: space, tab, line feed, carriage return. */
const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;
/** Characters that may follow a backslash (besides `u`). */
const ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPES[c.charCodeAt(0)] = 1;
/** Bytes a string holds as they are: not a quote, a backslash or a control character. */
const PLAIN = new Uint8Array(256).fill(1, 0x20);
PLAIN[0x22] = PLAIN[0x5c] = 0;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

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
  /** Numbers are only valid until the table is cleared: a builder keeping them checks the generation. */
  generation = 0;

  /**
   * The number of the identity whose bytes start `b` at `start`, or -1 when none of the last few seen with head
   * hash `head` is there. Several per head: sessions of one role differ only after the first 96 bytes (their
   * access key), and with one candidate per head a trail alternating between them walked one record in nine.
   */
  match(b: Buffer, start: number, stop: number, head: number): number {
    const list = this.byHead.get(head);
    if (list === undefined) return -1;
    for (let c = 0; c < list.length; c++) {
      const k = list[c];
      const key = this.keys[k];
      const n = key.length;
      if (start + n <= stop && b.compare(key, 0, n, start, start + n) === 0) {
        // Most recent first: runs of one identity find it at once.
        if (c > 0) {
          list[c] = list[0];
          list[0] = k;
        }
        return k;
      }
    }
    return -1;
  }

  /**
   * Empties a full table, before a file is scanned (never during one: the file's slots hold numbers until it is
   * built), so a pathological trail with an identity per record cannot grow it without end.
   */
  bound(): void {
    if (this.values.length < MAX_IDENTITIES) return;
    this.values.length = this.keys.length = 0;
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
  b = json;
  end = json.length;
  // As the JSON.parse path decodes: a latin1 copy is exact for ASCII (split.ts, file.ts).
  encoding = isAscii(json) ? 'latin1' : 'utf8';
  table = identities;
  sf = out;
  out.bytes = json;
  out.encoding = encoding;
  out.identities = identities;
  out.count = 0;
  identities.bound();
  out.identityGeneration = identities.generation;
  try {
    file();
    return true;
  } catch (err) {
    // A stack overflow from absurd nesting is not handled either, nor a value JSON.parse refuses after the walk
    // accepted it (it should not happen; if it does, that file's answer is still JSON.parse's own).
    if (err === notHandled || err instanceof RangeError || err instanceof SyntaxError) return false;
    throw err;
  } finally {
    b = EMPTY;
  }
}

/** The records of one delivery file with their scanned fields as values, or undefined for the JSON.parse path. */
export function scanDelivery(json: Buffer, identities: IdentityTable): ScannedRecord[] | undefined {
  const out = new ScannedFile();
  if (!scanDeliveryFields(json, identities, out)) return undefined;
  return Array.from({ length: out.count }, (_, r) => out.record(r));
}

// The scan's state, module-level so the hot loops read it without a `this` (measured faster than a class).
const EMPTY = Buffer.alloc(0);
let b: Buffer = EMPTY;
let end = 0;
let encoding: 'latin1' | 'utf8' = 'latin1';
let table: IdentityTable;
let sf: ScannedFile;
/** Set by `string()`: whether the string just read had a backslash. */
let escaped = false;

/** Buffer's own decoders, without toString's argument checks (bounds are the scan's). */
interface Decoders {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}
const text = (start: number, stop: number): string =>
  encoding === 'latin1' ? (b as unknown as Decoders).latin1Slice(start, stop) : (b as unknown as Decoders).utf8Slice(start, stop);

function ws(i: number): number {
  while (i < end && WS[b[i]]) i++;
  return i;
}

function expect(i: number, c: number): number {
  if (b[i] !== c) throw notHandled;
  return i + 1;
}

function file(): void {
  let i = expect(ws(0), OPEN_OBJ);
  // Exactly one key, "Records": other top-level keys are left to the JSON.parse path.
  i = expect(ws(i), QUOTE);
  const keyStart = i;
  i = string(i);
  if (escaped || !sameBytes(RECORDS_KEY, keyStart, i - 1)) throw notHandled;
  i = expect(ws(expect(ws(i), COLON)), OPEN_ARR);
  i = ws(i);
  if (b[i] === CLOSE_ARR) i++;
  else {
    for (let r = 0; ; r++) {
      i = ws(i);
      if (b[i] !== OPEN_OBJ) throw notHandled;
      sf.open(r);
      i = ws(record(i, r * NFIELDS));
      sf.count = r + 1;
      const c = b[i++];
      if (c === CLOSE_ARR) break;
      if (c !== COMMA) throw notHandled;
    }
  }
  i = ws(expect(ws(i), CLOSE_OBJ));
  if (i !== end) throw notHandled;
  // Insight deliveries are recognised and skipped by the JSON.parse path (shapes.ts isInsight).
  if (sf.count && (sf.value(0, EVENT_TYPE) === 'AwsCloudTrailInsight' || sf.value(0, EVENT_CATEGORY) === 'Insight')) throw notHandled;
}

function sameBytes(name: Buffer, start: number, stop: number): boolean {
  if (stop - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + k] !== name[k]) return false;
  return true;
}

/** The record object at `i` (its `{`) into the slots from `at`: where the scanned fields lie, the rest stepped over. */
function record(i: number, at: number): number {
  i = ws(i + 1);
  if (b[i] === CLOSE_OBJ) return i + 1;
  for (;;) {
    i = ws(i);
    // The key, and the index of the scanned field it names (or -1).
    i = expect(i, QUOTE);
    const keyStart = i;
    let h = 0;
    for (;;) {
      const c = b[i];
      if (c === QUOTE) break;
      // An escaped key could spell a scanned field's name: left to JSON.parse. Raw control bytes are invalid.
      if (c === BACKSLASH || c < 0x20 || i >= end) throw notHandled;
      h = (Math.imul(h, 31) + c) | 0;
      i++;
    }
    const keyEnd = i;
    i = ws(expect(ws(i + 1), COLON));
    let field = fieldOf(h);
    if (field >= 0 && !sameBytes(FIELD_BYTES[field], keyStart, keyEnd)) field = -1;
    const start = i;
    if (field < 0) i = value(i);
    else {
      const slot = at + field;
      const c = b[start];
      if (c === QUOTE) {
        i = string(i + 1);
        sf.starts[slot] = start + 1;
        sf.ends[slot] = i - 1;
        if (escaped) {
          sf.kinds[slot] = ESCAPED;
          sf.parsed[slot] = JSON.parse(text(start, i));
        } else sf.kinds[slot] = STRING;
      } else if (field === USER_IDENTITY && c === OPEN_OBJ) {
        const h = headHash(start);
        let k = table.match(b, start, end, h);
        if (k >= 0) i = start + table.keys[k].length;
        else {
          i = value(i);
          k = table.lookup(text(start, i), b, start, i, h);
        }
        sf.kinds[slot] = IDENTITY;
        sf.starts[slot] = k;
      } else {
        i = value(i);
        sf.starts[slot] = start;
        sf.ends[slot] = i;
        if (c === 0x6e) sf.kinds[slot] = NULL_VALUE;
        else {
          sf.kinds[slot] = OTHER;
          // true and false are read by their first byte (value() checked the word); the rest by JSON.parse.
          sf.parsed[slot] = c === 0x74 ? true : c === 0x66 ? false : JSON.parse(text(start, i));
        }
      }
    }
    i = ws(i);
    const c = b[i++];
    if (c === CLOSE_OBJ) return i;
    if (c !== COMMA) throw notHandled;
  }
}

/** Hash of the bytes from `start` to the first `}` or 96 bytes, whichever comes first: a function of an identity's own bytes. */
function headHash(start: number): number {
  const stop = Math.min(end, start + 96);
  let h = 0;
  for (let i = start; i < stop; i++) {
    const c = b[i];
    h = (Math.imul(h, 31) + c) | 0;
    if (c === CLOSE_OBJ) break;
  }
  return h;
}

/** The rest of a string whose opening quote is before `i`; the position after its closing quote. */
function string(i: number): number {
  escaped = false;
  for (;;) {
    while (PLAIN[b[i]]) i++;
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      escaped = true;
      const e = b[i + 1];
      if (ESCAPES[e]) i += 2;
      else if (e === 0x75 && HEX[b[i + 2]] && HEX[b[i + 3]] && HEX[b[i + 4]] && HEX[b[i + 5]]) i += 6;
      else throw notHandled;
      continue;
    }
    // JSON strings cannot hold raw control characters; running off the end is the same refusal.
    if (c < 0x20 || i >= end) throw notHandled;
    i++;
  }
}

/** Steps over any JSON value at `i`, checking its grammar; the position after it. */
function value(i: number): number {
  const c = b[i];
  if (c === QUOTE) return string(i + 1);
  if (c === OPEN_OBJ) {
    i = ws(i + 1);
    if (b[i] === CLOSE_OBJ) return i + 1;
    for (;;) {
      i = ws(value(ws(expect(ws(string(expect(ws(i), QUOTE))), COLON))));
      const d = b[i++];
      if (d === CLOSE_OBJ) return i;
      if (d !== COMMA) throw notHandled;
    }
  }
  if (c === OPEN_ARR) {
    i = ws(i + 1);
    if (b[i] === CLOSE_ARR) return i + 1;
    for (;;) {
      i = ws(value(ws(i)));
      const d = b[i++];
      if (d === CLOSE_ARR) return i;
      if (d !== COMMA) throw notHandled;
    }
  }
  if (c === 0x74) return literal(i, TRUE);
  if (c === 0x66) return literal(i, FALSE);
  if (c === 0x6e) return literal(i, NULL);
  return number(i);
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function literal(i: number, word: Buffer): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) throw notHandled;
  return i + word.length;
}

/** JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function number(i: number): number {
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
