import { readFileSync } from 'node:fs';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Principal } from '../event.ts';
import type { EngineColumns } from './engine-columns.ts';

/**
 * The engine table's columns (engine-columns.ts) kept beside its database (`<db>.columns`), so a reopen reads
 * them back as typed arrays instead of scanning the table again: the read costs what the files store's index
 * cache costs, not seconds of SQL (measured at 1M in docs/sql.md). The file belongs to one database file (name,
 * size and modification time are in its header): a rebuilt database gets a new one, and stale ones are removed
 * when the next is written. The database stays read-only; nothing here writes into it.
 */

const FORMAT = 'trailbook-engine-columns-1';

type Kind = 'f64' | 'u32' | 'i32' | 'u16' | 'u8';
const MAKE = { f64: Float64Array, u32: Uint32Array, i32: Int32Array, u16: Uint16Array, u8: Uint8Array } as const;
type Typed = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;
const kindOf = (a: Typed): Kind => (a instanceof Float64Array ? 'f64' : a instanceof Uint32Array ? 'u32' : a instanceof Int32Array ? 'i32' : a instanceof Uint16Array ? 'u16' : 'u8');

interface Header {
  format: string;
  db: { name: string; size: number; mtimeMs: number };
  count: number;
  values: string[][];
  principals: Principal[];
  otherIds: [number, string][];
  /** The arrays after the header, in this order: times, rowids, uuids, principal, readOnly, order, then cols. */
  arrays: { kind: Kind; length: number }[];
}

const pathOf = (db: string) => `${db}.columns`;

async function identity(db: string): Promise<Header['db']> {
  const s = await stat(db);
  return { name: basename(db), size: s.size, mtimeMs: s.mtimeMs };
}

const arraysOf = (c: EngineColumns): Typed[] => [c.times, c.rowids, c.uuids, c.principal, c.readOnly, c.order, ...c.cols];

/** The columns kept for database `db`, or undefined when there are none for this very file (or they are unreadable). */
export async function readKeptColumns(db: string): Promise<EngineColumns | undefined> {
  try {
    const buf = readFileSync(pathOf(db));
    const headerLength = buf.readUInt32LE(0);
    const header = JSON.parse(buf.toString('utf8', 4, 4 + headerLength)) as Header;
    const now = await identity(db);
    if (header.format !== FORMAT || header.db.name !== now.name || header.db.size !== now.size || header.db.mtimeMs !== now.mtimeMs) return undefined;
    // Each array starts at a multiple of 8 bytes, so it is a view of the file's buffer, not a copy.
    let at = align(4 + headerLength);
    const aligned = buf.byteOffset % 8 === 0 ? buf : Buffer.from(buf);
    const arrays = header.arrays.map(({ kind, length }) => {
      const a = new MAKE[kind](aligned.buffer, aligned.byteOffset + at, length);
      at = align(at + a.byteLength);
      return a;
    });
    if (at > aligned.length + 8) return undefined;
    const [times, rowids, uuids, principal, readOnly, order, ...cols] = arrays;
    return {
      count: header.count,
      order: order as Uint32Array,
      times: times as Float64Array,
      cols: cols as EngineColumns['cols'],
      values: header.values,
      principal: principal as Int32Array,
      principals: header.principals.map((p) => Object.freeze(p)),
      readOnly: readOnly as Uint8Array,
      uuids: uuids as Uint32Array,
      otherIds: new Map(header.otherIds),
      rowids: rowids as Float64Array,
      from: 'kept',
    };
  } catch {
    return undefined;
  }
}

const align = (n: number) => Math.ceil(n / 8) * 8;

/** Keeps the columns beside database `db` (written to a temporary name, then renamed), removing those of older databases. */
export async function keepColumns(db: string, c: EngineColumns): Promise<void> {
  const arrays = arraysOf(c);
  const header: Header = {
    format: FORMAT,
    db: await identity(db),
    count: c.count,
    values: c.values,
    principals: c.principals,
    otherIds: [...c.otherIds],
    arrays: arrays.map((a) => ({ kind: kindOf(a), length: a.length })),
  };
  const json = Buffer.from(JSON.stringify(header));
  const parts: Uint8Array[] = [];
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  parts.push(length, json);
  let at = 4 + json.length;
  for (const a of arrays) {
    parts.push(new Uint8Array(align(at) - at));
    at = align(at);
    parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    at += a.byteLength;
  }
  const path = pathOf(db);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, parts);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  // Columns of databases that are gone (the database was rebuilt under a new name).
  const dir = dirname(db);
  for (const name of await readdir(dir))
    if (name.endsWith('.duckdb.columns') && join(dir, name) !== path && !(await stat(join(dir, name.slice(0, -'.columns'.length))).catch(() => undefined))) await rm(join(dir, name), { force: true });
}
