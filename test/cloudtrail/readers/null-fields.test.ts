import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalise } from '../../../cloudtrail/event.ts';
import { readCloudTrailFile } from '../../../cloudtrail/readers/index.ts';
import { CloudTrailRecord } from '../../../cloudtrail/record.ts';
import { openFilesStore } from '../../../cloudtrail/stores/files.ts';
import { call, connectInProcess, ok } from '../../mcp/helpers.ts';

// CloudTrail Lake, Athena and SIEM exports write absent optional fields as null, at every level.

const ACCOUNT = '111122223333';

/** A console sign-in as an export writes it: every optional field present, most of them null. */
function exported(i: number): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: i % 2 ? 'AssumedRole' : 'IAMUser',
      principalId: `AIDA${i}`,
      arn: i % 2 ? `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/erin` : `arn:aws:iam::${ACCOUNT}:user/erin`,
      accountId: ACCOUNT,
      accessKeyId: null,
      userName: i % 2 ? null : 'erin',
      sessionContext: i % 2
        ? { sessionIssuer: { type: 'Role', principalId: 'AROA1', arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, accountId: ACCOUNT, userName: 'Admin' }, webIdFederationData: null, attributes: { creationDate: null, mfaAuthenticated: 'true' }, sourceIdentity: null, ec2RoleDelivery: null }
        : null,
      invokedBy: null,
      identityProvider: null,
      credentialId: null,
      onBehalfOf: null,
      inScopeOf: null,
    },
    eventTime: `2026-01-05T10:${String(i).padStart(2, '0')}:00Z`,
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.1',
    userAgent: 'Mozilla/5.0',
    errorCode: i % 3 ? null : 'Failed authentication',
    errorMessage: null,
    requestParameters: null,
    responseElements: { ConsoleLogin: i % 3 ? 'Success' : 'Failure' },
    additionalEventData: null,
    requestID: null,
    eventID: `null-${i}`,
    readOnly: false,
    resources: i === 4 ? [{ ARN: null, type: 'AWS::IAM::User', accountId: null }] : null,
    eventType: 'AwsConsoleSignIn',
    apiVersion: null,
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    sharedEventID: null,
    vpcEndpointId: null,
    eventCategory: 'Management',
    sessionCredentialFromConsole: null,
    tlsDetails: null,
    addendum: null,
    edgeDeviceDetails: null,
  };
}

const records = Array.from({ length: 12 }, (_, i) => exported(i));
/** A required field that is null is still missing: counted, not loaded. */
const broken = { ...exported(20), eventID: 'no-name', eventName: null };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailbook-nulls-'));
  writeFileSync(join(dir, 'lake-export.json.gz'), gzipSync(JSON.stringify({ Records: [...records.slice(0, 6), broken] })));
  writeFileSync(join(dir, 'athena.ndjson'), records.slice(6).map((r) => JSON.stringify(r)).join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('records whose optional fields are null', () => {
  it('validate, with null meaning absent except where the field may itself be null', () => {
    const parsed = CloudTrailRecord.parse(records[1]);
    expect('errorCode' in parsed).toBe(false);
    expect('sessionContext' in parsed.userIdentity!).toBe(true);
    expect('sourceIdentity' in parsed.userIdentity!.sessionContext!).toBe(false);
    expect(parsed.userIdentity!.sessionContext!.attributes).toEqual({ mfaAuthenticated: 'true' });
    expect(parsed.requestParameters).toBeNull(); // CloudTrail itself writes this null
    expect(CloudTrailRecord.parse(records[4]).resources).toEqual([{ type: 'AWS::IAM::User' }]);
    expect(CloudTrailRecord.safeParse(broken).success).toBe(false);
  });

  it('are read by the single-file reader', async () => {
    const file = await readCloudTrailFile(join(dir, 'lake-export.json.gz'));
    expect(file.records.map((r) => r.eventID)).toEqual(records.slice(0, 6).map((r) => r.eventID));
    expect(file.invalid).toEqual([{ index: 6, reason: 'eventName missing or not a string' }]);
    expect(file.records[0].userIdentity).not.toHaveProperty('sessionContext');
  });

  it.each([0, 1])('load into the files store with every event and the one bad record counted (workers: %i)', async (workers) => {
    const store = await openFilesStore(dir, { workers, cacheDir: false });
    expect(store.stats.threads).toBe(workers);
    expect(store.stats).toMatchObject({ files: 2, events: records.length, invalidRecords: 1 });
    expect(store.errors).toEqual([]);
    expect(store.warnings.map((w) => w.message)).toEqual(['lake-export.json.gz: 1 invalid record(s) left out, first: record 6: eventName missing or not a string']);
    const events = (await store.query({ limit: 100 })).events;
    expect(events.map((e) => e.id).sort()).toEqual(records.map((r) => r.eventID).sort());
    for (const e of events) {
      // The compact path reads exactly what the schema path does: no null leaks into a field typed string.
      const { raw: _raw, ...expected } = normalise(CloudTrailRecord.parse(records.find((r) => r.eventID === e.id)));
      const { raw: _raw2, ...actual } = JSON.parse(JSON.stringify(e));
      expect(actual).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(JSON.stringify(actual)).not.toMatch(/:null\b/);
    }
    const failed = events.filter((e) => e.errorCode);
    expect(failed.map((e) => e.id).sort()).toEqual(['null-0', 'null-3', 'null-6', 'null-9']);
    expect(events.find((e) => e.id === 'null-1')!.principal).toMatchObject({ type: 'AssumedRole', name: 'Admin', session: 'erin' });
    expect(events.find((e) => e.id === 'null-0')!.principal.accessKeyId).toBeUndefined();
  });

  it('are served by the MCP tools, raw records included, within their output schemas', async () => {
    const conn = await connectInProcess(await openFilesStore(dir, { workers: 0, cacheDir: false }));
    try {
      const page = ok(await call(conn.client, 'lookup_cloudtrail_events', { max_results: 50, include_raw: true, start_time: '2026-01-01', end_time: '2026-02-01' }));
      expect(page.count).toBe(records.length);
      const first = page.events.find((e: { id: string }) => e.id === 'null-0');
      expect(first.raw).not.toHaveProperty('errorMessage');
      expect(first.raw.requestParameters).toBeNull();
      const failures = ok(await call(conn.client, 'get_cloudtrail_event_names', { start_time: '2026-01-01' }));
      expect(failures.total_events).toBe(records.length);
    } finally {
      await conn.close();
    }
  });
});
