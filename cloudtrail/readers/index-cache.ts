import { closeSync, fstatSync, openSync, unlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { isAscii } from 'node:buffer';
import { align8, bytesOf, checkedSection, crcsOf, headerBytes, layOut, readAt, readAtAsync, writeSections, type Section } from '../cache/sections.ts';
import { COLUMNS, type FileOutcome } from './compact.ts';
import type { EventColumns, LaterColumns, StringIds } from './columns.ts';
import type { IdColumn } from './event-ids.ts';
import { TextColumnBuilder, type TextColumn } from './text-column.ts';

/**
 * On-disk copy of a directory's event columns, so reopening unchanged data skips parsing. Valid only for the
 * exact same file list with the same sizes and modification times.
 *
 * Layout: a little-endian u32 header length, the JSON header (outcomes worth reporting, where each section is and
 * its CRC-32), then the sections at 8-byte aligned offsets. A reopen reads only the first, the string table (one
 * read, checked while a worker stats the files, signature.ts); every other section (times, each string-id column,
 * readOnly, the ids, file and record numbers, resources) is read and checked the first time it is used, and viewed
 * in place: no copy, no object per value.
 */
const FORMAT = 'trailbook-files-index-5';

const FIRST = ['stringBytes', 'stringEnds'];
/** Read one by one on first use: a query reads the columns it filters on, and ~27 MB read into new memory at 1M
 * events cost ~0.1-0.17 CPU-s in page faults alone on this machine (issue #14). */
const COLUMN_SECTIONS = ['times', ...COLUMNS.map((c) => `col:${c}`), 'readOnly'];
const IDS = ['idUuids', 'idBytes', 'idEnds'];
const LATER = ['fileIdx', 'recIdx', 'resourceBytes', 'resourceEnds'];
/** Every section, in file order. */
const SECTIONS = [...FIRST, ...COLUMN_SECTIONS, ...IDS, ...LATER];

interface Header {
  format: string;
  signature: string;
  count: number;
  /** How many files the signature covers. */
  files: number;
  /** Every byte of the string table is ASCII (it is decoded in one latin1 pass then). */
  stringsAscii: boolean;
  /** Only the files with something to report (errors, unusable records, digests, Insights): the rest loaded cleanly. */
  outcomes: FileOutcome[];
  /** Bytes per string id in the `col:` sections. */
  idWidth: 2 | 4;
  idsAscii: boolean;
  resourcesAscii: boolean;
  sections: Record<string, Section>;
  bytes: number;
}

export interface SavedIndex {
  columns: EventColumns;
  outcomes: FileOutcome[];
}

/**
 * How a section found damaged on first use is made again instead of failing the query that reads it: the lazy
 * reads are synchronous (an event's getters), so the files are parsed again on this thread.
 */
export interface IndexRepair {
  parse: () => SavedIndex;
  /** Told once a damaged section was rebuilt: what to say, and the rewrite of the cache under way. */
  repaired: (notice: string, rewritten: Promise<void>) => void;
}

/** The result of looking for a cached index: `corrupt` says why an index that was there could not be used. */
export type LoadedIndex = { index: SavedIndex } | { missing: true } | { stale: string } | { corrupt: string };

/** An outcome worth reporting (and keeping in the index): the rest are files that loaded cleanly. */
export const isNotable = (o: FileOutcome) => !!o.error || o.invalid > 0 || o.shape === 'digest' || o.shape === 'insight';

/** Section `name` of `columns` as saved (the string table's two sections from `strings`). */
function sectionOf(columns: EventColumns, name: string, strings?: TextColumn): ArrayBufferView {
  if (name === 'stringBytes' || name === 'stringEnds') {
    if (!strings) throw new Error('the string table was not given');
    return name === 'stringBytes' ? strings.bytes : strings.ends;
  }
  if (name.startsWith('col:')) return columns.cols[COLUMNS.indexOf(name.slice(4) as (typeof COLUMNS)[number])];
  switch (name) {
    case 'times':
      return columns.times;
    case 'readOnly':
      return columns.readOnly;
    case 'idUuids':
      return columns.ids().uuids;
    case 'idBytes':
      return columns.ids().other.bytes;
    case 'idEnds':
      return columns.ids().other.ends;
    case 'fileIdx':
      return columns.later().fileIdx;
    case 'recIdx':
      return columns.later().recIdx;
    case 'resourceBytes':
      return columns.later().resources.bytes;
    case 'resourceEnds':
      return columns.later().resources.ends;
  }
  throw new Error(`no section ${name}`);
}

export async function saveIndex(path: string, signature: string, files: number, { columns, outcomes }: SavedIndex): Promise<void> {
  // Let the caller use the store first: writing a large index takes a moment.
  await new Promise((r) => setImmediate(r));
  const later = columns.later();
  const ids = columns.ids();
  const strings = stringTable(columns.strings);
  const arrays = SECTIONS.map((name) => [name, sectionOf(columns, name, strings)] as [string, ArrayBufferView]);
  // Offsets depend on the header's length, which depends on the offsets: lay the sections out after a header
  // sized with the longest offsets and CRCs, then pad the real header to that size.
  const views = arrays.map(([, a]) => a);
  const crcs = crcsOf(views);
  const draft = (first: number): Header => {
    const { sections, end } = layOut(
      views.map((v) => v.byteLength),
      first,
      crcs,
    );
    return {
      format: FORMAT,
      signature,
      count: columns.count,
      files,
      stringsAscii: strings.ascii,
      outcomes: outcomes.filter(isNotable),
      idWidth: columns.cols[0].BYTES_PER_ELEMENT as 2 | 4,
      idsAscii: ids.other.ascii,
      resourcesAscii: later.resources.ascii,
      sections: Object.fromEntries(arrays.map(([name], i) => [name, sections[i]])),
      bytes: align8(end),
    };
  };
  const placeholder = JSON.stringify(draft(1e15)).replace(/"crc":\d+/g, `"crc":${2 ** 32}`);
  const first = align8(4 + Buffer.byteLength(placeholder, 'utf8'));
  const header = draft(first);
  await mkdir(dirname(path), { recursive: true });
  await writeSections(
    path,
    headerBytes(header, first - 4),
    views,
    arrays.map(([name]) => header.sections[name]),
    header.bytes,
  );
}

/**
 * The string table as UTF-8 bytes and end offsets rather than JSON in the header: at 1M events it holds ~26,000
 * strings (principals as JSON, user agents, error messages; ~7 MB), and decoding it in one latin1 pass and slicing
 * took ~0.03 CPU-s against ~0.16 for utf8 decoding and JSON.parse (issue #14).
 */
function stringTable(strings: string[]): TextColumn {
  // All ASCII (as CloudTrail's values nearly always are): one encode of the joined text, and each end is a running
  // sum of lengths; a write per string was ~0.1-0.2 s of the main thread after a cold load (issue #14). Otherwise
  // string by string, so that a lone surrogate at the end of one string never pairs with the next one's.
  const all = strings.join('');
  const bytes = Buffer.from(all, 'utf8');
  if (isAscii(bytes)) {
    const ends = new Uint32Array(strings.length);
    for (let i = 0, end = 0; i < strings.length; i++) ends[i] = end += strings[i].length;
    return { bytes, ends, ascii: true };
  }
  const b = new TextColumnBuilder();
  for (const text of strings) b.add(text);
  return b.done();
}

function stringsOf(bytes: Uint8Array, ends: Uint32Array, ascii: boolean): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = new Array(ends.length);
  if (ascii) {
    // One decode, then slices of it (offsets are bytes, and characters when every byte is ASCII).
    const all = buf.toString('latin1');
    for (let i = 0, start = 0; i < ends.length; start = ends[i++]) out[i] = all.slice(start, ends[i]);
  } else {
    for (let i = 0, start = 0; i < ends.length; start = ends[i++]) out[i] = buf.toString('utf8', start, ends[i]);
  }
  return out;
}

/** Views each named section of `buf` (which starts at file offset `start`), after checking its place and CRC. */
function sectionsIn(header: Header, names: readonly string[], buf: Buffer, start: number): Map<string, Uint8Array> {
  return new Map(names.map((name) => [name, checkedSection(buf, start, header.sections[name], name)]));
}

function span(header: Header, names: readonly string[]): [number, number] {
  const from = Math.min(...names.map((n) => header.sections[n]?.offset ?? NaN));
  const to = Math.max(...names.map((n) => (header.sections[n] ? header.sections[n].offset + header.sections[n].bytes : NaN)));
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error('a section is missing');
  return [from, to];
}

const typed = <T>(b: Uint8Array, make: (buf: ArrayBuffer, off: number, len: number) => T, size: number, name: string): T => {
  if (b.byteLength % size) throw new Error(`section ${name} is not a whole number of values`);
  return make(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / size);
};
const u32 = (b: Uint8Array, name: string) => typed(b, (x, o, l) => new Uint32Array(x, o, l), 4, name);

/** Closes the file of an index whose later sections were never read, once its columns are unreachable. */
const unread = new FinalizationRegistry<{ fd?: number }>((h) => {
  if (h.fd !== undefined) closeSync(h.fd);
});

/**
 * Reads the index of `files` from `path` if it is there, current and intact. `signature` (the file list's, being
 * computed partly by a worker) is asked for once the string table's read has started: this thread stats what is
 * left of the list meanwhile.
 */
export async function loadIndex(path: string, signature: () => Promise<string>, files: number, repair?: IndexRepair): Promise<LoadedIndex> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { missing: true };
  }
  const handle: Handle = { fd };
  const close = () => {
    if (handle.fd !== undefined) closeSync(handle.fd);
    handle.fd = undefined;
  };
  let handedOut = false;
  try {
    let header: Header;
    try {
      const hlen = readAt(fd, 0, 4).readUInt32LE(0);
      header = JSON.parse(readAt(fd, 4, hlen).toString('utf8')) as Header;
    } catch (err) {
      return { corrupt: `unreadable header (${(err as Error).message})` };
    }
    if (header.format !== FORMAT) return { stale: `written in format ${String(header.format)}` };
    const size = fstatSync(fd).size;
    if (size !== header.bytes) return { corrupt: `${size} bytes where the header says ${header.bytes}` };
    let first: [number, number];
    try {
      first = span(header, FIRST);
      for (const name of [...COLUMN_SECTIONS, ...IDS, ...LATER]) span(header, [name]);
    } catch (err) {
      return { corrupt: (err as Error).message };
    }
    // The string table is read in a thread of the pool while this thread stats its share of the files.
    const reading = readAtAsync(fd, first[0], first[1] - first[0]);
    reading.catch(() => undefined);
    const current = signature();
    current.catch(() => undefined);
    let s: Map<string, Uint8Array>;
    try {
      s = sectionsIn(header, FIRST, await reading, first[0]);
    } catch (err) {
      return { corrupt: (err as Error).message };
    }
    if (header.signature !== (await current)) {
      return { stale: `the files changed since it was written (${files} files now, ${header.files} then)` };
    }
    const n = header.count;
    let columns: EventColumns;
    try {
      // The file stays open for the sections read on first use, and is closed once every one has been read.
      let unreadGroups = 0;
      const onFirstUse = <T>(names: string[], build: (s: Map<string, Uint8Array>) => T): (() => T) => {
        let value: T | undefined;
        unreadGroups++;
        const read: Reading<T> = { path, header, names, handle, build, strings: () => columns.strings, files, repair };
        return () => (value ??= readGroup(read, () => --unreadGroups === 0 && close()));
      };
      const perEvent = <T extends { length: number }>(a: T, name: string): T => {
        if (a.length !== n) throw new Error(`section ${name} does not hold one value per event`);
        return a;
      };
      const idColumn = (b: Uint8Array, name: string): StringIds =>
        perEvent(header.idWidth === 2 ? typed(b, (x, o, l) => new Uint16Array(x, o, l), 2, name) : u32(b, name), name);
      const times = onFirstUse(['times'], (s) => perEvent(typed(s.get('times')!, (x, o, l) => new Float64Array(x, o, l), 8, 'times'), 'times'));
      const readOnly = onFirstUse(['readOnly'], (s) => perEvent(s.get('readOnly')!, 'readOnly'));
      // All string-id columns read together on first use, as a plain array: accessors on an array's elements
      // would put it in dictionary mode and slow every cols[COL.name][k] read in scans and training.
      const colNames = COLUMNS.map((c) => `col:${c}`);
      const cols = onFirstUse(colNames, (s) => colNames.map((name) => idColumn(s.get(name)!, name)));
      columns = {
        count: n,
        strings: stringsOf(s.get('stringBytes')!, u32(s.get('stringEnds')!, 'stringEnds'), header.stringsAscii),
        get times() {
          return times();
        },
        get cols() {
          return cols();
        },
        get readOnly() {
          return readOnly();
        },
        ids: onFirstUse(IDS, (s) => {
          const col: IdColumn = { uuids: s.get('idUuids')!, other: { bytes: s.get('idBytes')!, ends: u32(s.get('idEnds')!, 'idEnds'), ascii: header.idsAscii } };
          if (col.other.ends.length !== n || col.uuids.length !== 16 * n) throw new Error('the ids do not hold one value per event');
          return col;
        }),
        later: onFirstUse(LATER, (s) => {
          const l: LaterColumns = {
            fileIdx: u32(s.get('fileIdx')!, 'fileIdx'),
            recIdx: u32(s.get('recIdx')!, 'recIdx'),
            resources: { bytes: s.get('resourceBytes')!, ends: u32(s.get('resourceEnds')!, 'resourceEnds'), ascii: header.resourcesAscii },
          };
          if (![l.fileIdx, l.recIdx, l.resources.ends].every((a) => a.length === n)) throw new Error('a later column does not hold one value per event');
          return l;
        }),
      };
      if (columns.strings[0] !== '' || !Array.isArray(header.outcomes)) throw new Error('the header does not describe the columns');
      if (header.outcomes.some((o) => !(o.file < files))) throw new Error('an outcome names a file beyond the list');
    } catch (err) {
      return { corrupt: (err as Error).message };
    }
    // The file stays open for the later sections: a rebuild renames a new index over the path, and the bytes
    // read later must be this index's.
    unread.register(columns, handle);
    handedOut = true;
    return { index: { columns, outcomes: header.outcomes } };
  } finally {
    if (!handedOut) close();
  }
}

/** The open cache file, and a parse made to repair it (kept until every section has been read). */
interface Handle {
  fd?: number;
  fresh?: SavedIndex;
}

interface Reading<T> {
  path: string;
  header: Header;
  names: string[];
  handle: Handle;
  build: (s: Map<string, Uint8Array>) => T;
  /** The cached string table, which the `col:` sections' ids point into. */
  strings: () => string[];
  files: number;
  repair?: IndexRepair;
}

/**
 * Sections read on first use. A damaged one is made again from a parse of the files and used only if it is
 * byte for byte what was saved (its CRC in the header), then the cache is rewritten; when that cannot be had
 * (the files changed since the open), the cache is removed and the reason thrown.
 */
function readGroup<T>(r: Reading<T>, done: () => void): T {
  const { path, header, names, handle } = r;
  let value: T;
  try {
    if (handle.fd === undefined) throw new Error('the file was closed');
    const [from, to] = span(header, names);
    value = r.build(sectionsIn(header, names, readAt(handle.fd, from, to - from), from));
  } catch (err) {
    const reason = (err as Error).message;
    let repairError: string | undefined;
    if (r.repair) {
      try {
        handle.fresh ??= r.repair.parse();
        value = r.build(rebuiltSections(header, names, r.strings(), handle.fresh.columns));
        const rewritten = saveIndex(path, header.signature, r.files, handle.fresh);
        r.repair.repaired(`the index cache ${path} is damaged (${reason}); the files were parsed again for it and the cache is being rewritten`, rewritten);
        queueMicrotask(done);
        return value;
      } catch (e) {
        repairError = (e as Error).message;
      }
    }
    try {
      unlinkSync(path);
    } catch {
      // Already replaced or removed.
    }
    const tried = repairError ? `; parsing the files again did not give the same section (${repairError})` : '';
    throw new Error(`the index cache ${path} is damaged (${reason})${tried}; it was removed: reopen the store to parse the files again`, { cause: err });
  }
  queueMicrotask(done);
  return value;
}

/**
 * The named sections made from `fresh` columns, with string ids put in the cached table's numbering (a parse by
 * several threads numbers strings in the order they were met), each checked against the CRC the header recorded.
 */
function rebuiltSections(header: Header, names: readonly string[], cached: string[], fresh: EventColumns): Map<string, Uint8Array> {
  if (fresh.count !== header.count) throw new Error(`${fresh.count} events now, ${header.count} when it was written`);
  let remap: Uint32Array | undefined;
  const out = new Map<string, Uint8Array>();
  for (const name of names) {
    let section = sectionOf(fresh, name);
    if (name.startsWith('col:')) {
      remap ??= remapStrings(fresh.strings, cached);
      const ids = section as StringIds;
      const mine = header.idWidth === 2 ? new Uint16Array(ids.length) : new Uint32Array(ids.length);
      for (let k = 0; k < ids.length; k++) mine[k] = remap[ids[k]];
      section = mine;
    }
    const bytes = bytesOf(section);
    if (crc32(bytes) !== header.sections[name].crc) throw new Error(`section ${name} differs`);
    out.set(name, bytes);
  }
  return out;
}

/** The cached id of each fresh string id. */
function remapStrings(fresh: string[], cached: string[]): Uint32Array {
  const ids = new Map(cached.map((s, i) => [s, i]));
  return Uint32Array.from(fresh, (s) => {
    const id = ids.get(s);
    if (id === undefined) throw new Error('a string the cache does not hold');
    return id;
  });
}
