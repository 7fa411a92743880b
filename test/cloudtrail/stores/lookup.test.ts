import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normalise, type TrailEvent } from '../../../cloudtrail/event.ts';
import { matches, type ProgressReport } from '../../../cloudtrail/query.ts';
import { CloudTrailRecord } from '../../../cloudtrail/record.ts';
import { chooseLookupAttribute, LookupStore, type LookupStoreOptions } from '../../../cloudtrail/stores/lookup.ts';
import { MemoryStore } from '../../../cloudtrail/stores/memory.ts';
import { startFakeCloudTrail, type FakeCloudTrail } from '../../support/fake-cloudtrail.ts';
import { rawRecords, STRATUS } from '../../fixtures/cloudtrail/index.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const HOUR = 3600_000;
const DAY = 24 * HOUR;
// A past UTC day inside LookupEvents' 90-day retention; every event falls on it.
const day = Math.floor(Date.now() / DAY) * DAY - 5 * DAY;

const users = ['alice', 'bob', 'carol'];
const names = [
  ['s3.amazonaws.com', 'GetObject', true],
  ['ec2.amazonaws.com', 'RunInstances', false],
  ['iam.amazonaws.com', 'CreateUser', false],
  ['s3.amazonaws.com', 'ListBuckets', true],
] as const;

function record(i: number, region = 'us-east-1', time = day + HOUR + i * 37_000): CloudTrailRecord {
  const [source, name, readOnly] = names[i % names.length];
  return CloudTrailRecord.parse({
    eventVersion: '1.09',
    eventID: `ev-${String(i).padStart(4, '0')}`,
    eventTime: new Date(time).toISOString().replace('.000Z', 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: region,
    readOnly,
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15',
    errorCode: i % 7 === 0 ? 'AccessDenied' : undefined,
    userIdentity: { type: 'IAMUser', userName: users[i % users.length], arn: `arn:aws:iam::111122223333:user/${users[i % users.length]}`, accountId: '111122223333', accessKeyId: `AKIA${String(i % users.length).padStart(16, '0')}` },
    recipientAccountId: '111122223333',
  });
}

const fast: Partial<LookupStoreOptions> = { ratePerSecond: 1000, burst: 1000, retryBaseMs: 10, sdkMaxAttempts: 1 };

let fake: FakeCloudTrail;
const stores: LookupStore[] = [];
function store(o: Partial<LookupStoreOptions> = {}): LookupStore {
  const s = new LookupStore({ regions: ['us-east-1'], endpoint: fake.url, credentials, ...fast, ...o });
  stores.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const window = { start: day, end: day + DAY };

describe('lookup source against a local CloudTrail endpoint', () => {
  const records = Array.from({ length: 120 }, (_, i) => record(i));
  const events = records.map(normalise);

  beforeAll(async () => {
    fake = await startFakeCloudTrail(records);
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.requests.length = 0;
    fake.inject.length = 0;
  });

  it('follows NextToken pages with one fixed window and returns every event, oldest first', async () => {
    const progress: ProgressReport[] = [];
    const page = await store().query({ ...window, limit: 1000 }, { onProgress: (p) => progress.push(p) });
    expect(page.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(page.nextCursor).toBeUndefined();
    const calls = fake.lookups();
    expect(calls).toHaveLength(3); // 50 + 50 + 20
    expect(calls[0].body.NextToken).toBeUndefined();
    expect(calls.slice(1).every((c) => typeof c.body.NextToken === 'string')).toBe(true);
    expect(new Set(calls.map((c) => `${c.body.StartTime}/${c.body.EndTime}`)).size).toBe(1);
    expect(calls[0].body.StartTime).toBe(day / 1000);
    expect(calls[0].body.LookupAttributes).toBeUndefined();
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3]);
    expect(progress.at(-1)?.detail).toContain('120 events');
  });

  it('sends one most-selective attribute and filters the rest client-side', async () => {
    const q = { ...window, principal: 'alice', eventName: 'GetObject', readOnly: true };
    const page = await store().query(q);
    const expected = events.filter((e) => matches(e, q));
    expect(expected.length).toBeGreaterThan(3);
    expect(page.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    for (const c of fake.lookups()) expect(c.body.LookupAttributes).toEqual([{ AttributeKey: 'Username', AttributeValue: 'alice' }]);

    fake.requests.length = 0;
    const bySource = await store().query({ ...window, eventSource: 's3.amazonaws.com', errorsOnly: true });
    expect(bySource.events.map((e) => e.id)).toEqual(events.filter((e) => e.source === 's3.amazonaws.com' && e.errorCode).map((e) => e.id));
    expect(fake.lookups()[0].body.LookupAttributes).toEqual([{ AttributeKey: 'EventSource', AttributeValue: 's3.amazonaws.com' }]);
  });

  it('ranks attributes EventId > AccessKeyId > Username > ResourceName > EventName > EventSource > ReadOnly', () => {
    const all = { eventId: 'e1', accessKeyId: 'AKIAX', principal: 'alice', resourceName: 'bucket', eventName: 'GetObject', eventSource: 's3.amazonaws.com', readOnly: false };
    const order: string[] = [];
    let q: Record<string, unknown> = { ...all };
    for (const field of ['eventId', 'accessKeyId', 'principal', 'resourceName', 'eventName', 'eventSource', 'readOnly']) {
      order.push(chooseLookupAttribute(q)!.AttributeKey!);
      const { [field]: _, ...rest } = q;
      q = rest;
    }
    expect(order).toEqual(['EventId', 'AccessKeyId', 'Username', 'ResourceName', 'EventName', 'EventSource', 'ReadOnly']);
    expect(chooseLookupAttribute({ readOnly: false })).toEqual({ AttributeKey: 'ReadOnly', AttributeValue: 'false' });
    expect(chooseLookupAttribute({ principal: 'AKIAIOSFODNN7EXAMPLE' })?.AttributeKey).toBe('AccessKeyId');
    expect(chooseLookupAttribute({ principal: 'arn:aws:sts::1:assumed-role/Admin/jane.doe' })).toEqual({ AttributeKey: 'Username', AttributeValue: 'jane.doe' });
    expect(chooseLookupAttribute({ errorsOnly: true })).toBeUndefined();
  });

  it('reorders newest-first responses to the query order and pages with an opaque cursor without new requests', async () => {
    const s = store();
    const desc = await s.query({ ...window, order: 'desc', limit: 1000 });
    expect(desc.events.map((e) => e.id)).toEqual([...events].reverse().map((e) => e.id));
    const requestsAfterFirst = fake.lookups().length;
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.query({ ...window, order, limit: 17, cursor });
        expect(page.events.length).toBeLessThanOrEqual(17);
        seen.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      const expected = events.map((e) => e.id);
      expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
    }
    expect(fake.lookups().length).toBe(requestsAfterFirst);
    await expect(s.query({ ...window, cursor: 'garbage' })).rejects.toThrow(/Invalid lookup cursor/);
  });

  it('retries throttling, explicitly after the SDK gives up, and fails with a clear message when it persists', async () => {
    fake.inject.push({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }, { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } });
    const page = await store({ throttleRetries: 3 }).query({ ...window, eventName: 'CreateUser' });
    expect(page.events).toHaveLength(events.filter((e) => e.name === 'CreateUser').length);
    expect(fake.lookups()).toHaveLength(3);

    fake.requests.length = 0;
    for (let i = 0; i < 10; i++) fake.inject.push({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } });
    const err = await store({ throttleRetries: 2 }).query({ ...window, eventName: 'RunInstances' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/LookupEvents in us-east-1 is still throttled after 3 tries.*Rate exceeded.*2 requests per second/);
    expect(fake.lookups()).toHaveLength(3);
  });

  it("lets the SDK's own retry handle a throttle, and rate-limits its retries too", async () => {
    fake.inject.push({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } });
    const s = store({ sdkMaxAttempts: 2, throttleRetries: 0, ratePerSecond: 1, burst: 1 });
    const page = await s.query({ ...window, eventName: 'ListBuckets' });
    expect(page.events.length).toBe(events.filter((e) => e.name === 'ListBuckets').length);
    // Both HTTP attempts of the one SDK call passed the limiter (the SDK's own backoff alone is random, < 1 s).
    expect(s.requestCount).toBe(2);
    const [a, b] = fake.lookups();
    expect(b.at - a.at).toBeGreaterThanOrEqual(950);
  });

  it('surfaces AccessDenied and InvalidLookupAttributes clearly', async () => {
    fake.inject.push({ status: 400, body: { __type: 'AccessDeniedException', message: 'User: arn:aws:iam::1:user/x is not authorized to perform: cloudtrail:LookupEvents' } });
    await expect(store().query(window)).rejects.toThrow(/LookupEvents failed in us-east-1 \(AccessDeniedException\): User: .* not authorized.*needs the cloudtrail:LookupEvents permission/);
    fake.inject.push({ status: 400, body: { __type: 'InvalidLookupAttributesException', message: 'bad attribute' } });
    await expect(store().query(window)).rejects.toThrow(/\(InvalidLookupAttributesException\): bad attribute.*one attribute/);
  });

  it('counts event names and reports status over the retention window', async () => {
    const s = store();
    const counts = await s.eventNames({ ...window, eventSource: 's3.amazonaws.com' });
    expect(counts).toEqual(await new MemoryStore(events).eventNames({ ...window, eventSource: 's3.amazonaws.com' }));
    expect(counts.map((c) => c.name).sort()).toEqual(['GetObject', 'ListBuckets']);
    const st = await s.status();
    expect(st.kind).toBe('lookup');
    expect(st.regions).toEqual(['us-east-1']);
    expect(st.end! - st.start!).toBe(90 * DAY);
    expect(st.location).toContain('us-east-1');
  });
});

describe('lookup rate limit, regions and cache', () => {
  const east = Array.from({ length: 25 }, (_, i) => record(i, 'us-east-1', day + 2 * HOUR + i * 60_000));
  const west = Array.from({ length: 25 }, (_, i) => record(100 + i, 'eu-west-1', day + 2 * HOUR + i * 60_000 + 30_000));
  let cacheDir: string;

  beforeAll(async () => {
    fake = await startFakeCloudTrail([...east, ...west]);
    cacheDir = await mkdtemp(join(tmpdir(), 'trailbook-lookup-'));
  });
  afterAll(async () => {
    await fake.close();
    await rm(cacheDir, { recursive: true, force: true });
  });
  afterEach(() => {
    fake.requests.length = 0;
  });

  it('merges regions by time and keeps each region at or under 2 requests per second', async () => {
    // The default limiter (just under 2 requests/s per region, burst 1), not the fast test settings.
    const s = store({ regions: ['us-east-1', 'eu-west-1'], ratePerSecond: undefined, burst: undefined, pageSize: 10 });
    const t0 = Date.now();
    const page = await s.query({ ...window, limit: 1000 });
    const elapsed = Date.now() - t0;
    const expected = [...east, ...west].map(normalise).sort((a, b) => a.time - b.time);
    expect(page.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(new Set(page.events.map((e) => e.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    for (const region of ['us-east-1', 'eu-west-1']) {
      const times = fake.lookups().filter((r) => r.region === region).map((r) => r.at);
      expect(times).toHaveLength(3);
      // Arrival times at the fake: on a loaded machine one request can arrive ~100 ms late and shorten the next
      // gap (seen: 439 ms); an unlimited client sends them a few ms apart, so these bounds still catch one.
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(350);
      // Never three requests inside one second.
      for (let i = 2; i < times.length; i++) expect(times[i] - times[i - 2]).toBeGreaterThanOrEqual(850);
    }
    // Regions have separate buckets: 3 pages each take ~1s, not ~2.5s.
    expect(elapsed).toBeLessThan(2200);
  });

  it('shares one limiter per region between stores in a process', async () => {
    const [a, b] = [store({ ratePerSecond: 2, burst: 1 }), store({ ratePerSecond: 2, burst: 1 })];
    await Promise.all([a.query({ ...window, eventName: 'GetObject' }), b.query({ ...window, eventName: 'RunInstances' })]);
    const [first, second] = fake.lookups();
    expect(second.at - first.at).toBeGreaterThanOrEqual(450);
  });

  it('answers a quiet 90-day window with one request per region, falling back to daily chunks when busy', async () => {
    const expected = [...east, ...west].map(normalise).sort((a, b) => a.time - b.time).map((e) => e.id);
    const quiet = await store({ regions: ['us-east-1', 'eu-west-1'] }).query({ limit: 1000 });
    expect(quiet.events.map((e) => e.id)).toEqual(expected);
    expect(fake.lookups().map((r) => r.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(fake.lookups()[0].body.EndTime - fake.lookups()[0].body.StartTime).toBeGreaterThan(89 * 86_400);

    fake.requests.length = 0;
    const busy = await store({ regions: ['us-east-1', 'eu-west-1'], pageSize: 10 }).query({ limit: 1000, order: 'desc' });
    expect(busy.events.map((e) => e.id)).toEqual([...expected].reverse());
    const calls = fake.lookups().filter((r) => r.region === 'us-east-1');
    // One probe page, then one or more pages per day; the day with the events needs 3.
    expect(calls.filter((c) => c.body.EndTime - c.body.StartTime > 86_400)).toHaveLength(1);
    expect(calls.length).toBeGreaterThanOrEqual(1 + 89 + 2);
  });

  it('serves a re-run from the disk cache with zero requests', async () => {
    const first = await store({ regions: ['us-east-1', 'eu-west-1'], cacheDir }).query({ ...window, principal: 'bob' });
    expect(fake.lookups().length).toBe(2);
    expect((await readdir(cacheDir)).length).toBe(2);
    const entry = JSON.parse(await readFile(join(cacheDir, (await readdir(cacheDir))[0]), 'utf8'));
    expect(entry.immutable).toBe(true);
    expect(entry.key).toContain(new Date(day).toISOString());
    fake.requests.length = 0;
    const again = await store({ regions: ['us-east-1', 'eu-west-1'], cacheDir }).query({ ...window, principal: 'bob' });
    expect(fake.lookups()).toHaveLength(0);
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    expect(again.events[0].principal.name).toBe('bob');
  });

  it('expires cache entries for windows that touch now after the TTL', async () => {
    const recent = { start: Math.floor(Date.now() / DAY) * DAY };
    await store({ cacheDir, ttlMs: 60_000 }).query(recent);
    expect(fake.lookups()).toHaveLength(1);
    await store({ cacheDir, ttlMs: 60_000 }).query(recent);
    expect(fake.lookups()).toHaveLength(1);
    await store({ cacheDir, ttlMs: 0 }).query(recent);
    expect(fake.lookups()).toHaveLength(2);
  });
});

describe('lookup windows that end now', () => {
  it('keeps StartTime/EndTime fixed across NextToken pages while the clock moves', async () => {
    // A real, moving clock set to midday UTC: a window of the last two hours then lies in one day's chunk whatever
    // the time the test runs (near midnight it would span two chunks and make other requests).
    const started = Date.now();
    const now = Math.floor(started / DAY) * DAY + DAY / 2;
    const clock = () => now + (Date.now() - started);
    const recent = Array.from({ length: 12 }, (_, i) => record(500 + i, 'us-east-1', now - 3_600_000 + i * 60_000));
    fake = await startFakeCloudTrail(recent);
    try {
      const page = await store({ pageSize: 5, ratePerSecond: 20, burst: 1, now: clock }).query({ start: now - 2 * 3_600_000 });
      expect(page.events.map((e) => e.id)).toEqual(recent.map((r) => r.eventID));
      const calls = fake.lookups();
      expect(calls).toHaveLength(3);
      expect(new Set(calls.map((c) => c.body.EndTime)).size).toBe(1);
      expect(calls[0].body.EndTime * 1000).toBeGreaterThanOrEqual(now);
      expect(calls[2].at - calls[0].at).toBeGreaterThanOrEqual(80); // the clock did move between pages
    } finally {
      await fake.close();
    }
  });
});

describe('lookup with damaged event details', () => {
  it('keeps an event whose CloudTrailEvent is not JSON, from the summary fields', async () => {
    const recs = [record(1), record(2)];
    fake = await startFakeCloudTrail(recs, { edit: (e) => (e.EventId === 'ev-0002' ? { ...e, CloudTrailEvent: '{"eventVersion": trunc' } : e) });
    try {
      const page = await store().query(window);
      expect(page.events.map((e) => e.id)).toEqual(['ev-0001', 'ev-0002']);
      expect(page.events[1]).toMatchObject({ name: recs[1].eventName, source: recs[1].eventSource, time: Date.parse(recs[1].eventTime), region: 'us-east-1' });
      expect(page.events[1].principal).toMatchObject({ name: 'carol', accessKeyId: recs[1].userIdentity!.accessKeyId });
    } finally {
      await fake.close();
    }
  });
});

describe('lookup agrees with the memory store on real CloudTrail records', () => {
  let memory: MemoryStore;
  let originals: TrailEvent[];

  beforeAll(async () => {
    const raw: unknown[] = rawRecords(STRATUS);
    const recs = raw.map((r) => CloudTrailRecord.parse(r));
    const latest = Math.max(...recs.map((r) => Date.parse(r.eventTime)));
    // Moved into the retention window (compressed 3x) and onto two real regions; everything else untouched.
    const moved = recs.map((r, i) =>
      CloudTrailRecord.parse({ ...r, eventTime: new Date(day - Math.floor((latest - Date.parse(r.eventTime)) / 3 / 1000) * 1000).toISOString().replace('.000Z', 'Z'), awsRegion: i % 2 ? 'us-east-1' : 'eu-west-1' }),
    );
    originals = moved.map(normalise);
    memory = new MemoryStore(originals);
    fake = await startFakeCloudTrail(moved);
  });
  afterAll(() => fake.close());

  it('returns the same events as the memory store for several queries', async () => {
    const s = store({ regions: ['us-east-1', 'eu-west-1'] });
    const principal = originals.find((e) => e.principal.type === 'IAMUser')!.principal.name;
    const source = originals[0].source;
    const queries = [{ limit: 5000 }, { principal, limit: 5000 }, { eventSource: source, order: 'desc' as const, limit: 5000 }, { errorsOnly: true, limit: 5000 }];
    for (const q of queries) {
      const [a, b] = await Promise.all([s.query(q), memory.query(q)]);
      expect(a.events.map((e) => e.id)).toEqual(b.events.map((e) => e.id));
    }
    expect(originals.length).toBe(310);
  });
});
