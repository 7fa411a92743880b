import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../../cloudtrail/event.ts';
import { generate } from '../../../cloudtrail/generator/index.ts';
import type { EventQuery, EventStore } from '../../../cloudtrail/query.ts';
import { CLOUDTRAIL_COLUMNS, type Field } from '../../../cloudtrail/sql/schema.ts';
import { loadDataConfig, openStore } from '../../../cloudtrail/config.ts';
import { openSqlSource, sqlSourceFor } from '../../../cloudtrail/sql/index.ts';
import { DUCKDB, EngineStore, openEngineStore } from '../../../cloudtrail/stores/engine.ts';
import { engineTable } from '../../../cloudtrail/stores/engine-columns.ts';
import { openFilesStore, type FilesStore } from '../../../cloudtrail/stores/files.ts';
import { isKernelVariable } from '../../../kernel/environment.ts';
import { INVICTUS, STRATUS } from '../../fixtures/cloudtrail/index.ts';
import { eventFields } from '../../support/event-fields.ts';
import { CORRUPT_GZIP_FILE, NOT_CLOUDTRAIL_FILE, writeDirWithUnusableFiles } from '../unusable-dir.ts';

/**
 * What of a record the table carries (docs/sql.md, "The engine-backed files store"): the keys it has a column or
 * struct field for, nulls dropped, leaves as text (JSON-valued columns come back parsed, so as they were).
 */
function throughTable(value: unknown, fields: Field[] = CLOUDTRAIL_COLUMNS): Record<string, unknown> | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = (value as Record<string, unknown>)[f.key];
    if (v === null || v === undefined) continue;
    if (f.type === 'string') out[f.key] = typeof v === 'object' ? v : String(v);
    else if (f.type === 'map') out[f.key] = v;
    else if (Array.isArray(f.type)) {
      const inner = throughTable(v, f.type);
      if (inner) out[f.key] = inner;
    } else if (Array.isArray(v)) out[f.key] = v.map((x) => throughTable(x, (f.type as { array: Field[] }).array) ?? {});
  }
  return out;
}

/** Everything but the record, which is compared on its own. */
const fields = (e: TrailEvent) => ({ ...eventFields(e), resources: e.resources });

async function all(store: EventStore): Promise<TrailEvent[]> {
  const out: TrailEvent[] = [];
  for await (const e of store.scan()) out.push(e);
  return out;
}

/** Every page of a query, as ids, with whether each page said another one follows. */
async function pages(store: EventStore, q: EventQuery): Promise<{ ids: string[]; more: boolean }[]> {
  const out: { ids: string[]; more: boolean }[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query({ ...q, cursor });
    out.push({ ids: page.events.map((e) => e.id), more: page.nextCursor !== undefined });
    cursor = page.nextCursor;
  } while (cursor && out.length < 500);
  return out;
}

let generated: string;
let cache: string;
beforeAll(async () => {
  generated = await mkdtemp(join(tmpdir(), 'trailbook-engine-store-'));
  cache = await mkdtemp(join(tmpdir(), 'trailbook-engine-cache-'));
  generate({ outDir: generated, events: 3000, days: 4, seed: 7 });
}, 60_000);
afterAll(async () => {
  await rm(generated, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
});

describe.each([
  ['the invictus deliveries', () => INVICTUS],
  ['the stratus detonations', () => STRATUS],
  ['a generated sample', () => generated],
])('the engine store over %s', (_label, dirOf) => {
  let files: FilesStore;
  let engine: EngineStore;
  let expected: TrailEvent[];
  beforeAll(async () => {
    files = await openFilesStore(dirOf(), { cacheDir: false });
    engine = await openEngineStore(dirOf(), { cacheDir: cache });
    expected = await all(files);
  }, 120_000);
  afterAll(() => engine?.close());

  it('scans the same events as the files store, in the same order', async () => {
    const got = await all(engine);
    expect(got.length).toBe(expected.length);
    expect(got.map(fields)).toEqual(expected.map(fields));
  });

  it('returns the records as far as the table carries them', async () => {
    const got = await all(engine);
    let differ = 0;
    got.forEach((e, i) => {
      const want = throughTable(expected[i].raw);
      // One failure with the first event that differs, not thousands.
      if (!isDeepStrictEqual(e.raw, want) && differ++ === 0) expect({ id: e.id, raw: e.raw }).toEqual({ id: e.id, raw: want });
    });
    expect(differ).toBe(0);
  });

  it('pages every query like the files store, cursors included', async () => {
    const top = (await files.eventNames({ top: 1 }))[0];
    const who = expected[Math.floor(expected.length / 2)].principal;
    const mid = expected[Math.floor(expected.length / 3)].time;
    const queries: EventQuery[] = [
      { limit: 400 },
      { limit: 500, order: 'desc' },
      { eventName: top.name, limit: 20 },
      { principal: who.key, limit: 15 },
      { principal: who.name, limit: 40, order: 'desc' },
      { errorsOnly: true, limit: 10 },
      { readOnly: false, eventSource: top.source, limit: 30 },
      { start: mid, end: mid + 86_400_000, limit: 300 },
    ];
    for (const q of queries) expect({ q, pages: await pages(engine, q) }).toEqual({ q, pages: await pages(files, q) });
    // Hundreds of engine queries: ~10 s on invictus on a quiet machine, several times that beside the whole suite.
  }, 180_000);

  it('counts event names like the files store', async () => {
    const who = expected[0].principal.key;
    const start = expected[Math.floor(expected.length / 2)].time;
    for (const q of [{}, { top: 5 }, { principal: who }, { start }, { eventSource: expected[0].source, top: 3 }]) expect(await engine.eventNames(q)).toEqual(await files.eventNames(q));
  });

  it('has the same status, skipped input included', async () => {
    expect(await engine.status()).toEqual(await files.status());
  });

  it('gets an event by id', async () => {
    const want = expected[expected.length - 1];
    expect(fields((await engine.get(want.id))!)).toEqual(fields(want));
    expect(await engine.get('no-such-event')).toBeUndefined();
  });

  it('gets events by id like the files store: by a query on the id alone, then from the columns once read, by rowid only', async () => {
    // A sample through the trail, every id that is not a canonical UUID, and ids that are in no event.
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const ids = [...new Set([...expected.filter((_, i) => i % Math.ceil(expected.length / 25) === 0), ...expected.filter((e) => !uuid.test(e.id))].map((e) => e.id))];
    const absent = ['no-such-event', '00000000-0000-4000-8000-000000000000', ids[0].toUpperCase()].filter((id) => !expected.some((e) => e.id === id));
    const fresh = await openEngineStore(dirOf(), { cacheDir: cache });
    try {
      const sent = recordStatements(fresh);
      const want = ids.map((id) => expected.find((e) => e.id === id));
      const check = async () => {
        for (const [i, id] of ids.entries()) expect({ id, got: fields((await fresh.get(id))!) }).toEqual({ id, got: fields(want[i]!) });
        for (const id of absent) expect(await fresh.get(id)).toBeUndefined();
      };
      await check();
      // The search reads the id's columns and yields a rowid; only the one row found is read whole.
      expect(sent.filter((sql) => /WHERE CASE WHEN eventid/.test(sql)).every((sql) => sql.startsWith('SELECT rowid::DOUBLE AS r FROM cloudtrail WHERE'))).toBe(true);
      await engineTable(fresh.engine, DUCKDB);
      sent.length = 0;
      await check();
      expect(sent.length).toBe(ids.length);
      expect(sent.every((sql) => /WHERE rowid BETWEEN (\d+) AND \1 AND rowid IN \(\d+\)/.test(sql))).toBe(true);
    } finally {
      await fresh.close();
    }
  }, 120_000);
});

/** The SQL statements a store sends its engine from now on (the engine still runs them). */
function recordStatements(store: EngineStore): string[] {
  const sent: string[] = [];
  const engine = store.engine;
  const withConnection = engine.withConnection.bind(engine);
  engine.withConnection = (read) =>
    withConnection((conn) => {
      const stream = conn.stream.bind(conn);
      const runAndReadAll = conn.runAndReadAll.bind(conn);
      conn.stream = (sql, ...rest) => (sent.push(sql), stream(sql, ...rest));
      conn.runAndReadAll = (sql, ...rest) => (sent.push(sql), runAndReadAll(sql, ...rest));
      return read(conn);
    });
  return sent;
}

describe('the engine store over a directory with files it cannot use', () => {
  it('counts a non-CloudTrail file and a corrupt one as skipped, as the files store does', async () => {
    const dir = await writeDirWithUnusableFiles();
    try {
      const files = await openFilesStore(dir, { cacheDir: false });
      const engine = await openEngineStore(dir, { cacheDir: false });
      try {
        const skipped = engine.skipped;
        expect(skipped.files).toBe(2);
        expect(skipped.files).toBe(files.skipped.files);
        expect(skipped.examples.map((e) => e.file).sort()).toEqual([CORRUPT_GZIP_FILE, NOT_CLOUDTRAIL_FILE].sort());
        expect({ ...skipped, examples: [] }).toEqual({ ...files.skipped, examples: [] });
        expect((await engine.status()).skipped).toEqual(skipped);
        expect((await engine.status()).count).toBe((await files.status()).count);
      } finally {
        await engine.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('TRAILBOOK_FILES_ENGINE=duckdb', () => {
  it('serves the files source from the engine, and `sql` from the same load', async () => {
    const env = { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: STRATUS, TRAILBOOK_FILES_ENGINE: 'duckdb', TRAILBOOK_CACHE_DIR: cache } as const;
    const store = await openStore(loadDataConfig(env));
    try {
      expect(store).toBeInstanceOf(EngineStore);
      expect(await openStore(loadDataConfig(env))).toBe(store);
      const sql = await openSqlSource(loadDataConfig(env));
      const viaTool = await sqlSourceFor(store);
      const count = 'SELECT count(*) AS n FROM cloudtrail';
      expect((await sql.query(count)).rows).toEqual([{ n: (await store.status()).count }]);
      // Closing what `sql` got leaves the store's engine open for the tools.
      await sql.close();
      await viaTool.close();
      expect((await (await sqlSourceFor(store)).query(count)).rows).toEqual([{ n: 310 }]);
      expect((await store.query({ limit: 1 })).events).toHaveLength(1);
    } finally {
      await store.close?.();
    }
    // A closed store is not handed out again.
    const again = await openStore(loadDataConfig(env));
    expect(again).not.toBe(store);
    await again.close?.();
  }, 60_000);

  it('reaches the kernel, whose environment is allow-listed', () => {
    // Without it a kernel's tools would parse the files while its `sql` loads the table: two loads again.
    expect(isKernelVariable('TRAILBOOK_FILES_ENGINE')).toBe(true);
  });

  it('keeps the files store by default and refuses other values', async () => {
    expect(loadDataConfig({ TRAILBOOK_SOURCE: 'files' }).TRAILBOOK_FILES_ENGINE).toBeUndefined();
    expect(() => loadDataConfig({ TRAILBOOK_FILES_ENGINE: 'sqlite' })).toThrow(/TRAILBOOK_FILES_ENGINE/);
  });
});

describe('the DuckDB dialect', () => {
  it('reads eventTime as Date.parse does, offsets and fractions included', async () => {
    const store = await openEngineStore(STRATUS, { cacheDir: cache });
    try {
      const times = ['2026-10-27T05:25:12Z', '2026-10-27T05:25:12.5Z', '2026-10-27T05:25:12+01:00', '2026-10-27T05:25:12.250-07:30'];
      const r = await store.engine.query(`SELECT ${DUCKDB.time} AS t FROM (VALUES ${times.map((t) => `('${t}')`).join(', ')}) v(eventtime)`);
      expect(r.rows.map((row) => Number(row.t))).toEqual(times.map((t) => Date.parse(t)));
    } finally {
      await store.close();
    }
  });
});
