import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { writeFixtureDir } from './fixture.ts';
import { connectInProcess } from './helpers.ts';

let dir: string;
let cache: string;
const savedCache = process.env.TRAILBOOK_CACHE_DIR;

beforeAll(async () => {
  dir = await writeFixtureDir();
  cache = await mkdtemp(join(tmpdir(), 'trailbook-mcp-log-'));
  process.env.TRAILBOOK_CACHE_DIR = cache; // the SQL table's database goes here, not into the project
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env.TRAILBOOK_CACHE_DIR;
  else process.env.TRAILBOOK_CACHE_DIR = savedCache;
  await Promise.all([rm(dir, { recursive: true, force: true }), rm(cache, { recursive: true, force: true })]);
});

it('sends the progress of the SQL table load, on the first query, as log messages', async () => {
  const { client, close } = await connectInProcess(await openFilesStore(dir, { cacheDir: false }));
  const logs: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(String(n.params.data)));
  try {
    const r = await client.callTool({ name: 'query_cloudtrail_sql', arguments: { sql: 'SELECT count(*) AS n FROM cloudtrail' } });
    expect(r.isError).toBeFalsy();
    await new Promise((done) => setTimeout(done, 50));
    expect(logs.some((l) => /^load \d+\/\d+/.test(l)), logs.join('\n')).toBe(true);
    expect(logs).toContain('open 1/1');
    // Once the table is open, a query has nothing to report.
    logs.length = 0;
    await client.callTool({ name: 'query_cloudtrail_sql', arguments: { sql: 'SELECT 1 AS one' } });
    expect(logs).toEqual([]);
  } finally {
    await close();
  }
});
