import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudTrailFileError, extractRecords, listCloudTrailFiles, readCloudTrailFile } from '../../../cloudtrail/readers/index.ts';
import { openFilesStore, type FilesStore } from '../../../cloudtrail/stores/files.ts';

const rec = (id: string, time: string, name = 'DescribeInstances', extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/dana', accountId: '111122223333', userName: 'dana' },
  eventTime: time,
  eventSource: 'ec2.amazonaws.com',
  eventName: name,
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.1',
  userAgent: 'aws-cli/2.0',
  requestParameters: { instancesSet: { items: [{ instanceId: `i-${id}` }] } },
  responseElements: null,
  eventID: id,
  readOnly: true,
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
  ...extra,
});

let dir: string;
const files: Record<string, string> = {};
const originals = new Map<string, Record<string, unknown>>();

function put(rel: string, content: string | Buffer): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}
const remember = <T extends { eventID: string }>(...rs: T[]) => {
  for (const r of rs) originals.set(r.eventID, r as unknown as Record<string, unknown>);
  return rs;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trailbook-readers-'));
  // gzipped S3 delivery file, records unordered as AWS delivers them
  files.gz = put(
    'AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/111122223333_CloudTrail_us-east-1_20240102T1005Z_abcdefghijklmnop.json.gz',
    gzipSync(JSON.stringify({ Records: remember(rec('gz-2', '2024-01-02T10:01:00Z'), rec('gz-1', '2024-01-02T10:00:00Z'), rec('gz-3', '2024-01-02T10:02:00Z', 'RunInstances', { readOnly: false, errorCode: 'Client.UnauthorizedOperation' })) })),
  );
  // organisation trail prefix, plain .json, with one record missing eventName
  files.org = put(
    'AWSLogs/o-abc123def4/222233334444/CloudTrail/eu-west-1/2024/01/02/222233334444_CloudTrail_eu-west-1_20240102T1010Z_qrstuvwxyzABCDEF.json',
    JSON.stringify({ Records: [...remember(rec('org-1', '2024-01-02T10:06:00Z', 'StopInstances', { awsRegion: 'eu-west-1', readOnly: false })), { eventTime: '2024-01-02T10:07:00Z', eventSource: 'ec2.amazonaws.com' }] }),
  );
  // digest files are skipped by path, whatever they contain
  files.digest = put(
    'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240102T110000Z.json.gz',
    gzipSync(JSON.stringify({ digestStartTime: '2024-01-02T10:00:00Z', digestEndTime: '2024-01-02T11:00:00Z', logFiles: [] })),
  );
  // an Insight delivery in a normal-looking place is recognised by content and skipped
  files.insight = put('insights.json', JSON.stringify({ Records: [{ eventVersion: '1.07', eventTime: '2024-01-02T10:00:00Z', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', eventType: 'AwsCloudTrailInsight', eventCategory: 'Insight' }] }));
  // LookupEvents output: PascalCase wrapper, record as a JSON string
  const lookupRecs = remember(rec('lk-1', '2024-01-02T09:00:00Z', 'ConsoleLogin', { eventSource: 'signin.amazonaws.com' }), rec('lk-2', '2024-01-02T09:01:00Z'));
  files.lookup = put(
    'exports/lookup-events.json',
    JSON.stringify({ Events: lookupRecs.map((r) => ({ EventId: r.eventID, EventName: r.eventName, ReadOnly: 'true', EventTime: Date.parse(r.eventTime) / 1000, EventSource: r.eventSource, Username: 'dana', Resources: [], CloudTrailEvent: JSON.stringify(r) })), NextToken: 'abc' }),
  );
  files.array = put('exports/array.json', JSON.stringify(remember(rec('arr-1', '2024-01-02T08:00:00Z'), rec('arr-2', '2024-01-02T08:00:00Z'))));
  files.ndjson = put('exports/events.ndjson', [rec('nd-1', '2024-01-02T07:00:00Z'), rec('nd-2', '2024-01-02T07:30:00Z')].map((r) => (remember(r), JSON.stringify(r))).join('\n') + '\n{not json\n');
  files.notes = put('notes.json', JSON.stringify({ title: 'meeting notes', items: [1, 2] }));
  put('README.md', '# not a candidate');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('extractRecords', () => {
  it('detects each shape from content', async () => {
    expect((await readCloudTrailFile(files.gz)).shape).toBe('delivery');
    expect((await readCloudTrailFile(files.org)).shape).toBe('delivery');
    expect((await readCloudTrailFile(files.digest)).shape).toBe('digest');
    expect((await readCloudTrailFile(files.insight)).shape).toBe('insight');
    expect((await readCloudTrailFile(files.lookup)).shape).toBe('lookup');
    expect((await readCloudTrailFile(files.array)).shape).toBe('array');
    expect((await readCloudTrailFile(files.ndjson)).shape).toBe('ndjson');
  });

  it('unwraps the CloudTrailEvent JSON string of LookupEvents results', async () => {
    const { records } = await readCloudTrailFile(files.lookup);
    expect(records.map((r) => r.eventID)).toEqual(['lk-1', 'lk-2']);
    expect(records[0]).toEqual(originals.get('lk-1'));
  });

  it('counts invalid records and junk NDJSON lines without failing the file', async () => {
    const org = await readCloudTrailFile(files.org);
    expect(org.records).toHaveLength(1);
    expect(org.invalid).toEqual([{ index: 1, reason: 'eventName missing or not a string' }]);
    const nd = await readCloudTrailFile(files.ndjson);
    expect(nd.records.map((r) => r.eventID)).toEqual(['nd-1', 'nd-2']);
    expect(nd.invalid).toHaveLength(1);
  });

  it('names the file when it is not CloudTrail', () => {
    expect(() => extractRecords('{"title":"x"}', 'notes.json')).toThrow(
      'notes.json: not CloudTrail: expected {"Records":[...]}, a LookupEvents result, an array or NDJSON of records with eventTime/eventSource/eventName',
    );
    expect(() => extractRecords('hello world', 'a.txt.json')).toThrow(CloudTrailFileError);
    expect(() => extractRecords('', 'empty.json')).toThrow(/empty.json: empty file/);
    expect(() => extractRecords('{"Records": [', 'cut.json')).toThrow(/cut.json: invalid JSON/);
    expect(() => extractRecords('[1, 2, 3]', 'numbers.json')).toThrow(/numbers.json: not CloudTrail/);
  });

  it('lists candidate files in any layout and skips digests', async () => {
    const { files: found, skipped } = await listCloudTrailFiles(dir);
    expect(found).toContain(files.org);
    expect(found).not.toContain(files.digest);
    expect(skipped.find((s) => s.path.includes('CloudTrail-Digest'))?.reason).toBe('CloudTrail digest or Insight delivery (no events)');
    expect(found.some((f) => f.endsWith('README.md'))).toBe(false);
    expect(skipped.find((s) => s.path.endsWith('README.md'))?.reason).toBe('not a .json, .jsonl or .ndjson file (optionally .gz)');
  });
});

describe.each([0, 2])('openFilesStore over every shape (workers: %i)', (workers) => {
  let store: FilesStore;
  beforeAll(async () => {
    store = await openFilesStore(dir, { workers, cacheDir: false });
  });

  it('parses on the requested number of threads', () => {
    expect(store.stats.threads).toBe(workers ? 1 : 0);
  });

  it('loads every good file and reports the non-CloudTrail one by name', async () => {
    const ids = (await store.query({ limit: 100 })).events.map((e) => e.id);
    expect(ids.sort()).toEqual([...originals.keys()].sort());
    expect(store.errors).toHaveLength(1);
    expect(store.errors[0].file).toBe(files.notes);
    expect(store.errors[0].message).toMatch(/^notes\.json: not CloudTrail: expected \{"Records":\[\.\.\.\]\}/);
  });

  it('counts invalid records as warnings, not errors', () => {
    expect(store.stats.invalidRecords).toBe(2);
    expect(store.warnings.map((w) => w.file).sort()).toEqual([files.ndjson, files.org].sort());
    expect(store.warnings.find((w) => w.file === files.org)!.message).toMatch(/1 invalid record.*eventName missing/);
  });

  it('orders events by time then id, and reads raw records back lazily and exactly', async () => {
    const events = (await store.query({ limit: 100 })).events;
    const keys = events.map((e) => [e.time, e.id] as const);
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)));
    for (const e of events) expect(e.raw).toEqual(originals.get(e.id));
    const gz3 = events.find((e) => e.id === 'gz-3')!;
    expect(gz3).toMatchObject({ name: 'RunInstances', errorCode: 'Client.UnauthorizedOperation', readOnly: false, region: 'us-east-1', account: '111122223333' });
    expect(gz3.principal).toMatchObject({ type: 'IAMUser', name: 'dana', key: 'dana' });
    expect(JSON.parse(JSON.stringify(gz3)).raw.requestParameters).toEqual({ instancesSet: { items: [{ instanceId: 'i-gz-3' }] } });
  });

  it('shares one Principal object per identity', async () => {
    const events = (await store.query({ limit: 100, principal: 'dana' })).events;
    expect(events.length).toBe(originals.size);
    expect(new Set(events.map((e) => e.principal)).size).toBe(1);
  });
});
