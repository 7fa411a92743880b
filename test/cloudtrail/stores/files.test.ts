import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalise, type TrailEvent } from '../../../cloudtrail/event.ts';
import { matches, type EventFilter } from '../../../cloudtrail/query.ts';
import { generate } from '../../../cloudtrail/generator/index.ts';
import { openFilesStore, type FilesStore } from '../../../cloudtrail/stores/files.ts';
import { MemoryStore } from '../../../cloudtrail/stores/memory.ts';
import { INVICTUS, rawRecords, STRATUS } from '../../fixtures/cloudtrail/index.ts';

type Raw = Record<string, any>;

function tally(records: Raw[], key: (r: Raw) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

async function all(store: FilesStore, f: EventFilter = {}): Promise<TrailEvent[]> {
  const out: TrailEvent[] = [];
  for await (const e of store.scan(f)) out.push(e);
  return out;
}

describe.each([
  { name: 'invictus-aws', dir: INVICTUS, events: 2900, files: 55 },
  { name: 'stratus-detonations', dir: STRATUS, events: 310, files: 35 },
])('files store on $name', ({ dir, events, files }) => {
  let store: FilesStore;
  let raw: Raw[];
  let loaded: TrailEvent[];
  beforeAll(async () => {
    store = await openFilesStore(dir, { cacheDir: false });
    raw = rawRecords(dir);
    loaded = await all(store);
  });

  it('loads every event of every file, with no errors', () => {
    expect(raw).toHaveLength(events);
    expect(store.stats).toMatchObject({ files, events, invalidRecords: 0 });
    expect(store.errors).toEqual([]);
    expect(loaded).toHaveLength(events);
  });

  it('agrees with the JSON on counts per eventName, errorCode, principal type and readOnly', () => {
    expect(tally(loaded, (e) => e.name)).toEqual(tally(raw, (r) => r.eventName));
    expect(tally(loaded, (e) => e.errorCode ?? '-')).toEqual(tally(raw, (r) => r.errorCode ?? '-'));
    expect(tally(loaded, (e) => e.principal.type)).toEqual(tally(raw, (r) => r.userIdentity?.type ?? 'Unknown'));
    expect(tally(loaded, (e) => String(e.readOnly))).toEqual(tally(raw, (r) => String(r.readOnly === undefined ? undefined : r.readOnly === true || r.readOnly === 'true')));
    expect(tally(loaded, (e) => e.region)).toEqual(tally(raw, (r) => r.awsRegion ?? ''));
  });

  it('keeps every raw record intact and normalises exactly like normalise()', () => {
    const byId = new Map(raw.map((r) => [r.eventID, r]));
    for (const e of loaded.filter((_, i) => i % 7 === 0)) {
      expect(e.raw).toEqual(byId.get(e.id));
      const { raw: _raw, ...expected } = normalise(e.raw);
      const { raw: _raw2, ...actual } = JSON.parse(JSON.stringify(e));
      expect(actual).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(e.readOnly).toBe(expected.readOnly);
      expect(e.errorCode).toBe(expected.errorCode);
    }
  });

  it('counts event names like the JSON does', async () => {
    const top = await store.eventNames({ top: 5 });
    const expected = Object.entries(tally(raw, (r) => `${r.eventSource}:${r.eventName}`)).sort((a, b) => b[1] - a[1]);
    expect(top.map((c) => c.count)).toEqual(expected.slice(0, 5).map(([, n]) => n));
  });
});

describe('principal normalisation on real records (invictus-aws)', () => {
  let loaded: TrailEvent[];
  let raw: Raw[];
  beforeAll(async () => {
    loaded = await all(await openFilesStore(INVICTUS, { cacheDir: false }));
    raw = rawRecords(INVICTUS);
  });

  it('IAM users: the user name is the key', () => {
    const bert = loaded.filter((e) => e.principal.type === 'IAMUser' && e.principal.name === 'bert-jan');
    expect(bert).toHaveLength(raw.filter((r) => r.userIdentity?.userName === 'bert-jan').length);
    expect(bert[0].principal).toMatchObject({ key: 'bert-jan', arn: expect.stringMatching(/:user\/bert-jan$/), accessKeyId: expect.stringMatching(/^A[SK]IA/) });
  });

  it('assumed roles: the session issuer names the role, the ARN gives the session', () => {
    const assumed = loaded.filter((e) => e.principal.type === 'AssumedRole');
    expect(assumed.length).toBe(raw.filter((r) => r.userIdentity?.type === 'AssumedRole').length);
    for (const e of assumed) {
      const issuer = e.raw.userIdentity?.sessionContext?.sessionIssuer?.userName;
      if (issuer) expect(e.principal.name).toBe(issuer);
      expect(e.principal.session).toBe(e.raw.userIdentity!.arn!.split('/').pop());
    }
    const rds = assumed.find((e) => e.principal.name === 'AWSServiceRoleForRDS');
    expect(rds?.principal.session).toBe('SLRManagement');
  });

  it('AWS services: invokedBy names the principal and there is no ARN', () => {
    const services = loaded.filter((e) => e.principal.type === 'AWSService');
    expect(services.length).toBe(34);
    for (const e of services) {
      expect(e.principal.name).toBe(e.raw.userIdentity!.invokedBy);
      expect(e.principal.arn).toBeUndefined();
    }
    expect(loaded.filter((e) => e.principal.arn === undefined)).toHaveLength(raw.filter((r) => !r.userIdentity?.arn).length);
  });
});

describe('files store queries', () => {
  let store: FilesStore;
  let everything: TrailEvent[];
  beforeAll(async () => {
    store = await openFilesStore(INVICTUS, { workers: 2, cacheDir: false });
    everything = await all(store);
  });

  it('pages ascending and descending through every event exactly once', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query({ limit: 97, cursor, order });
        ids.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      const expected = everything.map((e) => e.id);
      expect(ids).toEqual(order === 'asc' ? expected : expected.reverse());
    }
  });

  it('applies every filter exactly like `matches`', async () => {
    const mid = everything[1400].time;
    const filters: EventFilter[] = [
      { principal: 'bert-jan', errorsOnly: true },
      { eventName: 'ListBuckets' },
      { eventName: 'ListBuckets', principal: 'benjamin' },
      { eventSource: 'iam.amazonaws.com', readOnly: false },
      { start: mid, end: mid + 600_000, readOnly: true },
      { principal: 'AWSServiceRoleForRDS' },
      { principal: 'rds.amazonaws.com' },
      { principal: 'nobody-at-all' },
    ];
    for (const f of filters) {
      const expected = everything.filter((e) => matches(e, f)).map((e) => e.id);
      const paged: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.query({ ...f, limit: 40, cursor });
        paged.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged, JSON.stringify(f)).toEqual(expected);
      expect((await all(store, f)).map((e) => e.id)).toEqual(expected);
      const desc = (await store.query({ ...f, limit: 100_000, order: 'desc' })).events.map((e) => e.id);
      expect(desc).toEqual([...expected].reverse());
    }
    expect(filters.some((f) => everything.filter((e) => matches(e, f)).length > 40)).toBe(true);
  });

  it('reports its status and progress', async () => {
    const s = await store.status();
    expect(s).toMatchObject({ kind: 'files', location: INVICTUS, count: 2900, regions: ['us-east-1'] });
    expect(s.start).toBe(everything[0].time);
    // Answered from the columns: the same as the base class walking every event gives.
    for (const dir of [INVICTUS, STRATUS]) {
      const opened = await openFilesStore(dir, { cacheDir: false });
      const events: TrailEvent[] = [];
      for await (const e of opened.scan()) events.push(e);
      const walked = await new MemoryStore(events, { kind: 'files', location: dir, sorted: true, version: `${opened.stats.files}:${opened.stats.events}`, skipped: opened.skipped }).status();
      expect(await opened.status()).toEqual(walked);
    }
    expect((await openFilesStore(STRATUS, { cacheDir: false }).then((o) => o.status())).regions.length).toBeGreaterThan(1);
    const phases: string[] = [];
    await openFilesStore(STRATUS, { cacheDir: false, onProgress: (p) => phases.push(`${p.phase}:${p.done}/${p.total}`) });
    expect(phases[0]).toBe('read:0/35');
    expect(phases).toContain('read:35/35');
    expect(phases.at(-1)).toBe('index:310/310');
  });
});

describe('files store views made as queries visit events', () => {
  it('answers a fresh store like one whose every view was made, and an event is the same object whichever way it is reached', async () => {
    const made = await openFilesStore(INVICTUS, { cacheDir: false });
    const everything = made.predictionColumns().events();
    const fresh = await openFilesStore(INVICTUS, { cacheDir: false });
    const mid = everything[1400].time;
    const filters: EventFilter[] = [{ principal: 'bert-jan' }, { start: mid, end: mid + 600_000 }, { eventName: 'ListBuckets' }];
    const reached = new Map<string, TrailEvent>();
    for (const f of filters) {
      const first = await fresh.query({ ...f, limit: 30 });
      const next = first.nextCursor ? await fresh.query({ ...f, limit: 30, cursor: first.nextCursor }) : { events: [] };
      const want = everything.filter((e) => matches(e, f));
      expect(JSON.stringify([...first.events, ...next.events])).toBe(JSON.stringify(want.slice(0, 60)));
      for (const e of [...first.events, ...next.events]) reached.set(e.id, e);
    }
    expect(reached.size).toBeGreaterThan(60);
    // Every view made at once keeps the ones queries made before; later queries answer with the same objects.
    const all = fresh.predictionColumns().events();
    expect(all).toHaveLength(2900);
    for (const e of all) if (reached.has(e.id)) expect(e).toBe(reached.get(e.id));
    const again = await fresh.query({ principal: 'bert-jan', limit: 30 });
    for (const e of again.events) expect(e).toBe(reached.get(e.id));
    expect(JSON.stringify(all)).toBe(JSON.stringify(everything));
  });
});

describe('files store index cache', () => {
  it('reuses the parsed index for unchanged files and re-parses when a file changes', async () => {
    const { mkdtempSync, cpSync, rmSync, readFileSync, writeFileSync } = await import('node:fs');
    const { gunzipSync, gzipSync } = await import('node:zlib');
    const { tmpdir } = await import('node:os');
    const tmp = mkdtempSync(join(tmpdir(), 'trailbook-cache-'));
    try {
      const data = join(tmp, 'data');
      cpSync(STRATUS, data, { recursive: true });
      const cacheDir = join(tmp, 'cache');
      const cold = await openFilesStore(data, { cacheDir });
      await cold.indexSaved;
      const warm = await openFilesStore(data, { cacheDir });
      expect([cold.stats.cached, warm.stats.cached]).toEqual([false, true]);
      const ids = async (s: FilesStore) => (await all(s)).map((e) => JSON.stringify(e));
      expect(await ids(warm)).toEqual(await ids(cold));
      // The fixtures are gzipped: the newline goes inside the compressed JSON, as appending to the .gz would corrupt it.
      const edited = join(data, readdirSync(data).find((f) => f.endsWith('.json.gz'))!);
      writeFileSync(edited, gzipSync(Buffer.concat([gunzipSync(readFileSync(edited)), Buffer.from('\n')])));
      const changed = await openFilesStore(data, { cacheDir });
      expect(changed.stats.cached).toBe(false);
      expect(changed.stats.events).toBe(310);
      await changed.indexSaved;
      await warm.indexSaved;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('parser threads over many batches', () => {
  it('give the events one thread gives, each thread taking batches of its own share and then of the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailbook-batches-'));
    try {
      generate({ outDir: dir, events: 6000, days: 2, seed: 5, accounts: 2 });
      const here = await openFilesStore(dir, { workers: 0, cacheDir: false });
      const threads = await openFilesStore(dir, { workers: 2, cacheDir: false });
      // Several batches of 64 files per thread, two in flight at a time.
      expect(here.stats.files).toBeGreaterThan(4 * 64);
      expect(threads.stats.threads).toBe(2);
      expect(threads.stats.events).toBe(here.stats.events);
      expect((await all(threads)).map((e) => e.id)).toEqual((await all(here)).map((e) => e.id));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
