import { readFileSync } from 'node:fs';
import { normalisePrincipal } from '../event.ts';
import { Resource, UserIdentity, withoutAbsentNulls, type CloudTrailRecord } from '../record.ts';
import { inflate, recordsInJson } from './file.ts';
import { IdentityTable, ScannedRecord, scanDelivery } from './delivery-scan.ts';
import { eventTime } from './event-time.ts';
import { IdColumnBuilder, type IdColumn } from './event-ids.ts';
import { Growing, TextColumnBuilder, type TextColumn } from './text-column.ts';
import { CloudTrailFileError, invalidReason, type Shape, type SkippedShape } from './shapes.ts';

/**
 * Compact, transferable result of parsing a set of files: one string table and typed columns,
 * so a worker can hand a million events to the main thread without cloning a million objects.
 */
export const COLUMNS = ['source', 'name', 'region', 'account', 'principal', 'sourceIp', 'userAgent', 'errorCode', 'errorMessage'] as const;
export const NCOL = COLUMNS.length;
/** Position of each column in an event's cells: `cells[k * NCOL + COL.name]`. */
export const COL = Object.freeze(Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<(typeof COLUMNS)[number], number>);
export const PRINCIPAL_COL = COL.principal;

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
  /** String table; index 0 means "absent". Principal cells hold JSON of a Principal. */
  strings: string[];
  times: Float64Array;
  /** Index of the event's file in the caller's file list, and of the record inside that file. */
  fileIdx: Uint32Array;
  recIdx: Uint32Array;
  /** NCOL string ids per event, row-major. */
  cells: Uint32Array;
  /** 0 false, 1 true, 2 unknown. */
  readOnly: Uint8Array;
  ids: IdColumn;
  /** JSON of each event's resources; empty for events that name none. */
  resources: TextColumn;
  outcomes: FileOutcome[];
  /** The events in (time, id) order (columns.ts partOrder), when the parser thread computed it. */
  order?: Uint32Array;
}

/** Parses files one at a time into compact columns. */
export class CompactBuilder {
  private readonly ids = new Map<string, number>([['', 0]]);
  private readonly strings: string[] = [''];
  private readonly times = new Growing(new Float64Array(1024), (n) => new Float64Array(n));
  private readonly fileIdx = new Growing(new Uint32Array(1024), (n) => new Uint32Array(n));
  private readonly recIdx = new Growing(new Uint32Array(1024), (n) => new Uint32Array(n));
  private readonly cells = new Growing(new Uint32Array(1024 * NCOL), (n) => new Uint32Array(n));
  private readonly readOnly = new Growing(new Uint8Array(1024), (n) => new Uint8Array(n));
  private readonly eventIds = new IdColumnBuilder();
  private readonly resources = new TextColumnBuilder();
  private outcomes: FileOutcome[] = [];
  /** Principal string id per identity signature (the fields normalisePrincipal reads). */
  private readonly principals = new Map<string, number>();
  /** Parsed userIdentity objects by their bytes, shared by the scans of all files. */
  private readonly identities = new IdentityTable();
  /** Principal string id per identity number of `identities`, for scanned records; reset when the table is. */
  private principalsByIdentity: number[] = [];
  private identityGeneration = 0;
  /** Files read by scanDelivery rather than JSON.parse (the rest fell back). */
  scannedFiles = 0;

  /** `fast: false` reads every file with JSON.parse: the reference the scan is tested against. */
  constructor(private readonly fast = true) {}

  /** Absent, null (exports write absent fields as null) and empty are all id 0. */
  private intern(s: string | null | undefined): number {
    if (s === undefined || s === null || s === '') return 0;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
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
      const json = inflate(readFileSync(path), path);
      const scanned = this.fast ? scanDelivery(json, this.identities) : undefined;
      if (scanned) {
        this.scannedFiles++;
        outcome.shape = 'delivery';
        this.addRecords(scanned, index, outcome);
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
    return outcome;
  }

  /** Records as JSON.parse gives them, or as scanDelivery gives their scanned fields: the same checks and fields either way. */
  private addRecords(recs: unknown[], file: number, outcome: FileOutcome): void {
    // addRecord writes the columns' arrays directly: room for the whole file first.
    for (const g of [this.times, this.fileIdx, this.recIdx, this.readOnly]) g.reserve(recs.length);
    this.cells.reserve(recs.length * NCOL);
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i] as { eventTime?: unknown } | null;
      const time = typeof r?.eventTime === 'string' ? eventTime(r.eventTime) : NaN;
      const reason = invalidReason(r, time);
      if (reason) {
        outcome.invalid++;
        outcome.firstInvalid ??= `record ${i}: ${reason}`;
        continue;
      }
      const record = r as unknown as CloudTrailRecord;
      this.addRecord(record, file, i, time, r instanceof ScannedRecord ? this.principalOf(r) : this.principalFor(record.userIdentity));
      outcome.events++;
    }
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
      principal = this.intern(JSON.stringify(normalisePrincipal(withoutAbsentNulls(ui, UserIdentity) as typeof ui)));
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
    const c = this.cells.data;
    const at = this.cells.length;
    this.cells.length += NCOL;
    c[at + COL.source] = this.internIn(COL.source, r.eventSource);
    c[at + COL.name] = this.internIn(COL.name, r.eventName);
    c[at + COL.region] = this.internIn(COL.region, r.awsRegion);
    c[at + COL.account] = this.internIn(COL.account, r.recipientAccountId ?? ui?.accountId);
    c[at + COL.principal] = principal;
    c[at + COL.sourceIp] = this.internIn(COL.sourceIp, r.sourceIPAddress);
    c[at + COL.userAgent] = this.internIn(COL.userAgent, r.userAgent);
    c[at + COL.errorCode] = this.internIn(COL.errorCode, r.errorCode);
    c[at + COL.errorMessage] = this.internIn(COL.errorMessage, r.errorMessage);
    const ro = r.readOnly;
    this.readOnly.data[this.readOnly.length++] = ro === true || ro === 'true' ? 1 : ro === false || ro === 'false' ? 0 : 2;
    this.eventIds.add(r.eventID ?? `${r.eventTime}:${r.eventSource}:${r.eventName}:${r.requestID ?? ''}`);
    if (r.resources?.length) {
      const resources = r.resources.map((x) => withoutAbsentNulls(x, Resource) as typeof x);
      this.resources.add(JSON.stringify(resources.map((x) => ({ arn: x.ARN ?? x.arn, type: x.type, accountId: x.accountId }))));
    } else {
      this.resources.add('');
    }
  }

  finish(): CompactResult {
    return {
      count: this.times.length,
      strings: this.strings,
      times: this.times.done(),
      fileIdx: this.fileIdx.done(),
      recIdx: this.recIdx.done(),
      cells: this.cells.done(),
      readOnly: this.readOnly.done(),
      ids: this.eventIds.done(),
      resources: this.resources.done(),
      outcomes: this.outcomes,
    };
  }
}

export const transferables = (r: CompactResult): ArrayBuffer[] =>
  [r.times, r.fileIdx, r.recIdx, r.cells, r.readOnly, r.ids.uuids, r.ids.other.bytes, r.ids.other.ends, r.resources.bytes, r.resources.ends, ...(r.order ? [r.order] : [])].map(
    (a) => a.buffer as ArrayBuffer,
  );
