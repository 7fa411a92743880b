import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { normalise } from '../../cloudtrail/event.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { createStreamingHandler, openLambdaStore } from '../../mcp/lambda-handler.ts';
import { lambdaRuntimeShim } from '../../mcp/lambda-runtime-shim.ts';
import { startFakeCloudTrail, type FakeCloudTrail } from '../support/fake-cloudtrail.ts';
import { FIXTURE_END, fixtureRecords } from './fixture.ts';
import { functionUrlEvent, invokeStreaming, jsonRpcMessages } from './lambda-invoke.ts';

// The Lambda's default source is CloudTrail LookupEvents: the real SDK client against a local endpoint
// speaking CloudTrail's JSON 1.1 protocol. Records are moved to two days ago, inside LookupEvents' 90 days.
const shift = Date.now() - 2 * 86_400_000 - FIXTURE_END;
const records = fixtureRecords(120).map((r) => ({ ...r, eventTime: new Date(Date.parse(r.eventTime) + shift).toISOString().replace('.000Z', 'Z') }));
let fake: FakeCloudTrail;
let cacheDir: string;
const saved = { ...process.env };

beforeAll(async () => {
  fake = await startFakeCloudTrail(records);
  cacheDir = await mkdtemp(join(tmpdir(), 'trailbook-lookup-cache-'));
  delete process.env.TRAILBOOK_SOURCE;
  Object.assign(process.env, {
    TRAILBOOK_REGIONS: 'us-east-1,eu-west-1',
    TRAILBOOK_CLOUDTRAIL_ENDPOINT: fake.url,
    TRAILBOOK_CACHE_DIR: cacheDir,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  process.env = saved;
  await fake.close();
  await rm(cacheDir, { recursive: true, force: true });
});

it('defaults to the lookup source and answers from CloudTrail LookupEvents across regions', async () => {
  const handler = lambdaRuntimeShim.streamifyResponse(createStreamingHandler(openLambdaStore));
  const res = await invokeStreaming(
    handler,
    functionUrlEvent({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'lookup_cloudtrail_events', arguments: { username: 'bob', start_time: '-7d', max_results: 1000 } } }),
  );
  expect(res.prelude.statusCode).toBe(200);
  // The lookup's progress comes first on the stream, as log messages; then the answer.
  const messages = jsonRpcMessages(res.body);
  expect(messages.some((m: { method?: string; params?: { data?: string } }) => m.method === 'notifications/message' && /^lookup /.test(m.params?.data ?? ''))).toBe(true);
  const result = messages.find((m: { id?: number }) => m.id === 1).result;
  expect(result.isError, JSON.stringify(result.content)).toBeUndefined();
  const expected = records.map((r) => normalise(CloudTrailRecord.parse(r))).filter((e) => e.principal.name === 'bob');
  expect(result.structuredContent.events.map((e: { id: string }) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
  expect(new Set(result.structuredContent.events.map((e: { region: string }) => e.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
  expect(fake.lookups().length).toBeGreaterThan(0);
});

it('fetches one event by id with a single EventId lookup per region', async () => {
  const handler = lambdaRuntimeShim.streamifyResponse(createStreamingHandler(openLambdaStore));
  const target = records[77];
  const before = fake.lookups().length;
  const res = await invokeStreaming(
    handler,
    functionUrlEvent({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_cloudtrail_event', arguments: { event_id: target.eventID, start_time: '-7d' } } }),
  );
  const result = jsonRpcMessages(res.body).find((m: { id?: number }) => m.id === 2).result;
  expect(result.isError, JSON.stringify(result.content)).toBeUndefined();
  expect(result.structuredContent.event.raw).toEqual(JSON.parse(JSON.stringify(target)));
  const used = fake.lookups().slice(before);
  expect(used.length).toBeLessThanOrEqual(2);
  for (const req of used) expect((req.body as { LookupAttributes: unknown[] }).LookupAttributes).toEqual([{ AttributeKey: 'EventId', AttributeValue: target.eventID }]);
});
