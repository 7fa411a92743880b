import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { call, connectInProcess, ok, pageAll } from './helpers.ts';
import { INVICTUS as DATASET, rawRecords } from '../fixtures/cloudtrail/index.ts';

// Third-party CloudTrail (Invictus IR's AWS dataset): 55 S3 delivery files, real identities and errors.

interface RawRecord {
  eventID: string;
  eventName: string;
  eventSource: string;
  errorCode?: string;
  userIdentity?: { userName?: string; type?: string };
}

let records: RawRecord[];
let conn: Awaited<ReturnType<typeof connectInProcess>>;

beforeAll(async () => {
  records = rawRecords(DATASET) as RawRecord[];
  conn = await connectInProcess(await openFilesStore(DATASET), () => Date.parse('2023-07-12T00:00:00Z'));
});
afterAll(() => conn.close());

describe('on the Invictus AWS dataset', () => {
  it('counts event names exactly as the raw files say', async () => {
    const expected = new Map<string, number>();
    for (const r of records) expected.set(`${r.eventSource} ${r.eventName}`, (expected.get(`${r.eventSource} ${r.eventName}`) ?? 0) + 1);
    const res = ok(await call(conn.client, 'get_cloudtrail_event_names', { top: 1000 }));
    expect(res.total_events).toBe(records.length);
    expect(new Map(res.event_names.map((c: any) => [`${c.source} ${c.name}`, c.count]))).toEqual(expected);
  });

  it('pages through all events once at the maximum page size', async () => {
    const { ids, pages } = await pageAll(conn.client, { max_results: 1000 });
    expect(pages).toBe(Math.ceil(records.length / 1000));
    expect(ids.sort()).toEqual(records.map((r) => r.eventID).sort());
  });

  it('finds the failed calls of each IAM user', async () => {
    const failures = new Map<string, number>();
    for (const r of records) {
      if (r.userIdentity?.type === 'IAMUser' && r.errorCode) failures.set(r.userIdentity.userName!, (failures.get(r.userIdentity.userName!) ?? 0) + 1);
    }
    expect(failures.size).toBeGreaterThan(0);
    const principals = ok(await call(conn.client, 'list_cloudtrail_principals', { principal_type: 'IAMUser', errors_only: true, top: 1000 }));
    expect(new Map(principals.principals.map((p: any) => [p.name, p.errors]))).toEqual(failures);
    for (const [user, n] of failures) {
      const { ids } = await pageAll(conn.client, { username: user, errors_only: true, max_results: 1000 });
      expect(ids.length, user).toBe(n);
    }
  });
});
