import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normalise } from '../../../cloudtrail/event.ts';
import type { EventQuery, ProgressReport } from '../../../cloudtrail/query.ts';
import { CloudTrailRecord } from '../../../cloudtrail/record.ts';
import { AthenaStore, type AthenaStoreOptions } from '../../../cloudtrail/stores/athena.ts';
import { eventsSql, literal, partitionDay, quoteIdent } from '../../../cloudtrail/stores/athena-sql.ts';
import { MemoryStore } from '../../../cloudtrail/stores/memory.ts';
import { startFakeAthena, type FakeAthena } from '../../support/fake-athena.ts';
import { rawRecords, STRATUS } from '../../fixtures/cloudtrail/index.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const HOUR = 3600_000;
const base = Date.parse('2026-03-01T22:00:00Z');
const people = ['alice', "o'brien", 'carol'];

function record(i: number): CloudTrailRecord {
  const role = i % 5 === 0;
  const who = people[i % people.length];
  return CloudTrailRecord.parse({
    eventVersion: '1.09',
    eventID: `ev-${String(i).padStart(4, '0')}`,
    eventTime: new Date(base + i * 0.2 * HOUR).toISOString().replace('.000Z', 'Z'),
    eventSource: i % 2 ? 's3.amazonaws.com' : 'ec2.amazonaws.com',
    eventName: i % 2 ? (i % 3 ? 'GetObject' : 'PutObject') : 'DescribeInstances',
    eventType: 'AwsApiCall',
    awsRegion: i % 4 === 3 ? 'eu-west-1' : 'us-east-1',
    readOnly: i % 3 !== 0,
    errorCode: i % 7 === 0 ? 'AccessDenied' : undefined,
    errorMessage: i % 7 === 0 ? 'not allowed' : undefined,
    sourceIPAddress: '203.0.113.9',
    userAgent: 'Boto3/1.34',
    requestID: `req-${i}`,
    requestParameters: { bucketName: 'logs', key: `k/${i}` },
    resources: i % 2 ? [{ ARN: `arn:aws:s3:::logs/k/${i}`, accountId: '111122223333', type: 'AWS::S3::Object' }] : undefined,
    recipientAccountId: '111122223333',
    userIdentity: role
      ? {
          type: 'AssumedRole',
          principalId: `AROAEXAMPLE:${who}@example.com`,
          arn: `arn:aws:sts::111122223333:assumed-role/Deployer/${who}@example.com`,
          accountId: '111122223333',
          accessKeyId: 'ASIAEXAMPLE0000000001',
          sessionContext: {
            sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: 'arn:aws:iam::111122223333:role/Deployer', accountId: '111122223333', userName: 'Deployer' },
            attributes: { creationDate: '2026-03-01T21:00:00Z', mfaAuthenticated: 'false' },
          },
        }
      : { type: 'IAMUser', principalId: `AIDA${i}`, arn: `arn:aws:iam::111122223333:user/${who}`, accountId: '111122223333', accessKeyId: `AKIA${String(i % 3).padStart(16, '0')}`, userName: who },
  });
}

const records = Array.from({ length: 45 }, (_, i) => record(i));
const events = records.map(normalise);
const memory = new MemoryStore(events);

let fake: FakeAthena;
const stores: AthenaStore[] = [];
function store(o: Partial<AthenaStoreOptions> = {}): AthenaStore {
  const s = new AthenaStore({ region: 'us-east-1', database: 'cloudtrail', table: 'cloudtrail_logs', workgroup: 'trailbook', outputLocation: 's3://results/trailbook/', endpoint: fake.url, credentials, pollMs: 5, maxPollMs: 20, ...o });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  fake = await startFakeAthena(records);
});
afterAll(() => fake.close());
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  fake.requests.length = 0;
  fake.queries.length = 0;
});

async function allPages(s: { query: AthenaStore['query'] }, q: EventQuery) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await s.query({ ...q, cursor });
    ids.push(...page.events.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

describe('athena SQL building', () => {
  it('escapes literals, validates identifiers and prunes partitions', () => {
    expect(literal("o'brien")).toBe("'o''brien'");
    expect(() => literal('a\u0000b')).toThrow(/control characters/);
    expect(quoteIdent('cloudtrail_logs')).toBe('"cloudtrail_logs"');
    for (const bad of ['logs"; DROP TABLE x; --', 'a.b', '', '1abc', 'x y']) expect(() => quoteIdent(bad)).toThrow(/Invalid Athena identifier/);
    expect(partitionDay(Date.parse('2026-03-01T23:59:59Z'))).toBe('2026/03/01');
    const sql = eventsSql({ database: 'cloudtrail', table: 'cloudtrail_logs' }, { start: base, end: base + 6 * HOUR, principal: "o'brien" }, { regions: ['us-east-1'], limit: 11 });
    expect(sql).toContain(`FROM "cloudtrail"."cloudtrail_logs"`);
    expect(sql).toContain(`"timestamp" BETWEEN '2026/03/01' AND '2026/03/02'`);
    expect(sql).toContain(`region IN ('us-east-1')`);
    expect(sql).toContain(`useridentity.username = 'o''brien'`);
    expect(sql).toContain('json_format(CAST(useridentity AS JSON)) AS useridentity');
    expect(sql).toMatch(/ORDER BY from_iso8601_timestamp\(eventtime\) ASC, eventid ASC\nLIMIT 11$/);
    expect(() => new AthenaStore({ region: 'us-east-1', database: 'cloud;trail', table: 't' })).toThrow(/Invalid Athena database name/);
  });
});

describe('athena source against a local Athena endpoint', () => {
  it('returns what the memory store returns, across cursor pages, for a range of queries', async () => {
    const s = store();
    const queries: EventQuery[] = [
      {},
      { order: 'desc' },
      { start: base + 2 * HOUR, end: base + 5 * HOUR },
      { principal: "o'brien" },
      { principal: 'Deployer', order: 'desc' },
      { principal: 'alice@example.com' },
      { eventName: 'GetObject', readOnly: true },
      { eventSource: 'ec2.amazonaws.com', errorsOnly: true },
      { principal: "x' OR '1'='1" },
    ];
    for (const q of queries) {
      const expected = (await memory.query({ ...q, limit: 1000 })).events.map((e) => e.id);
      expect(await allPages(s, { ...q, limit: 7 }), JSON.stringify(q)).toEqual(expected);
    }
    expect(fake.queries.every((q) => q.final === 'SUCCEEDED')).toBe(true);
    expect(fake.queries.some((q) => q.sql.includes("'o''brien'"))).toBe(true);
  });

  it('maps rows back to the same normalised events, structs included', async () => {
    const page = await store().query({ limit: 100 });
    expect(page.events).toHaveLength(45);
    for (const [i, e] of page.events.entries()) {
      const want = events[i];
      expect({ ...e, raw: undefined }).toEqual({ ...want, raw: undefined });
      expect(e.raw.requestParameters).toEqual(want.raw.requestParameters);
      expect(e.raw.userIdentity).toEqual(want.raw.userIdentity);
    }
    const role = page.events.find((e) => e.principal.type === 'AssumedRole')!;
    expect(role.principal).toMatchObject({ name: 'Deployer', session: 'alice@example.com', human: 'alice@example.com' });
  });

  it('restricts the region partition when regions are configured', async () => {
    const page = await store({ regions: ['eu-west-1'] }).query({ limit: 100 });
    expect(page.events.map((e) => e.id)).toEqual(events.filter((e) => e.region === 'eu-west-1').map((e) => e.id));
    expect(fake.queries[0].sql).toContain(`region IN ('eu-west-1')`);
  });

  it('polls QUEUED and RUNNING with growing waits, then pages GetQueryResults', async () => {
    await fake.close();
    fake = await startFakeAthena(records, { queuedPolls: 2, runningPolls: 3 });
    const progress: ProgressReport[] = [];
    const got: string[] = [];
    for await (const e of store({ pageSize: 10, pollMs: 10, maxPollMs: 1000 }).scan({}, { onProgress: (p) => progress.push(p) })) got.push(e.id);
    expect(got).toEqual(events.map((e) => e.id));
    const polls = fake.requests.filter((r) => r.operation === 'GetQueryExecution');
    expect(polls).toHaveLength(6);
    const gaps = polls.slice(1).map((p, i) => p.at - polls[i].at);
    expect(gaps[4]).toBeGreaterThan(gaps[0]);
    expect(progress.filter((p) => p.phase === 'athena').map((p) => /QUEUED|RUNNING|SUCCEEDED/.exec(p.detail ?? '')?.[0])).toEqual(['QUEUED', 'QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    // 45 rows + the header row, 10 per page.
    const pages = fake.requests.filter((r) => r.operation === 'GetQueryResults');
    expect(pages).toHaveLength(5);
    expect(pages.map((p) => p.body.NextToken === undefined)).toEqual([true, false, false, false, false]);
    const start = fake.requests.find((r) => r.operation === 'StartQueryExecution')!.body;
    expect(start).toMatchObject({ WorkGroup: 'trailbook', QueryExecutionContext: { Database: 'cloudtrail' }, ResultConfiguration: { OutputLocation: 's3://results/trailbook/' } });
  });

  it("reports a FAILED query with Athena's StateChangeReason", async () => {
    await fake.close();
    fake = await startFakeAthena(records, { fail: (sql) => (sql.includes('GetObject') ? 'HIVE_BAD_DATA: Error parsing field value for field 3' : undefined) });
    await expect(store().query({ eventName: 'GetObject' })).rejects.toThrow(/Athena query [0-9a-f-]{36} failed: HIVE_BAD_DATA: Error parsing field value for field 3/);
    await expect(store({ table: 'no_such_table' }).query({})).rejects.toThrow(/failed: TABLE_NOT_FOUND/);
  });

  it('reports a query cancelled elsewhere, and stops its query on abort or timeout', async () => {
    await fake.close();
    fake = await startFakeAthena(records, { queuedPolls: 1, runningPolls: 50 });
    // Someone cancels the query in the console while Trailbook polls it.
    const cancelled = store().query({}, { onProgress: () => fake.queries[0] && (fake.queries[0].final = 'CANCELLED') });
    await expect(cancelled).rejects.toThrow(/Athena query [0-9a-f-]{36} was cancelled: Query cancelled by user/);

    fake.queries.length = 0;
    fake.requests.length = 0;
    const ac = new AbortController();
    const aborted = store({ pollMs: 20 }).query({}, { signal: ac.signal, onProgress: (p) => p.done === 2 && ac.abort(new Error('cell interrupted')) });
    await expect(aborted).rejects.toThrow(/cell interrupted/);
    expect(fake.requests.filter((r) => r.operation === 'StopQueryExecution')).toHaveLength(1);
    expect(fake.queries[0].final).toBe('CANCELLED');

    fake.requests.length = 0;
    await expect(store({ timeoutMs: 100, pollMs: 20, maxPollMs: 20 }).query({})).rejects.toThrow(/did not finish within 0.1 s and was stopped/);
    expect(fake.requests.filter((r) => r.operation === 'StopQueryExecution')).toHaveLength(1);
  });

  it('surfaces API errors such as AccessDenied clearly', async () => {
    fake.inject.push({ status: 400, body: { __type: 'AccessDeniedException', Message: 'User is not authorized to perform: athena:StartQueryExecution' } });
    await expect(store().query({})).rejects.toThrow(/Athena StartQueryExecution failed \(AccessDeniedException\): User is not authorized.*athena:StartQueryExecution/);
  });

  it('counts event names with GROUP BY and reports status with one aggregate query', async () => {
    const s = store();
    expect(await s.eventNames()).toEqual(await memory.eventNames());
    expect(await s.eventNames({ eventSource: 's3.amazonaws.com', top: 1 })).toEqual(await memory.eventNames({ eventSource: 's3.amazonaws.com', top: 1 }));
    expect(fake.queries.map((q) => /GROUP BY eventsource, eventname/.test(q.sql))).toEqual([true, true]);
    const st = await s.status();
    expect(st).toMatchObject({ kind: 'athena', count: 45, start: events[0].time, end: events[44].time, regions: ['eu-west-1', 'us-east-1'] });
    expect(st.location).toContain('cloudtrail/cloudtrail_logs');
    await s.status();
    expect(fake.queries).toHaveLength(3); // status is reused within its TTL
  });
});

describe('athena agrees with the memory store on real CloudTrail records', () => {
  it('round-trips the stratus detonation records through the table and the SQL', async () => {
    const raw: unknown[] = rawRecords(STRATUS);
    const recs = raw.map((r) => CloudTrailRecord.parse(r));
    const real = new MemoryStore(recs.map(normalise));
    await fake.close();
    fake = await startFakeAthena(recs);
    const s = store();
    const all = await s.query({ limit: 1000 });
    const want = (await real.query({ limit: 1000 })).events;
    expect(all.events.map((e) => e.id)).toEqual(want.map((e) => e.id));
    expect(all.events.map((e) => e.principal)).toEqual(want.map((e) => e.principal));
    const who = want.find((e) => e.principal.type === 'AssumedRole')!.principal.key;
    expect(await allPages(s, { principal: who, limit: 9 })).toEqual((await real.query({ principal: who, limit: 1000 })).events.map((e) => e.id));
    expect(await s.eventNames({ top: 5 })).toEqual(await real.eventNames({ top: 5 }));
  });
});
