import { normalisePrincipal } from '../event.ts';
import type { CloudTrailRecord } from '../record.ts';
import { RESOURCE_NULLS, USER_IDENTITY_NULLS, withoutAbsentNulls } from '../record-nulls.ts';
import { recordsInJson } from './file.ts';
import { FileBytes } from './file-bytes.ts';
import { ESCAPED, IDENTITY, IdentityTable, NFIELDS, NULL_VALUE, OTHER, PLAIN_OBJECTS, SCANNED_FIELDS, STRING, ScannedFile, ScannedRecord, scanDeliveryFields } from './delivery-scan.ts';
import { PlainResourcesWriter } from './resources-text.ts';
import { ByteInterner } from './byte-intern.ts';
import { eventTime, eventTimeAt } from './event-time.ts';
import { IdColumnBuilder, type IdColumn } from './event-ids.ts';
import { Growing, TextColumnBuilder, permuteRange, type TextColumn } from './text-column.ts';
import { rangeOrder } from './run-order.ts';
import type { StringIds } from './columns.ts';
import { CloudTrailFileError, invalidReason, type Shape, type SkippedShape } from './shapes.ts';

/**
 * Compact, transferable result of parsing a set of files: one string table and typed columns,
 * so a worker can hand a million events to the main thread without cloning a million objects.
 */
export const COLUMNS = ['source', 'name', 'region', 'account', 'principal', 'sourceIp', 'userAgent', 'errorCode', 'errorMessage'] as const;
export const NCOL = COLUMNS.length;
/** Position of each column in a part's string-id columns: `cols[COL.name][k]`. */
export const COL = Object.freeze(Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<(typeof COLUMNS)[number], number>);
export const PRINCIPAL_COL = COL.principal;

/** Field numbers of SCANNED_FIELDS (slots of a ScannedFile record). */
const F = Object.freeze(Object.fromEntries(SCANNED_FIELDS.map((f, i) => [f, i])) as Record<(typeof SCANNED_FIELDS)[number], number>);
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface FileOutcome {
  file: number;
  shape?: Shape | SkippedShape;
  events: number;
  invalid: number;
  firstInvalid?: string;
  error?: string;
}

export interface CompactResult {
  count: number;
  /** String table; index 0 means "absent". Principal ids point at JSON of a Principal. */
  strings: string[];
  times: Float64Array;
  /** Index of the event's file in the caller's file list, and of the record inside that file. */
  fileIdx: Uint32Array;
  recIdx: Uint32Array;
  /** One array of string ids per entry of COLUMNS: `cols[COL.name][k]` is event k's eventName id. */
  cols: StringIds[];
  /** 0 false, 1 true, 2 unknown. */
  readOnly: Uint8Array;
  ids: IdColumn;
  /** JSON of each event's resources; empty for events that name none. */
  resources: TextColumn;
  outcomes: FileOutcome[];
  /** The events in (time, id) order (columns.ts partOrder), when the parser thread computed it. */
  order?: Uint32Array;
  /** The columns are in (time, id) order already (columns.ts sortPart). */
  sorted?: boolean;
  /**
   * Where each run the builder sorted ends: events `[runs[r - 1], runs[r])` are in (time, id) order, ties in the order
   * they were built, so the part is in order once its runs are merged (columns.ts mergeParts).
   */
  runs?: Uint32Array;
}

/**
 * Events per run the builder sorts as it goes (at the end of a file): a parser thread's files come in time order, so
 * its runs barely overlap, and the closing is a merge of long stretches instead of a sort of the whole part, the
 * serial tail of the load after the last file is read (issue #14). Sorted while the runs' ~3 MB of columns are in
 * the cache.
 */
const RUN_EVENTS = 8192;

/** Parses files one at a time into compact columns. */
export class CompactBuilder {
  private readonly ids = new Map<string, number>([['', 0]]);
  private readonly strings: string[] = [''];
  private readonly times: Growing<Float64Array>;
  private readonly fileIdx: Growing<Uint32Array>;
  private readonly recIdx: Growing<Uint32Array>;
  /** String ids column by column: 16 bits until the table passes 65,536 strings (`widen`). */
  private cols: Growing<StringIds>[];
  /** Each column's array, for the loops that write them (refreshed when one grows). */
  private colData: StringIds[] = [];
  private readonly readOnly: Growing<Uint8Array>;
  private readonly eventIds: IdColumnBuilder;
  private readonly resources: TextColumnBuilder;
  private outcomes: FileOutcome[] = [];
  /** Ends of the runs sorted so far, and the start of the one being built. */
  private readonly runEnds = new Growing(new Uint32Array(64), (n) => new Uint32Array(n));
  private runStart = 0;
  /** Room to sort a run in: its widest column, the ids' 16 bytes per event. */
  private scratch = new ArrayBuffer(0);
  /** Principal string id per identity signature (the fields normalisePrincipal reads). */
  private readonly principals = new Map<string, number>();
  /** Parsed userIdentity objects by their bytes, shared by the scans of all files. */
  private readonly identities = new IdentityTable();
  /** Principal string id per identity number of `identities`, for scanned records; reset when the table is. */
  private principalsByIdentity: number[] = [];
  /** String id of each identity's accountId (the account of records without recipientAccountId); reset with it. */
  private accountsByIdentity: number[] = [];
  /** Where the fields of the file being built lie: reused from file to file. */
  private readonly scanned = new ScannedFile();
  /** String ids by the bytes of values, for scanned files. */
  private readonly byBytes = new ByteInterner(
    (_b, start, end) => this.scanned.text(start, end),
    (s) => this.intern(s),
  );
  private identityGeneration = 0;
  /** Each file's bytes, in buffers reused from file to file: nothing built keeps a view of them. */
  private readonly bytes = new FileBytes();
  /** The resources' JSON of scanned records, from their bytes. */
  private readonly plainResources = new PlainResourcesWriter();
  /** Files read by scanDelivery rather than JSON.parse (the rest fell back). */
  scannedFiles = 0;

  /**
   * `fast: false` reads every file with JSON.parse: the reference the scan is tested against. `capacity`: events
   * the columns have room for before they grow (room never written costs no memory; growing copies).
   */
  constructor(
    private readonly fast = true,
    capacity = 1024,
    /** Events per sorted run (RUN_EVENTS); tests make it small. */
    private readonly runEvents = RUN_EVENTS,
  ) {
    this.times = new Growing(new Float64Array(capacity), (n) => new Float64Array(n));
    this.fileIdx = new Growing(new Uint32Array(capacity), (n) => new Uint32Array(n));
    this.recIdx = new Growing(new Uint32Array(capacity), (n) => new Uint32Array(n));
    this.cols = Array.from({ length: NCOL }, () => new Growing<StringIds>(new Uint16Array(capacity), (n) => new Uint16Array(n)));
    this.colData = this.cols.map((g) => g.data);
    this.readOnly = new Growing(new Uint8Array(capacity), (n) => new Uint8Array(n));
    this.eventIds = new IdColumnBuilder(capacity);
    // About one event in ten names resources, ~120 bytes of JSON each.
    this.resources = new TextColumnBuilder(capacity, Math.max(1 << 16, capacity * 16));
  }

  /** Absent, null (exports write absent fields as null) and empty are all id 0. */
  private intern(s: string | null | undefined): number {
    if (s === undefined || s === null || s === '') return 0;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
      if (id === 0x10000) this.widen();
    }
    return id;
  }

  /**
   * `intern` with the column's previous value remembered: neighbouring records mostly repeat a column (one file is
   * one account and region; a burst is one source, address and agent), and comparing with the last string is
   * cheaper than hashing a fresh one for the map (measured: interning was the builder's largest cost).
   */
  private internIn(col: number, s: string | null | undefined): number {
    if (s === this.lastText[col]) return this.lastId[col];
    const id = this.intern(s);
    this.lastText[col] = s;
    this.lastId[col] = id;
    return id;
  }
  private readonly lastText: (string | null | undefined)[] = new Array<string>(NCOL).fill('');
  private readonly lastId = new Uint32Array(NCOL);

  addFile(index: number, path: string): FileOutcome {
    const outcome: FileOutcome = { file: index, events: 0, invalid: 0 };
    try {
      const json = this.bytes.read(path);
      if (this.fast && scanDeliveryFields(json, this.identities, this.scanned)) {
        this.scannedFiles++;
        outcome.shape = 'delivery';
        this.addScanned(this.scanned, index, outcome);
      } else {
        const found = recordsInJson(json, path);
        outcome.shape = found.shape;
        outcome.invalid = found.badLines;
        if (found.badLines) outcome.firstInvalid = 'line is not JSON';
        this.addRecords(found.records, index, outcome);
      }
    } catch (err) {
      outcome.error = err instanceof CloudTrailFileError ? err.reason : (err as Error).message;
    }
    this.outcomes.push(outcome);
    if (this.times.length - this.runStart >= this.runEvents) this.sortRun();
    return outcome;
  }

  /** The string-id columns as 32-bit arrays, once an id no longer fits in 16 bits (rare: a trail's strings are a few thousand). */
  private widen(): void {
    this.cols = this.cols.map((g) => {
      const wide = new Growing<StringIds>(new Uint32Array(g.data.length), (n) => new Uint32Array(n));
      wide.data.set(g.data);
      wide.length = this.times.length;
      return wide;
    });
    this.colData = this.cols.map((g) => g.data);
  }

  /** Room for `n` more events in every column, so the loops may write `data[length++]` directly (a file's records at once). */
  private reserve(n: number): void {
    for (const g of [this.times, this.fileIdx, this.recIdx, this.readOnly]) g.reserve(n);
    // The columns' lengths are the times' (writeIds writes by index, not by push).
    for (const g of this.cols) {
      g.length = this.times.length;
      g.reserve(n);
    }
    this.colData = this.cols.map((g) => g.data);
  }

  /** Puts the events built since the last run in (time, id) order, ties in build order, in every column. */
  private sortRun(): void {
    const start = this.runStart;
    const end = this.times.length;
    if (end === start) return;
    const order = rangeOrder(this.times.data, this.eventIds.current(), start, end);
    let moved = false;
    for (let k = 0; k < order.length && !moved; k++) moved = order[k] !== k;
    if (moved) {
      const m = order.length;
      if (this.scratch.byteLength < m * 16) this.scratch = new ArrayBuffer(m * 16);
      const words = new Uint32Array(this.scratch, 0, m * 4);
      permuteRange(this.times.data, start, order, 1, new Float64Array(this.scratch, 0, m));
      permuteRange(this.fileIdx.data, start, order, 1, words);
      permuteRange(this.recIdx.data, start, order, 1, words);
      permuteRange(this.readOnly.data, start, order, 1, new Uint8Array(this.scratch, 0, m));
      for (const col of this.colData) {
        if (col instanceof Uint16Array) permuteRange(col, start, order, 1, new Uint16Array(this.scratch, 0, m));
        else permuteRange(col, start, order, 1, words);
      }
      this.eventIds.permuteTail(start, order, words);
      this.resources.permuteTail(start, order);
    }
    this.runEnds.push(end);
    this.runStart = end;
  }

  /** Records as JSON.parse gives them, or as scanDelivery gives their scanned fields: the same checks and fields either way. */
  private addRecords(recs: unknown[], file: number, outcome: FileOutcome): void {
    // addRecord writes the columns' arrays directly: room for the whole file first.
    this.reserve(recs.length);
    for (let i = 0; i < recs.length; i++) this.addOne(recs[i], file, i, outcome);
  }

  /** Record `i` of a file, checked, as JSON.parse gives it or as a ScannedRecord. */
  private addOne(parsed: unknown, file: number, i: number, outcome: FileOutcome): void {
    const r = parsed as { eventTime?: unknown } | null;
    const time = typeof r?.eventTime === 'string' ? eventTime(r.eventTime) : NaN;
    const reason = invalidReason(r, time);
    if (reason) {
      outcome.invalid++;
      outcome.firstInvalid ??= `record ${i}: ${reason}`;
      return;
    }
    const record = r as unknown as CloudTrailRecord;
    this.addRecord(record, file, i, time, r instanceof ScannedRecord ? this.principalOf(r) : this.principalFor(record.userIdentity));
    outcome.events++;
  }

  /**
   * A scanned file's records, built from where their fields lie in the file's bytes: string ids by the values'
   * bytes (ByteInterner), the event id and time read from their bytes, the principal and the identity's account
   * once per identity. Exactly what `addOne` gives for each record (the reference), which still builds any record
   * this does not expect: a field of another type, an escaped or absent event id, a time Date.parse refuses...
   * Values are interned in addRecord's order, so the string table is the same too.
   */
  private addScanned(sf: ScannedFile, file: number, outcome: FileOutcome): void {
    const n = sf.count;
    this.reserve(n);
    if (sf.identityGeneration !== this.identityGeneration) {
      this.principalsByIdentity = [];
      this.accountsByIdentity = [];
      this.identityGeneration = sf.identityGeneration;
    }
    const { kinds, starts, ends, parsed, bytes } = sf;
    for (let r = 0; r < n; r++) {
      const at = r * NFIELDS;
      const time = kinds[at + F.eventTime] === STRING ? eventTimeAt(bytes, starts[at + F.eventTime], ends[at + F.eventTime], sf) : NaN;
      if (!Number.isFinite(time) || !this.expected(sf, at)) {
        this.addOne(sf.record(r), file, r, outcome);
        continue;
      }
      const identityKind = kinds[at + F.userIdentity];
      const identity = starts[at + F.userIdentity];
      const values = sf.identities.values;
      // In the reference's order (addRecord): the principal first (an argument of addRecord), then the columns in order.
      const principal =
        identityKind === IDENTITY
          ? (this.principalsByIdentity[identity] ??= this.principalFor(values[identity] as CloudTrailRecord['userIdentity']))
          : this.principalFor(identityKind === NULL_VALUE ? (null as unknown as undefined) : undefined);
      const k = this.times.length++;
      this.times.data[k] = time;
      this.fileIdx.data[this.fileIdx.length++] = file;
      this.recIdx.data[this.recIdx.length++] = r;
      // Every id before any is written: interning a new string may widen the columns (`widen`).
      const source = this.stringId(sf, at + F.eventSource);
      const name = this.stringId(sf, at + F.eventName);
      const region = this.stringId(sf, at + F.awsRegion);
      const account = at + F.recipientAccountId;
      const accountId =
        kinds[account] === STRING || kinds[account] === ESCAPED
          ? this.stringId(sf, account)
          : identityKind === IDENTITY
            ? (this.accountsByIdentity[identity] ??= this.intern((values[identity] as { accountId?: string }).accountId))
            : 0;
      const sourceIp = this.stringId(sf, at + F.sourceIPAddress);
      const userAgent = this.stringId(sf, at + F.userAgent);
      const errorCode = this.stringId(sf, at + F.errorCode);
      const errorMessage = this.stringId(sf, at + F.errorMessage);
      this.writeIds(k, source, name, region, accountId, principal, sourceIp, userAgent, errorCode, errorMessage);
      this.readOnly.data[this.readOnly.length++] = readOnlyOf(sf, at + F.readOnly);
      const id = at + F.eventID;
      if (kinds[id] === STRING) this.eventIds.addBytes(bytes, starts[id], ends[id], sf);
      else this.eventIds.add(parsed[id] as string);
      const res = kinds[at + F.resources];
      if (res === PLAIN_OBJECTS && sf.encoding === 'latin1') this.plainResources.write(bytes, starts[at + F.resources], ends[at + F.resources], this.resources);
      else if (res === PLAIN_OBJECTS) this.resources.add(resourcesText(sf.value(r, F.resources) as ResourceList));
      else this.resources.add(res === OTHER ? resourcesText(parsed[at + F.resources] as ResourceList) : '');
      outcome.events++;
    }
  }

  /** Whether record `at`'s fields are of the types the fast path builds (the rest goes through `addOne`). */
  private expected(sf: ScannedFile, at: number): boolean {
    const { kinds, parsed } = sf;
    const source = kinds[at + F.eventSource];
    const name = kinds[at + F.eventName];
    const id = kinds[at + F.eventID];
    if ((source !== STRING && source !== ESCAPED) || (name !== STRING && name !== ESCAPED) || (id !== STRING && id !== ESCAPED)) return false;
    const ui = kinds[at + F.userIdentity];
    if (ui !== IDENTITY && ui !== NULL_VALUE && ui !== 0) return false;
    for (const f of OPTIONAL_STRINGS) if (kinds[at + f] > NULL_VALUE) return false;
    const res = kinds[at + F.resources];
    if (res === OTHER) {
      const list = parsed[at + F.resources];
      return Array.isArray(list) && list.every(isObject);
    }
    return res === 0 || res === NULL_VALUE || res === PLAIN_OBJECTS;
  }

  /** String id of a string slot (absent and null: 0). */
  private stringId(sf: ScannedFile, slot: number): number {
    const kind = sf.kinds[slot];
    if (kind === STRING) return this.byBytes.id(sf.bytes, sf.starts[slot], sf.ends[slot], sf.words);
    return kind === ESCAPED ? this.intern(sf.parsed[slot] as string) : 0;
  }

  /** The Principal's string id of a scanned record: by the identity's number when it has one. */
  private principalOf(r: ScannedRecord): number {
    const k = r.identity;
    if (k === undefined) return this.principalFor(r.userIdentity as CloudTrailRecord['userIdentity']);
    if (r.identityGeneration !== this.identityGeneration) {
      this.principalsByIdentity = [];
      this.identityGeneration = r.identityGeneration!;
    }
    return (this.principalsByIdentity[k] ??= this.principalFor(r.userIdentity as CloudTrailRecord['userIdentity']));
  }

  private principalFor(ui: CloudTrailRecord['userIdentity']): number {
    const pkey = ui
      ? `${ui.type}\u0001${ui.arn}\u0001${ui.userName}\u0001${ui.principalId}\u0001${ui.accessKeyId}\u0001${ui.invokedBy}\u0001${ui.accountId}\u0001${ui.sessionContext?.sourceIdentity}\u0001${ui.sessionContext?.sessionIssuer?.userName}\u0001${ui.onBehalfOf?.userId}`
      : '';
    let principal = this.principals.get(pkey);
    if (principal === undefined) {
      principal = this.intern(JSON.stringify(normalisePrincipal(withoutAbsentNulls(ui, USER_IDENTITY_NULLS) as typeof ui)));
      this.principals.set(pkey, principal);
    }
    return principal;
  }

  /**
   * Same fields as `normalise(record)` (a test holds them equal), computed without building the event object;
   * the Principal is computed once per distinct identity. The record is as parsed: any optional field may be
   * null (meaning absent), so every read here treats null as undefined, which is cheaper than copying records
   * through `withoutAbsentNulls`.
   */
  private addRecord(r: CloudTrailRecord, file: number, rec: number, time: number, principal: number): void {
    const k = this.times.length++;
    this.times.data[k] = time;
    this.fileIdx.data[this.fileIdx.length++] = file;
    this.recIdx.data[this.recIdx.length++] = rec;
    const ui = r.userIdentity;
    this.writeIds(
      k,
      this.internIn(COL.source, r.eventSource),
      this.internIn(COL.name, r.eventName),
      this.internIn(COL.region, r.awsRegion),
      this.internIn(COL.account, r.recipientAccountId ?? ui?.accountId),
      principal,
      this.internIn(COL.sourceIp, r.sourceIPAddress),
      this.internIn(COL.userAgent, r.userAgent),
      this.internIn(COL.errorCode, r.errorCode),
      this.internIn(COL.errorMessage, r.errorMessage),
    );
    const ro = r.readOnly;
    this.readOnly.data[this.readOnly.length++] = ro === true || ro === 'true' ? 1 : ro === false || ro === 'false' ? 0 : 2;
    this.eventIds.add(r.eventID ?? `${r.eventTime}:${r.eventSource}:${r.eventName}:${r.requestID ?? ''}`);
    this.resources.add(r.resources ? resourcesText(r.resources) : '');
  }

  /** Event k's string ids, in COLUMNS' order. */
  private writeIds(k: number, source: number, name: number, region: number, account: number, principal: number, sourceIp: number, userAgent: number, errorCode: number, errorMessage: number): void {
    const c = this.colData;
    c[COL.source][k] = source;
    c[COL.name][k] = name;
    c[COL.region][k] = region;
    c[COL.account][k] = account;
    c[COL.principal][k] = principal;
    c[COL.sourceIp][k] = sourceIp;
    c[COL.userAgent][k] = userAgent;
    c[COL.errorCode][k] = errorCode;
    c[COL.errorMessage][k] = errorMessage;
  }

  finish(): CompactResult {
    this.sortRun();
    return {
      count: this.times.length,
      strings: this.strings,
      times: this.times.done(),
      fileIdx: this.fileIdx.done(),
      recIdx: this.recIdx.done(),
      cols: this.cols.map((g) => ((g.length = this.times.length), g.done())),
      readOnly: this.readOnly.done(),
      ids: this.eventIds.done(),
      resources: this.resources.done(),
      outcomes: this.outcomes,
      runs: this.runEnds.done(),
    };
  }
}

/** The optional string fields (null or absent, else a string): kinds above NULL_VALUE are another type. */
const OPTIONAL_STRINGS = [F.awsRegion, F.sourceIPAddress, F.userAgent, F.errorCode, F.errorMessage, F.recipientAccountId];

type ResourceList = NonNullable<CloudTrailRecord['resources']>;

/** JSON of an event's resources as the store keeps them; empty when it names none. */
function resourcesText(list: ResourceList): string {
  if (!list.length) return '';
  const resources = list.map((x) => withoutAbsentNulls(x, RESOURCE_NULLS) as typeof x);
  return JSON.stringify(resources.map((x) => ({ arn: x.ARN ?? x.arn, type: x.type, accountId: x.accountId })));
}

/** addRecord's readOnly code (1 true, 0 false, 2 unknown) of a scanned slot: `true`, `false` or their strings. */
function readOnlyOf(sf: ScannedFile, slot: number): number {
  const kind = sf.kinds[slot];
  if (kind === STRING) {
    // Byte by byte: Buffer#compare's native call per event was a visible share of the build.
    const b = sf.bytes;
    const start = sf.starts[slot];
    const n = sf.ends[slot] - start;
    if (n === 4 && b[start] === 0x74 && b[start + 1] === 0x72 && b[start + 2] === 0x75 && b[start + 3] === 0x65) return 1;
    if (n === 5 && b[start] === 0x66 && b[start + 1] === 0x61 && b[start + 2] === 0x6c && b[start + 3] === 0x73 && b[start + 4] === 0x65) return 0;
    return 2;
  }
  if (kind === OTHER || kind === ESCAPED) {
    const v = sf.parsed[slot];
    return v === true || v === 'true' ? 1 : v === false || v === 'false' ? 0 : 2;
  }
  return 2;
}

export const transferables = (r: CompactResult): ArrayBuffer[] =>
  [r.times, r.fileIdx, r.recIdx, r.readOnly, r.ids.uuids, r.ids.other.bytes, r.ids.other.ends, r.resources.bytes, r.resources.ends, ...(r.order ? [r.order] : []), ...(r.runs ? [r.runs] : [])].map(
    (a) => a.buffer as ArrayBuffer,
  );
