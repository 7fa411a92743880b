import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matches, type EventStore } from '../../cloudtrail/query.ts';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { FIXTURE_END } from './fixture.ts';
import { call, connectInProcess, fixtureEvents, ok, pageAll, textOf } from './helpers.ts';

const events = fixtureEvents();
const HOUR = 3_600_000;
let conn: Awaited<ReturnType<typeof connectInProcess>>;

beforeAll(async () => {
  conn = await connectInProcess(new MemoryStore(events));
});
afterAll(() => conn.close());

describe('lookup_cloudtrail_events', () => {
  it('returns newest first by default, compact events without raw records', async () => {
    const r = await call(conn.client, 'lookup_cloudtrail_events', { max_results: 10 });
    const page = ok(r);
    expect(page.count).toBe(10);
    const newest = [...events].sort((a, b) => b.time - a.time || (b.id < a.id ? -1 : 1)).slice(0, 10);
    expect(page.events.map((e: any) => e.id)).toEqual(newest.map((e) => e.id));
    expect(page.events[0].time).toBe(new Date(newest[0].time).toISOString());
    expect(page.events[0].raw).toBeUndefined();
    expect(page.order).toBe('desc');
    expect(page.next_cursor).toEqual(expect.any(String));
    // The text block carries the same JSON for clients that ignore structuredContent.
    expect(JSON.parse(textOf(r))).toEqual(page);
  });

  it('includes the raw record when asked and keeps the principal details', async () => {
    const page = ok(await call(conn.client, 'lookup_cloudtrail_events', { username: 'carol@example.com', include_raw: true, max_results: 1 }));
    const e = page.events[0];
    expect(e.principal).toMatchObject({ type: 'AssumedRole', name: 'Deployer', human: 'carol@example.com', session: 'carol@example.com', accessKeyId: 'ASIACAROL' });
    const original = events.find((x) => x.id === e.id)!;
    expect(e.raw).toEqual(JSON.parse(JSON.stringify(original.raw)));
  });

  it('applies every filter exactly like the shared matcher', async () => {
    const cases = [
      { args: { username: 'alice' }, filter: { principal: 'alice' } },
      { args: { username: 'AKIABOB' }, filter: { principal: 'AKIABOB' } },
      { args: { event_source: 's3.amazonaws.com', read_only: false }, filter: { eventSource: 's3.amazonaws.com', readOnly: false } },
      { args: { event_name: 'RunInstances', errors_only: true }, filter: { eventName: 'RunInstances', errorsOnly: true } },
      { args: { start_time: '-24h', end_time: '-6h' }, filter: { start: FIXTURE_END - 24 * HOUR, end: FIXTURE_END - 6 * HOUR } },
      { args: { start_time: '2026-11-18T00:00:00Z', end_time: '2026-11-19' }, filter: { start: Date.parse('2026-11-18T00:00:00Z'), end: Date.parse('2026-11-19T00:00:00Z') } },
      // No zone means UTC, as in CloudTrail records.
      { args: { start_time: '2026-11-18T06:00', username: 'bob' }, filter: { start: Date.parse('2026-11-18T06:00:00Z'), principal: 'bob' } },
    ];
    for (const { args, filter } of cases) {
      const expected = events.filter((e) => matches(e, filter));
      expect(expected.length, JSON.stringify(args)).toBeGreaterThan(0);
      const { ids } = await pageAll(conn.client, { ...args, max_results: 1000 });
      expect(ids.sort(), JSON.stringify(args)).toEqual(expected.map((e) => e.id).sort());
    }
  });

  it('pages with next_cursor over every event exactly once, in both orders', async () => {
    for (const order of ['desc', 'asc'] as const) {
      const { ids, pages } = await pageAll(conn.client, { max_results: 7, order });
      expect(pages).toBe(Math.ceil(events.length / 7));
      expect(new Set(ids).size).toBe(events.length);
      expect(ids.length).toBe(events.length);
      const times = ids.map((id) => events.find((e) => e.id === id)!.time);
      const sorted = [...times].sort((a, b) => (order === 'asc' ? a - b : b - a));
      expect(times).toEqual(sorted);
    }
  });

  it('keeps the window of the first page when a relative time is paged later', async () => {
    let now = FIXTURE_END;
    const c = await connectInProcess(new MemoryStore(events), () => now);
    const first = ok(await call(c.client, 'lookup_cloudtrail_events', { start_time: '-24h', max_results: 10 }));
    now += 6 * HOUR; // The clock moves on: newest first, the window's oldest six hours would be lost if "-24h" were re-read.
    const ids = first.events.map((e: any) => e.id);
    let cursor = first.next_cursor;
    while (cursor) {
      const page = ok(await call(c.client, 'lookup_cloudtrail_events', { start_time: '-24h', max_results: 10, cursor }));
      ids.push(...page.events.map((e: any) => e.id));
      expect(page.start_time).toBe(first.start_time);
      cursor = page.next_cursor;
    }
    expect(ids).toEqual(events.filter((e) => e.time >= FIXTURE_END - 24 * HOUR).map((e) => e.id).reverse());
    await c.close();
  });

  it('refuses a cursor used with different filters', async () => {
    const first = ok(await call(conn.client, 'lookup_cloudtrail_events', { username: 'alice', max_results: 5 }));
    const r = await call(conn.client, 'lookup_cloudtrail_events', { username: 'bob', max_results: 5, cursor: first.next_cursor });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/cursor belongs to a query with different arguments/);
    // Page size and raw records may change between pages.
    expect(ok(await call(conn.client, 'lookup_cloudtrail_events', { username: 'alice', max_results: 7, include_raw: true, cursor: first.next_cursor })).count).toBe(7);
  });

  it('rejects wrong arguments with an error naming the argument, and keeps answering', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ max_results: 5000 }, /max_results must be an integer from 1 to 1000/],
      [{ max_results: 0 }, /max_results must be an integer from 1 to 1000/],
      [{ max_results: 2.5 }, /max_results must be an integer from 1 to 1000/],
      [{ max_results: 'ten' }, /max_results must be an integer/],
      [{ start_time: 'yesterday' }, /start_time "yesterday" is not a time/],
      [{ end_time: '-7 days' }, /end_time "-7 days" is not a time/],
      [{ start_time: 'now', end_time: '-1d' }, /start_time .* is after end_time/],
      [{ read_only: 'yes' }, /read_only must be true or false/],
      [{ order: 'newest' }, /order must be "desc"/],
      [{ user: 'alice' }, /unknown argument "user"; valid arguments: .*username/],
      [{ cursor: 'not-a-cursor' }, /cursor is not a next_cursor returned by lookup_cloudtrail_events/],
      [{ username: '' }, /username must not be empty/],
    ];
    for (const [args, message] of bad) {
      const r = await call(conn.client, 'lookup_cloudtrail_events', args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(r)).toMatch(message);
    }
    expect(ok(await call(conn.client, 'lookup_cloudtrail_events', { max_results: 1 })).count).toBe(1);
  });

  it('turns store failures into error results', async () => {
    // A remote source: lookups go to its query (a local one's come from the index, built from status and query).
    const broken: EventStore = {
      kind: 'lookup',
      query: async () => {
        throw new Error('ThrottlingException: Rate exceeded');
      },
      scan: async function* () {
        throw new Error('disk gone');
      },
      eventNames: async () => {
        throw new Error('disk gone');
      },
      status: async () => {
        throw new Error('disk gone');
      },
    };
    const c = await connectInProcess(broken);
    const r = await call(c.client, 'lookup_cloudtrail_events', {});
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe('lookup_cloudtrail_events: ThrottlingException: Rate exceeded');
    const r2 = await call(c.client, 'get_cloudtrail_event_names', {});
    expect(r2.isError).toBe(true);
    expect(textOf(r2)).toMatch(/disk gone/);
    await c.close();
    const local = await connectInProcess({ ...broken, kind: 'memory' });
    const r3 = await call(local.client, 'lookup_cloudtrail_events', {});
    expect(r3.isError).toBe(true);
    expect(textOf(r3)).toBe('lookup_cloudtrail_events: disk gone');
    await local.close();
  });
});

describe('get_cloudtrail_event_names', () => {
  it('counts per action for a principal and window, most frequent first', async () => {
    const filter = { principal: 'alice', start: FIXTURE_END - 48 * HOUR };
    const expected = new Map<string, number>();
    for (const e of events) if (matches(e, filter)) expected.set(`${e.source} ${e.name}`, (expected.get(`${e.source} ${e.name}`) ?? 0) + 1);
    const res = ok(await call(conn.client, 'get_cloudtrail_event_names', { username: 'alice', start_time: '-2d', top: 1000 }));
    expect(new Map(res.event_names.map((c: any) => [`${c.source} ${c.name}`, c.count]))).toEqual(expected);
    expect(res.distinct).toBe(expected.size);
    expect(res.total_events).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    const counts = res.event_names.map((c: any) => c.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('limits to top N and filters by event source', async () => {
    const res = ok(await call(conn.client, 'get_cloudtrail_event_names', { event_source: 'iam.amazonaws.com', top: 1 }));
    expect(res.event_names).toHaveLength(1);
    expect(res.event_names[0].source).toBe('iam.amazonaws.com');
    expect(res.total_events).toBe(events.filter((e) => e.source === 'iam.amazonaws.com').length);
    expect(res.distinct).toBe(2);
  });
});

describe('cloudtrail://status', () => {
  it('describes the data and the server version', async () => {
    const { resources } = await conn.client.listResources();
    expect(resources.map((r) => r.uri)).toContain('cloudtrail://status');
    const res = await conn.client.readResource({ uri: 'cloudtrail://status' });
    const content = res.contents[0];
    const status = JSON.parse('text' in content ? content.text : '');
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(status).toMatchObject({
      source: 'memory',
      regions: ['eu-west-1', 'us-east-1'],
      count: events.length,
      start_time: new Date(Math.min(...events.map((e) => e.time))).toISOString(),
      end_time: new Date(Math.max(...events.map((e) => e.time))).toISOString(),
      server_version: pkg.version,
    });
    expect(ok(await call(conn.client, 'get_cloudtrail_status'))).toEqual(status);
  });
});


describe('list_cloudtrail_principals', () => {
  it('aggregates per principal key with counts, errors and first/last seen', async () => {
    const res = ok(await call(conn.client, 'list_cloudtrail_principals', { top: 1000 }));
    const keys = [...new Set(events.map((e) => e.principal.key))];
    expect(res.total_principals).toBe(keys.length);
    expect(res.total_events).toBe(events.length);
    for (const key of keys) {
      const mine = events.filter((e) => e.principal.key === key);
      const row = res.principals.find((p: any) => p.key === key);
      expect(row, key).toMatchObject({
        events: mine.length,
        errors: mine.filter((e) => e.errorCode).length,
        read_only: mine.filter((e) => e.readOnly === true).length,
        mutating: mine.filter((e) => e.readOnly === false).length,
        first_seen: new Date(Math.min(...mine.map((e) => e.time))).toISOString(),
        last_seen: new Date(Math.max(...mine.map((e) => e.time))).toISOString(),
        distinct_actions: new Set(mine.map((e) => `${e.source}:${e.name}`)).size,
        source_ips: new Set(mine.map((e) => e.sourceIp)).size,
      });
    }
    const counts = res.principals.map((p: any) => p.events);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const carol = res.principals.find((p: any) => p.key === 'carol@example.com');
    expect(carol).toMatchObject({ type: 'AssumedRole', name: 'Deployer', human: 'carol@example.com' });
  });

  it('filters by principal type and window, sorts by errors, and limits to top', async () => {
    const res = ok(await call(conn.client, 'list_cloudtrail_principals', { principal_type: 'IAMUser', start_time: '-1d', sort_by: 'errors', top: 1 }));
    const inWindow = events.filter((e) => e.principal.type === 'IAMUser' && e.time >= FIXTURE_END - 24 * HOUR);
    expect(res.total_events).toBe(inWindow.length);
    expect(res.total_principals).toBe(2);
    expect(res.principals).toHaveLength(1);
    const errorsOf = (k: string) => inWindow.filter((e) => e.principal.key === k && e.errorCode).length;
    expect(res.principals[0].errors).toBe(Math.max(errorsOf('alice'), errorsOf('bob')));
  });
});

describe('get_cloudtrail_event', () => {
  it('returns one event with its raw record', async () => {
    const target = events[123];
    const res = ok(await call(conn.client, 'get_cloudtrail_event', { event_id: target.id }));
    expect(res.event.id).toBe(target.id);
    expect(res.event.raw).toEqual(JSON.parse(JSON.stringify(target.raw)));
  });

  it('says clearly when the id is unknown', async () => {
    const r = await call(conn.client, 'get_cloudtrail_event', { event_id: 'nope' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe('get_cloudtrail_event: no event with event_id "nope"');
    const r2 = await call(conn.client, 'get_cloudtrail_event', {});
    expect(r2.isError).toBe(true);
    expect(textOf(r2)).toMatch(/event_id/);
  });
});

describe('get_cloudtrail_activity_timeline', () => {
  it('buckets events per hour and per day', async () => {
    for (const [bucket, width] of [['hour', HOUR], ['day', 24 * HOUR]] as const) {
      const res = ok(await call(conn.client, 'get_cloudtrail_activity_timeline', { bucket, errors_only: bucket === 'day' }));
      const expected = new Map<string, number>();
      for (const e of events) {
        if (bucket === 'day' && !e.errorCode) continue;
        const k = new Date(Math.floor(e.time / width) * width).toISOString();
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      expect(new Map(res.buckets.map((b: any) => [b.start, b.events]))).toEqual(expected);
      expect(res.total_events).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    }
  });

  it('refuses more buckets than it can return, naming the fix', async () => {
    // 240 events over 72 hours cannot exceed 5000 minute buckets, so a bigger store is needed.
    const many = Array.from({ length: 5001 }, (_, i) => ({ ...events[0], id: `m${i}`, time: FIXTURE_END - i * 60_000 }));
    const c = await connectInProcess(new MemoryStore(many));
    const r = await call(c.client, 'get_cloudtrail_activity_timeline', { bucket: 'minute' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/more than 5000 minute buckets: use a wider bucket/);
    await c.close();
  });
});

describe('tool list', () => {
  it('offers the analyst tools with input and output schemas', async () => {
    const { tools } = await conn.client.listTools();
    // Other modules (e.g. predictions) add tools through mcp/tools/index.ts; these are the CloudTrail ones.
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'get_cloudtrail_activity_timeline',
        'get_cloudtrail_event',
        'get_cloudtrail_event_names',
        'get_cloudtrail_status',
        'list_cloudtrail_principals',
        'lookup_cloudtrail_events',
      ]),
    );
    for (const t of tools.filter((x) => x.name.includes('cloudtrail'))) {
      expect(t.outputSchema?.type, t.name).toBe('object');
      expect(t.description!.length).toBeGreaterThan(40);
      expect(t.annotations?.readOnlyHint).toBe(true);
    }
  });
});
