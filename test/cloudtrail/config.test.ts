import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, loadDataConfig, lookupCacheDir, openStore, PROJECT_ROOT } from '../../cloudtrail/config.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { startFakeAthena, type FakeAthena } from '../support/fake-athena.ts';
import { startFakeCloudTrail, type FakeCloudTrail } from '../support/fake-cloudtrail.ts';

const keys = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
const when = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000;
const records = ['us-east-1', 'eu-west-1'].map((region, i) =>
  CloudTrailRecord.parse({ eventID: `cfg-${i}`, eventTime: new Date(when + i * 60_000).toISOString().replace('.000Z', 'Z'), eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', awsRegion: region, userIdentity: { type: 'IAMUser', userName: 'dev' } }),
);

describe('data configuration', () => {
  it('keeps the files source as the default', () => {
    const c = loadDataConfig({});
    expect(c.TRAILBOOK_SOURCE).toBe('files');
    expect(c.TRAILBOOK_DATA_DIR).toBe(DEFAULT_DATA_DIR);
    expect(lookupCacheDir(c)).toBe(join(PROJECT_ROOT, '.cache/lookup'));
    expect(lookupCacheDir(loadDataConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn' }))).toBe('/tmp/trailbook-cache/lookup');
  });

  it('names the missing variable for lookup and athena', () => {
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'lookup' })).toThrow(/TRAILBOOK_REGIONS: TRAILBOOK_SOURCE=lookup needs TRAILBOOK_REGIONS/);
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'lookup', TRAILBOOK_REGIONS: ' ' })).toThrow(/needs TRAILBOOK_REGIONS/);
    expect(loadDataConfig({ TRAILBOOK_SOURCE: 'lookup', AWS_REGION: 'eu-west-1' }).AWS_REGION).toBe('eu-west-1');
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'lookup', TRAILBOOK_REGIONS: 'us-east-1,narnia' })).toThrow(/"narnia" is not an AWS region name/);
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'athena', AWS_REGION: 'us-east-1', TRAILBOOK_ATHENA_TABLE: 't' })).toThrow(/needs TRAILBOOK_ATHENA_DATABASE/);
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'athena', AWS_REGION: 'us-east-1', TRAILBOOK_ATHENA_DATABASE: 'd' })).toThrow(/needs TRAILBOOK_ATHENA_TABLE/);
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'athena', TRAILBOOK_ATHENA_DATABASE: 'd', TRAILBOOK_ATHENA_TABLE: 't' })).toThrow(/needs AWS_REGION/);
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'athena', AWS_REGION: 'us-east-1', TRAILBOOK_ATHENA_DATABASE: 'd', TRAILBOOK_ATHENA_TABLE: 't', TRAILBOOK_ATHENA_OUTPUT_LOCATION: '/tmp/x' })).toThrow(/TRAILBOOK_ATHENA_OUTPUT_LOCATION: must be an s3:\/\/ URL/);
    expect(() => loadDataConfig({ TRAILBOOK_SOURCE: 'cloudwatch' })).toThrow(/TRAILBOOK_SOURCE/);
  });
});

describe('openStore with endpoint overrides', () => {
  let ct: FakeCloudTrail;
  let athena: FakeAthena;
  let cache: string;
  beforeAll(async () => {
    [ct, athena] = await Promise.all([startFakeCloudTrail(records), startFakeAthena(records, { database: 'trail', table: 'logs' })]);
    cache = await mkdtemp(join(tmpdir(), 'trailbook-config-'));
  });
  afterAll(async () => {
    await Promise.all([ct.close(), athena.close(), rm(cache, { recursive: true, force: true })]);
  });

  it('opens the lookup source on TRAILBOOK_REGIONS, the cache dir and TRAILBOOK_CLOUDTRAIL_ENDPOINT', async () => {
    const store = await openStore(loadDataConfig({ ...keys, TRAILBOOK_SOURCE: 'lookup', TRAILBOOK_REGIONS: 'us-east-1, eu-west-1', TRAILBOOK_CACHE_DIR: cache, TRAILBOOK_CLOUDTRAIL_ENDPOINT: ct.url }));
    const page = await store.query({ start: when, end: when + 3_600_000 });
    expect(page.events.map((e) => [e.id, e.region])).toEqual([['cfg-0', 'us-east-1'], ['cfg-1', 'eu-west-1']]);
    expect(new Set(ct.requests.map((r) => r.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    expect((await readdir(join(cache, 'lookup'))).length).toBe(2);
    expect((await store.status()).regions).toEqual(['us-east-1', 'eu-west-1']);
    await store.close?.();
  });

  it('opens the athena source with AWS_ENDPOINT_URL_ATHENA and the TRAILBOOK_ATHENA_* settings', async () => {
    const store = await openStore(
      loadDataConfig({ ...keys, TRAILBOOK_SOURCE: 'athena', AWS_REGION: 'eu-central-1', TRAILBOOK_ATHENA_DATABASE: 'trail', TRAILBOOK_ATHENA_TABLE: 'logs', TRAILBOOK_ATHENA_WORKGROUP: 'wg', TRAILBOOK_ATHENA_OUTPUT_LOCATION: 's3://out/q/', AWS_ENDPOINT_URL_ATHENA: athena.url }),
    );
    const page = await store.query({ principal: 'dev' });
    expect(page.events.map((e) => e.id)).toEqual(['cfg-0', 'cfg-1']);
    const start = athena.requests.find((r) => r.operation === 'StartQueryExecution')!;
    expect(start.region).toBe('eu-central-1');
    expect(start.body).toMatchObject({ WorkGroup: 'wg', QueryExecutionContext: { Database: 'trail' }, ResultConfiguration: { OutputLocation: 's3://out/q/' } });
    await store.close?.();
  });
});
