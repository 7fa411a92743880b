import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudTrail } from '../../kernel/prelude/cloudtrail.ts';
import { call, connectInProcess, textOf } from './helpers.ts';

// An impossible date must fail naming the argument, never silently become another day (Date rolls 02-30 over to 03-02).

let conn: Awaited<ReturnType<typeof connectInProcess>>;
beforeAll(async () => {
  conn = await connectInProcess();
});
afterAll(() => conn.close());

describe('impossible dates as tool arguments', () => {
  it.each([
    ['lookup_cloudtrail_events', { start_time: '2026-02-30' }, 'start_time: 2026-02-30 is not a valid date (February 2026 has 28 days)'],
    ['get_cloudtrail_event_names', { end_time: '2026-04-31T00:00:00Z' }, 'end_time: 2026-04-31T00:00:00Z is not a valid date (April 2026 has 30 days)'],
    ['list_cloudtrail_principals', { start_time: '2026-11-19T24:00:00Z' }, 'start_time: 2026-11-19T24:00:00Z is not a valid date (hour 24 is not 00-23)'],
    ['get_cloudtrail_activity_timeline', { start_time: '2026-13-01' }, 'start_time: 2026-13-01 is not a valid date (month 13 is not 01-12)'],
  ])('%s rejects %j with an error result naming the argument', async (tool, args, message) => {
    const r = await call(conn.client, tool, args);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain(message);
  });

  it('a possible date in the same place still works', async () => {
    const r = await call(conn.client, 'lookup_cloudtrail_events', { start_time: '2026-02-28', max_results: 1 });
    expect(r.isError).toBeFalsy();
  });
});

describe('impossible dates given to the kernel helpers', () => {
  it('fail naming the helper argument, before any call', async () => {
    const cloudtrail = createCloudTrail(conn.client);
    await expect(cloudtrail.lookupEvents({ startTime: '2026-02-30' })).rejects.toThrow('startTime: 2026-02-30 is not a valid date (February 2026 has 28 days)');
    await expect(cloudtrail.eventNames({ endTime: new Date('2026-02-30T25:00:00Z') })).rejects.toThrow('endTime: Invalid Date is not a valid date');
    await expect(cloudtrail.principals({ startTime: '2025-02-29' })).rejects.toThrow('startTime: 2025-02-29 is not a valid date (February 2025 has 28 days)');
    expect(await cloudtrail.events({ startTime: '-3d', limit: 5 })).toHaveLength(5);
  });
});
