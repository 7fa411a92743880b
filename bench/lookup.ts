/**
 * Lookup-source figures against the local CloudTrail endpoint: cold fetch of a 7-day, 2-region window at the
 * LookupEvents rate limit, the busiest 1-second window per region, and a re-run served from the disk cache.
 * Run: npx tsx bench/lookup.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailRecord } from '../cloudtrail/record.ts';
import { LookupStore } from '../cloudtrail/stores/lookup.ts';
import { startFakeCloudTrail } from '../test/support/fake-cloudtrail.ts';

const DAY = 86_400_000;
const start = Math.floor(Date.now() / DAY) * DAY - 8 * DAY;
const regions = ['us-east-1', 'eu-west-1'];
const records: CloudTrailRecord[] = [];
for (const region of regions)
  for (let i = 0; i < 700; i++)
    records.push(
      CloudTrailRecord.parse({
        eventID: `${region}-${i}`,
        eventTime: new Date(start + Math.floor((i * 7 * DAY) / 700)).toISOString(),
        eventSource: 's3.amazonaws.com',
        eventName: i % 2 ? 'GetObject' : 'PutObject',
        awsRegion: region,
        userIdentity: { type: 'IAMUser', userName: `u${i % 5}` },
      }),
    );

const fake = await startFakeCloudTrail(records);
const cacheDir = await mkdtemp(join(tmpdir(), 'trailbook-bench-lookup-'));
const options = { regions, endpoint: fake.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, cacheDir };
const window = { start, end: start + 7 * DAY, limit: 5000 };

let t = Date.now();
const cold = new LookupStore(options);
const first = await cold.query(window);
const coldMs = Date.now() - t;
let busiest = 0;
for (const region of regions) {
  const times = fake.requests.filter((r) => r.region === region).map((r) => r.at);
  busiest = Math.max(busiest, ...times.map((t0) => times.filter((x) => x >= t0 && x < t0 + 1000).length));
}
t = Date.now();
const warm = new LookupStore(options);
const again = await warm.query(window);
const warmMs = Date.now() - t;

console.log(`lookup, 7-day window, ${regions.length} regions, ${first.events.length} events`);
console.log(`  cold:   ${cold.requestCount} LookupEvents requests in ${coldMs} ms; busiest 1 s per region: ${busiest} requests`);
console.log(`  re-run: ${warm.requestCount} requests, ${warmMs} ms, ${again.events.length} events (disk cache)`);
await Promise.all([cold.close(), warm.close(), fake.close(), rm(cacheDir, { recursive: true, force: true })]);
