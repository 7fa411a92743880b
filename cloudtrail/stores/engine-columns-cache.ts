import { readFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkedSection, crcsOf, headerBytes, headerIn, layOut, writeSections } from '../cache/sections.ts';
import type { Principal } from '../event.ts';
import type { EngineColumns } from './engine-columns.ts';

/**
 * The engine table's columns (engine-columns.ts) and resources kept beside its database (`<db>.columns`,
 * `<db>.resources`), so a reopen reads them back as typed arrays instead of scanning the table again: the read costs what the files store's index
 * cache costs, not seconds of SQL (measured at 1M in docs/sql.md). The file belongs to one database file (name,
 * size and modification time are in its header): a rebuilt database gets a new one, and stale ones are removed
 * when the next is written. The database stays read-only; nothing here writes into it.
 */

const FORMAT = 'trailbook-engine-columns-3';

type Kind = 'f64' | 'u32' | 'i32' | 'u16' | 'u8';
const MAKE = { f64: Float64Array, u32: Uint32Array, i32: Int32Array, u16: Uint16Array, u8: Uint8Array } as const;
type Typed = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;
const kindOf = (a: Typed): Kind => (a instanceof Float64Array ? 'f64' : a instanceof Uint32Array ? 'u32' : a instanceof Int32Array ? 'i32' : a instanceof Uint16Array ? 'u16' : 'u8');

/** A kept file's header: whose database it belongs to, what it holds besides the arrays, and the arrays' shapes. */
interface Header<M> {
  format: string;
  db: { name: string; size: number; mtimeMs: number };
  meta: M;
  /** Each array's type, length and CRC-32, checked on read as the files index cache checks its sections. */
  arrays: { kind: Kind; length: number; crc: number }[];
}

async function identity(db: string): Promise<Header<unknown>['db']> {
  const s = await stat(db);
  return { name: basename(db), size: s.size, mtimeMs: s.mtimeMs };
}

/** The metadata and arrays kept at `path` for database `db`, or undefined when they belong to another file or are unreadable. */
async function readKept<M>(path: string, db: string): Promise<{ meta: M; arrays: Typed[] } | undefined> {
  try {
    const read = readFileSync(path);
    // Each array is a view of the file's buffer, not a copy: its offset within the file is a multiple of 8.
    const buf = read.byteOffset % 8 === 0 ? read : Buffer.from(read);
    const { header, end } = headerIn<Header<M>>(buf);
    const now = await identity(db);
    if (header.format !== FORMAT || header.db.name !== now.name || header.db.size !== now.size || header.db.mtimeMs !== now.mtimeMs) return undefined;
    // The sections' places follow from the arrays' lengths; their CRCs are in the header.
    const { sections } = layOut(
      header.arrays.map(({ kind, length }) => length * MAKE[kind].BYTES_PER_ELEMENT),
      end,
      header.arrays.map((a) => a.crc),
    );
    const arrays = header.arrays.map(({ kind, length }, i) => {
      const bytes = checkedSection(buf, 0, sections[i], `${i}`);
      return new MAKE[kind](bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
    });
    return { meta: header.meta, arrays };
  } catch {
    // Missing, cut short, damaged (a checksum) or not ours: read from the engine instead.
    return undefined;
  }
}

/** Writes `meta` and `arrays` for database `db` at `path` (to a temporary name, then renamed); removes kept files of databases that are gone. */
async function keep(path: string, db: string, meta: unknown, arrays: Typed[]): Promise<void> {
  const crcs = crcsOf(arrays);
  const header: Header<unknown> = { format: FORMAT, db: await identity(db), meta, arrays: arrays.map((a, i) => ({ kind: kindOf(a), length: a.length, crc: crcs[i] })) };
  const head = headerBytes(header);
  const { sections } = layOut(
    arrays.map((a) => a.byteLength),
    head.length,
    crcs,
  );
  await writeSections(path, head, arrays, sections);
  const dir = dirname(db);
  for (const name of await readdir(dir)) {
    const of = /^(.*\.duckdb)\.(columns|resources)$/.exec(name)?.[1];
    if (of && !(await stat(join(dir, of)).catch(() => undefined))) await rm(join(dir, name), { force: true });
  }
}

interface ColumnsMeta {
  count: number;
  values: string[][];
  principals: Principal[];
  otherIds: [number, string][];
}

/** The columns kept for database `db`, or undefined when there are none for this very file (or they are unreadable). */
export async function readKeptColumns(db: string): Promise<EngineColumns | undefined> {
  const kept = await readKept<ColumnsMeta>(`${db}.columns`, db);
  if (!kept) return undefined;
  const { meta, arrays } = kept;
  const [times, rowids, uuids, principal, readOnly, order, ...cols] = arrays;
  return {
    count: meta.count,
    order: order as Uint32Array,
    times: times as Float64Array,
    cols: cols as EngineColumns['cols'],
    values: meta.values,
    principal: principal as Int32Array,
    principals: meta.principals.map((p) => Object.freeze(p)),
    readOnly: readOnly as Uint8Array,
    uuids: uuids as Uint32Array,
    otherIds: new Map(meta.otherIds),
    rowids: rowids as Float64Array,
    from: 'kept',
  };
}

/** Keeps the columns beside database `db`. */
export function keepColumns(db: string, c: EngineColumns): Promise<void> {
  const meta: ColumnsMeta = { count: c.count, values: c.values, principals: c.principals, otherIds: [...c.otherIds] };
  return keep(`${db}.columns`, db, meta, [c.times, c.rowids, c.uuids, c.principal, c.readOnly, c.order, ...c.cols]);
}

/** Resources as JSON text by the table's rowid: the rowids of the events that name any (ascending), their UTF-8 text and its ends. */
export interface KeptResources {
  rowids: Float64Array;
  bytes: Uint8Array;
  ends: Uint32Array;
}

export async function readKeptResources(db: string): Promise<KeptResources | undefined> {
  const kept = await readKept<null>(`${db}.resources`, db);
  if (!kept) return undefined;
  const [rowids, ends, bytes] = kept.arrays;
  return { rowids: rowids as Float64Array, ends: ends as Uint32Array, bytes: bytes as Uint8Array };
}

export const keepResources = (db: string, r: KeptResources): Promise<void> => keep(`${db}.resources`, db, null, [r.rowids, r.ends, r.bytes]);
