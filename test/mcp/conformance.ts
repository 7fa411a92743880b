import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import { normalise, type TrailEvent } from '../../cloudtrail/event.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { call, ok, pageAll, textOf } from './helpers.ts';

/**
 * Checks a client connected over any transport against counts computed here, independently of the server,
 * straight from the records written to disk.
 */
export async function checkServerAgainst(client: Client, records: unknown[]): Promise<void> {
  const events: TrailEvent[] = records.map((r) => normalise(CloudTrailRecord.parse(r)));

  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['lookup_cloudtrail_events', 'get_cloudtrail_event_names', 'list_cloudtrail_principals', 'get_cloudtrail_event', 'get_cloudtrail_activity_timeline']));
  const { resources } = await client.listResources();
  expect(resources.map((r) => r.uri)).toContain('cloudtrail://status');

  const status = await client.readResource({ uri: 'cloudtrail://status' });
  const content = status.contents[0];
  const s = JSON.parse('text' in content ? content.text : '{}');
  expect(s).toMatchObject({ source: 'files', count: events.length, regions: [...new Set(events.map((e) => e.region))].sort() });
  expect(s.start_time).toBe(new Date(Math.min(...events.map((e) => e.time))).toISOString());

  // Paging covers every event exactly once.
  const { ids, pages } = await pageAll(client, { max_results: 50 });
  expect(pages).toBe(Math.ceil(events.length / 50));
  expect(ids.length).toBe(events.length);
  expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));

  // A filter, counted independently.
  const alice = events.filter((e) => e.principal.name === 'alice' && e.errorCode);
  const found = ok(await call(client, 'lookup_cloudtrail_events', { username: 'alice', errors_only: true, max_results: 1000 }));
  expect(found.events.map((e: any) => e.id).sort()).toEqual(alice.map((e) => e.id).sort());

  // Relative times run on the server's clock: bracket the call with our own clock reads.
  const before = Date.now();
  const recent = ok(await call(client, 'lookup_cloudtrail_events', { start_time: '-5d', max_results: 1000 }));
  const after = Date.now();
  const countFrom = (t: number) => events.filter((e) => e.time >= t).length;
  expect(recent.count).toBeGreaterThanOrEqual(countFrom(before - 5 * 86_400_000));
  expect(recent.count).toBeLessThanOrEqual(countFrom(after - 5 * 86_400_000));

  const names = ok(await call(client, 'get_cloudtrail_event_names', { top: 1000 }));
  const expectedNames = new Map<string, number>();
  for (const e of events) expectedNames.set(`${e.source}:${e.name}`, (expectedNames.get(`${e.source}:${e.name}`) ?? 0) + 1);
  expect(new Map(names.event_names.map((c: any) => [`${c.source}:${c.name}`, c.count]))).toEqual(expectedNames);

  const principals = ok(await call(client, 'list_cloudtrail_principals', { top: 1000 }));
  expect(principals.total_principals).toBe(new Set(events.map((e) => e.principal.key)).size);
  for (const p of principals.principals) expect(p.events).toBe(events.filter((e) => e.principal.key === p.key).length);

  const one = ok(await call(client, 'get_cloudtrail_event', { event_id: events[17].id }));
  expect(one.event.raw).toEqual(records[17]);

  const timeline = ok(await call(client, 'get_cloudtrail_activity_timeline', { bucket: 'day' }));
  expect(timeline.total_events).toBe(events.length);

  // Wrong arguments: an error result naming the argument, and the server keeps answering.
  const bad = await call(client, 'lookup_cloudtrail_events', { max_results: 1001 });
  expect(bad.isError).toBe(true);
  expect(textOf(bad)).toMatch(/max_results must be an integer from 1 to 1000/);
  const badTime = await call(client, 'get_cloudtrail_event_names', { start_time: 'last tuesday' });
  expect(badTime.isError).toBe(true);
  expect(textOf(badTime)).toMatch(/start_time "last tuesday" is not a time/);
  expect(ok(await call(client, 'lookup_cloudtrail_events', { max_results: 3 })).count).toBe(3);
}
