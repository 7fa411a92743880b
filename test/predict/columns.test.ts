import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionOf, type TrailEvent } from '../../cloudtrail/event.ts';
import { generate } from '../../cloudtrail/generator/index.ts';
import { openEngineStore, type EngineStore } from '../../cloudtrail/stores/engine.ts';
import { openFilesStore, type FilesStore } from '../../cloudtrail/stores/files.ts';
import { burstContext } from '../../predict/burst-model.ts';
import { columnsBehind, groupColumns, type TrainingColumns } from '../../predict/columns.ts';
import { groupByPrincipal } from '../../predict/corpus.ts';
import { readEvents, readTrainingColumns, trainEngine, trainEngineFromStore, type Engine } from '../../predict/engine.ts';
import { nextActions } from '../../predict/service.ts';
import { INVICTUS, STRATUS } from '../fixtures/cloudtrail/index.ts';
import { eventFields } from '../support/event-fields.ts';
import { ev, HOUR, markovEvents, MIN, T0 } from './support.ts';

/** An event as a plain object: every field an own data property, as a store of parsed records hands out. */
const plain = (e: TrailEvent): TrailEvent => ({ ...eventFields(e), principal: e.principal, resources: [], raw: undefined as never });

/** Every answer an engine gives, compared with the engine trained from the same events as plain objects. */
function expectSameEngine(got: Engine, want: Engine): void {
  expect(got.eventCount).toBe(want.eventCount);
  expect([...got.profiles.keys()]).toEqual([...want.profiles.keys()]);
  expect(JSON.stringify([...got.profiles.values()])).toBe(JSON.stringify([...want.profiles.values()]));
  expect(got.peers.groups).toEqual(want.peers.groups);
  expect([...got.peers.groupOf]).toEqual([...want.peers.groupOf]);
  expect(got.model.vocab.names).toEqual(want.model.vocab.names);
  expect(got.bursts!.featureWeights()).toEqual(want.bursts!.featureWeights());
  expect(got.bursts!.fitted).toEqual(want.bursts!.fitted);
  expect(JSON.stringify(got.bursts!.shapes.shapes)).toBe(JSON.stringify(want.bursts!.shapes.shapes));
  expect([...got.events.keys()]).toEqual([...want.events.keys()]);
  expect([...got.events].map(([k, list]) => [k, list.length])).toEqual([...want.events].map(([k, list]) => [k, list.length]));
  expect(got.events.size).toBe(want.events.size);
  for (const [principal, list] of want.events) {
    expect(got.events.get(principal)!.map(eventFields)).toEqual(list.map(eventFields));
    expect(got.peers.similar(principal)).toEqual(want.peers.similar(principal));
    // The tools' answer: the principal's history as context, both levels.
    expect(nextActions(got, { principal, k: 10 })).toEqual(nextActions(want, { principal, k: 10 }));
    for (const at of [1, Math.floor(list.length / 2), list.length]) {
      const recent = list.slice(Math.max(0, at - 20), at).map(actionOf);
      expect(got.model.predict(principal, 5, { recent })).toEqual(want.model.predict(principal, 5, { recent }));
      const ctx = burstContext(list.slice(0, at), 15);
      expect(got.bursts!.predict(principal, ctx, 5)).toEqual(want.bursts!.predict(principal, ctx, 5));
    }
  }
  expect(got.sequences).toEqual(want.sequences);
}

let generated: string;
afterAll(() => generated && rm(generated, { recursive: true, force: true }));

describe.each([
  ['a generated sample', async () => (generated = await mkdtemp(join(tmpdir(), 'trailbook-predict-columns-')), generate({ outDir: generated, events: 6000, days: 6, seed: 23 }), generated)],
  ['the invictus deliveries', async () => INVICTUS],
  ['the stratus detonations', async () => STRATUS],
])('training from the stores columns, over %s', (_label, dirOf) => {
  let files: FilesStore;
  let engine: EngineStore;
  let want: Engine;
  beforeAll(async () => {
    const dir = await dirOf();
    files = await openFilesStore(dir, { cacheDir: false });
    engine = await openEngineStore(dir, { cacheDir: false });
    const events: TrailEvent[] = [];
    for await (const e of files.scan()) events.push(plain(e));
    want = trainEngine(events);
  }, 120_000);
  afterAll(() => engine?.close());

  const stores = () => [
    ['files', files],
    ['engine', engine],
  ] as const;

  it('reads columns, not events, for a whole-store read of either local store', async () => {
    for (const [, store] of stores()) {
      const read = await readTrainingColumns(store);
      expect(Array.isArray(read)).toBe(false);
      expect((read as TrainingColumns).count).toBe(want.eventCount);
      // In time order per principal, as the stores keep them: trained from as columns, not handed back as events.
      expect(groupColumns(read as TrainingColumns)?.keys).toEqual([...want.profiles.keys()]);
      // A filtered read is events (the other stores' path).
      expect(Array.isArray(await readTrainingColumns(store, { principal: [...want.profiles.keys()][0] }))).toBe(true);
    }
  });

  it('trains from each store what plain objects train (trainEngineFromStore)', async () => {
    for (const [, store] of stores()) expectSameEngine(await trainEngineFromStore(store), want);
  });

  it('trains from the columns behind what readEvents returned, and from the events once the array changed', async () => {
    for (const [, store] of stores()) {
      const events = await readEvents(store);
      expect(columnsBehind(events)).toBeDefined();
      const engineOfRead = trainEngine(events);
      expectSameEngine(engineOfRead, want);
      // The engine's events are the ones read.
      const [principal, list] = [...engineOfRead.events][0];
      expect(list[0]).toBe(events.find((e) => e.principal.key === principal));
      // Reordered: no longer the columns' order, so trained from as events (same answers: the lists are re-sorted).
      events.reverse();
      expect(columnsBehind(events)).toBeUndefined();
      expect(trainEngine(events).eventCount).toBe(want.eventCount);
    }
  });

  it("makes a principal's event list when it is first read, and the lists behave as a Map", async () => {
    const got = await trainEngineFromStore(engine);
    const [first, second] = [...want.events.keys()];
    const list = got.events.get(first)!;
    expect(got.events.get(first)).toBe(list);
    expect(list.map(eventFields)).toEqual(want.events.get(first)!.map(eventFields));
    expect(got.events.has(first) && !got.events.has('nobody') && got.events.get('nobody') === undefined).toBe(true);
    const seen: string[] = [];
    got.events.forEach((l, k, map) => (expect(map.get(k)).toBe(l), seen.push(k)));
    expect(seen).toEqual([...want.events.keys()]);
    got.events.set('extra', []);
    expect([...got.events.keys()].at(-1)).toBe('extra');
    if (second !== undefined) expect(got.events.delete(second) && !got.events.has(second)).toBe(true);
    expect(got.events.size).toBe(want.events.size + (second === undefined ? 1 : 0));
  });

  it('trains from filtered reads as from the same events as plain objects', async () => {
    const times = [...want.events.values()].flatMap((list) => list.map((e) => e.time)).sort((a, b) => a - b);
    const start = times[Math.floor(times.length / 2)];
    const events: TrailEvent[] = [];
    for await (const e of files.scan({ start })) events.push(plain(e));
    expect(events.length).toBeGreaterThan(0);
    const filtered = trainEngine(events);
    for (const [, store] of stores()) expectSameEngine(await trainEngineFromStore(store, { start }), filtered);
  });
});

/** Columns over plain events in a given order (one string table), as a store lends them. */
function columnsOf(events: TrailEvent[]): TrainingColumns {
  const texts: string[] = [''];
  const ids = new Map<string, number>([['', 0]]);
  const code = (s: string | undefined) => {
    let id = ids.get(s ?? '');
    if (id === undefined) ids.set(s!, (id = texts.push(s!) - 1));
    return id;
  };
  const col = (f: (e: TrailEvent) => string | undefined) => ({ codes: Uint32Array.from(events, (e) => code(f(e))), texts });
  const principals = [...new Set(events.map((e) => e.principal))];
  return {
    count: events.length,
    times: Float64Array.from(events, (e) => e.time),
    source: col((e) => e.source),
    name: col((e) => e.name),
    region: col((e) => e.region),
    sourceIp: col((e) => e.sourceIp),
    userAgent: col((e) => e.userAgent),
    errorCode: col((e) => e.errorCode),
    principal: Int32Array.from(events, (e) => principals.indexOf(e.principal)),
    principalCodes: principals.length,
    principalOf: (c) => principals[c],
    readOnly: Uint8Array.from(events, (e) => (e.readOnly === undefined ? 2 : e.readOnly ? 1 : 0)),
    event: (i) => events[i],
  };
}

describe('training columns', () => {
  // Two users with different habits; bob's errors include a denial, carol has one event without readOnly.
  const events = [
    ...markovEvents('alice', 800, 3),
    ...markovEvents('bob', 500, 5, T0 + 3 * HOUR),
    ev({ user: 'bob', action: 'iam:ListRoles', time: T0 + 40 * HOUR, region: 'us-east-1', ua: 'console.amazonaws.com', error: 'AccessDenied' }),
    ev({ user: 'carol', action: 'sts:GetCallerIdentity', time: T0 + 5 * MIN, ip: '203.0.113.9' }),
    ev({ user: 'carol', action: 'kms:Decrypt', time: T0 + 50 * HOUR, region: 'eu-central-1', error: 'ThrottlingException' }),
  ];
  const sorted = [...events].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));

  it('group the events as groupByPrincipal does', () => {
    const g = groupColumns(columnsOf(sorted))!;
    const by = groupByPrincipal(sorted);
    expect(g.keys).toEqual([...by.keys()]);
    g.keys.forEach((k, i) => expect([...g.events.subarray(g.starts[i], g.starts[i + 1])].map((j) => sorted[j])).toEqual(by.get(k)));
  });

  it('train what the events train, and fall back to the events when a principal is out of time order', () => {
    expectSameEngine(trainEngine(columnsOf(sorted)), trainEngine(sorted));
    // Bob's late event first: groupByPrincipal sorts his list, so the columns cannot be grouped in their order.
    const late = events.findIndex((e) => e.name === 'ListRoles');
    const shuffled = [events[late], ...events.filter((_, i) => i !== late)];
    expect(groupColumns(columnsOf(shuffled))).toBeUndefined();
    expectSameEngine(trainEngine(columnsOf(shuffled)), trainEngine(shuffled));
  });
});
