import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../../cloudtrail/event.ts';
import { generate } from '../../../cloudtrail/generator/index.ts';
import { DUCKDB, openEngineStore, type EngineStore } from '../../../cloudtrail/stores/engine.ts';
import { engineEvents, engineTable, loadResources, readEngineColumns } from '../../../cloudtrail/stores/engine-columns.ts';
import { openFilesStore, type FilesStore } from '../../../cloudtrail/stores/files.ts';
import { fixtureRecords, writeFixtureDir } from '../../mcp/fixture.ts';
import { INVICTUS, STRATUS } from '../../fixtures/cloudtrail/index.ts';
import { eventFields } from '../../support/event-fields.ts';

/**
 * The MCP fixture's records with the ids and fields CloudTrail rarely writes: ids that are not canonical UUIDs
 * (upper case, braces, all zeros, none at all) sharing timestamps with canonical ones, a recipient account only
 * in userIdentity, empty strings, a control character and a record without userIdentity.
 */
function oddRecords(): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = fixtureRecords(120);
  const same = records[10].eventTime;
  const odd = ['4B1D2C3E-0000-4000-8000-00000000ABCD', '{6f1d2c3e-0000-4000-8000-00000000abcd}', '00000000-0000-0000-0000-000000000000', undefined, 'not-a-uuid'];
  odd.forEach((id, i) => {
    const r = records[11 + i];
    r.eventTime = same;
    if (id === undefined) delete r.eventID;
    else r.eventID = id;
  });
  delete records[20].recipientAccountId;
  records[21].errorCode = '';
  records[22].userAgent = '';
  delete records[23].userIdentity;
  records[24].readOnly = undefined;
  records[25].userAgent = 'agent\u0001with a control character';
  return records;
}

/**
 * The MCP fixture's records with some the files store leaves out (readers/shapes.ts invalidReason): a field of the
 * wrong JSON type (which the table, holding text, would take as its text), an eventTime that is not a date,
 * resources that are not objects, and list items that are not records at all.
 */
function invalidRecords(): unknown[] {
  const records: Record<string, unknown>[] = fixtureRecords(120);
  const spoil: ((r: Record<string, unknown>) => unknown)[] = [
    (r) => (r.eventTime = 1_700_000_000_000),
    (r) => (r.eventTime = 'yesterday'),
    (r) => (r.eventSource = 7),
    (r) => (r.eventName = { name: 'GetObject' }),
    (r) => (r.eventName = null),
    (r) => (r.userIdentity = 'root'),
    (r) => (r.awsRegion = 5),
    (r) => (r.eventID = 12345),
    (r) => (r.errorCode = true),
    (r) => (r.resources = { ARN: 'arn:aws:s3:::bucket' }),
    (r) => (r.resources = [{ ARN: 'arn:aws:s3:::bucket' }, 'arn:aws:s3:::other']),
    (r) => (r.resources = [null]),
    (r) => (r.userIdentity = [{ type: 'Root' }]),
  ];
  spoil.forEach((f, i) => f(records[7 * i + 3]));
  // Still valid: null where text, an identity or resources may be absent, an empty resources list, an object
  // without fields in it (the load reads a JSON null's type as 'NULL', an absent field's as NULL).
  records[90].errorCode = null;
  records[91].resources = [];
  records[92].resources = [{}];
  records[93].userIdentity = null;
  records[94].resources = null;
  return [...records, 'a string', 42, null, ['a list']];
}

let generated: string;
let odd: string;
let invalid: string;
beforeAll(async () => {
  generated = await mkdtemp(join(tmpdir(), 'trailbook-engine-columns-'));
  generate({ outDir: generated, events: 3000, days: 4, seed: 5 });
  odd = await writeFixtureDir(oddRecords() as never);
  // One delivery file, as a broken export writes them (the fixture writer files records by their eventTime).
  invalid = await mkdtemp(join(tmpdir(), 'trailbook-engine-columns-invalid-'));
  await writeFile(join(invalid, 'export.json.gz'), gzipSync(JSON.stringify({ Records: invalidRecords() })));
}, 60_000);
afterAll(async () => {
  await rm(generated, { recursive: true, force: true });
  await rm(odd, { recursive: true, force: true });
  await rm(invalid, { recursive: true, force: true });
});

const fields = (e: TrailEvent) => ({ ...eventFields(e), resources: e.resources });

describe.each([
  ['the invictus deliveries', () => INVICTUS],
  ['the stratus detonations', () => STRATUS],
  ['a generated sample', () => generated],
  ['records with odd ids and fields', () => odd],
  ['records the files store leaves out beside valid ones', () => invalid],
])('the engine table read as columns, over %s', (_label, dirOf) => {
  let files: FilesStore;
  let engine: EngineStore;
  let expected: TrailEvent[];
  beforeAll(async () => {
    files = await openFilesStore(dirOf(), { cacheDir: false });
    engine = await openEngineStore(dirOf(), { cacheDir: false });
    expected = [];
    for await (const e of files.scan()) expected.push(e);
  }, 120_000);
  afterAll(() => engine?.close());

  it('gives the files store events, fields and resources, in its (time, id) order', async () => {
    expect(expected.length).toBeGreaterThan(50);
    const table = { columns: await readEngineColumns(engine.engine, DUCKDB), raws: new Map(), resources: new Map() };
    const views = engineEvents(table);
    expect(views.map(eventFields)).toEqual(expected.map(eventFields));
    // Resources are read apart, once asked for: until then the view says where to get them.
    expect(() => views[0].resources).toThrow(/without its resources/);
    await loadResources(engine.engine, table);
    expect(views.map(fields)).toEqual(expected.map(fields));
    expect(views.some((e) => e.resources.length > 0)).toBe(true);
  });

  it('leaves out and counts the records the files store does', async () => {
    expect(engine.skipped.records).toBe(files.skipped.records);
    expect(engine.skipped.files).toBe(files.skipped.files);
    expect(engine.skipped.loadedRecords).toBe(files.skipped.loadedRecords);
    const table = await engineTable(engine.engine, DUCKDB);
    expect(engineEvents(table).map(eventFields)).toEqual(expected.map(eventFields));
    if (dirOf() === invalid) expect(files.skipped.records).toBe(17);
  });

  it('reads a column with more distinct values than an ENUM should carry as text, to the same events', async () => {
    const c = await readEngineColumns(engine.engine, DUCKDB, {}, 3);
    expect(c.values.filter((v) => v.length > 4).length).toBeGreaterThan(0);
    const views = engineEvents({ columns: c, raws: new Map(), resources: new Map() });
    expect(views.map(eventFields)).toEqual(expected.map(eventFields));
  });

  it('shares one string per distinct value and one principal per distinct identity', async () => {
    const c = await readEngineColumns(engine.engine, DUCKDB);
    for (const values of c.values) expect(new Set(values).size).toBe(values.length);
    // Views hand out the shared Principal objects (one per distinct identity, plus the one for no identity).
    const events = engineEvents({ columns: c, raws: new Map(), resources: new Map() });
    const objects = new Set(events.map((e) => e.principal));
    expect(objects.size).toBeLessThanOrEqual(c.principals.length + 1);
    expect(c.principals.length).toBeLessThan(events.length);
    for (const p of c.principals) expect(objects.has(p)).toBe(true);
  });

  it('reads a filtered subset as the files store filters it', async () => {
    const start = expected[Math.floor(expected.length / 3)].time;
    const who = expected[Math.floor(expected.length / 2)].principal.key;
    for (const filter of [{ start }, { principal: who }, { errorsOnly: true }, { readOnly: false, start }]) {
      const want: TrailEvent[] = [];
      for await (const e of files.scan(filter)) want.push(e);
      const got = engineEvents({ columns: await readEngineColumns(engine.engine, DUCKDB, filter), raws: new Map(), resources: new Map() }, filter);
      expect(got.map(eventFields), JSON.stringify(filter)).toEqual(want.map(eventFields));
    }
  });

  it("fetches the records of the events asked for, as the store's get(id) has them", async () => {
    const events = await engine.indexEvents();
    const some = [events[0], events[Math.floor(events.length / 2)], events[events.length - 1]];
    expect(() => some[0].raw).toThrow(/without its record/);
    await engine.withRecords(some);
    for (const e of some) expect(JSON.parse(JSON.stringify(e.raw))).toEqual(JSON.parse(JSON.stringify((await engine.get(e.id))!.raw)));
  });
});

describe('the columns kept beside an on-disk database', () => {
  let cache: string;
  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), 'trailbook-engine-columns-cache-'));
  });
  afterAll(() => rm(cache, { recursive: true, force: true }));

  const open = () => openEngineStore(odd, { cacheDir: cache });
  const readOnce = async () => {
    const store = await open();
    try {
      const table = await engineTable(store.engine, DUCKDB);
      await table.kept;
      await loadResources(store.engine, table);
      return { from: table.columns.from, events: engineEvents(table).map(fields), db: store.engine.opened.path };
    } finally {
      await store.close();
    }
  };

  it('are read back by the next process instead of the table, with the same events and resources', async () => {
    const files = await openFilesStore(odd, { cacheDir: false });
    const expected: TrailEvent[] = [];
    for await (const e of files.scan()) expected.push(e);
    const first = await readOnce();
    expect(first.from).toBe('engine');
    expect(first.events).toEqual(expected.map(fields));
    expect(first.events.some((e) => e.resources.length > 0)).toBe(true);
    // Resources too: the second read's come from the kept copy, not the table.
    const resources = await readFile(`${first.db}.resources`);
    expect(resources.length).toBeGreaterThan(0);
    const second = await readOnce();
    expect(second.from).toBe('kept');
    expect(second.events).toEqual(first.events);
  });

  it('are not trusted when damaged or written for another database file', async () => {
    const { db } = await readOnce();
    const kept = `${db}.columns`;
    const good = await readFile(kept);
    await writeFile(kept, good.subarray(0, good.length >> 1));
    const damaged = await readOnce();
    expect(damaged.from).toBe('engine');
    // Rewritten by that read; now said to belong to a database of another size.
    const header = JSON.parse((await readFile(kept)).toString('utf8', 4, 4 + (await readFile(kept)).readUInt32LE(0)));
    expect(header.db.name).toBe(basename(db));
    const text = await readFile(kept);
    const length = text.readUInt32LE(0);
    const other = Buffer.from(text.toString('utf8', 4, 4 + length).replace(`"size":${header.db.size}`, `"size":${String(header.db.size + 1).padStart(String(header.db.size).length, '0')}`));
    expect(other.length).toBe(length);
    await writeFile(kept, Buffer.concat([text.subarray(0, 4), other, text.subarray(4 + length)]));
    expect((await readOnce()).from).toBe('engine');
    expect((await readOnce()).from).toBe('kept');
    // Same length, one byte of the last array changed: its checksum refuses it.
    const whole = await readFile(kept);
    whole[whole.length - 1] ^= 0xff;
    await writeFile(kept, whole);
    expect((await readOnce()).from).toBe('engine');
    expect((await readOnce()).from).toBe('kept');
  });
});
