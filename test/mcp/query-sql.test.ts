import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCloudTrailSql, type CloudTrailSql } from '../../cloudtrail/sql/engine.ts';
import type { SqlSource } from '../../cloudtrail/sql/result.ts';
import { createToolContext } from '../../mcp/context.ts';
import { AthenaStore } from '../../cloudtrail/stores/athena.ts';
import { openFilesStore, type FilesStore } from '../../cloudtrail/stores/files.ts';
import { startFakeAthena, type FakeAthena } from '../support/fake-athena.ts';
import { fixtureRecords, writeFixtureDir } from './fixture.ts';
import { call, connectInProcess, ok, textOf } from './helpers.ts';

const records = fixtureRecords();
let dir: string;
let cache: string;
let store: FilesStore;
let conn: Awaited<ReturnType<typeof connectInProcess>>;
let local: CloudTrailSql;
const savedCache = process.env.TRAILBOOK_CACHE_DIR;

beforeAll(async () => {
  dir = await writeFixtureDir(records);
  cache = await mkdtemp(join(tmpdir(), 'trailbook-mcp-sql-'));
  // The tool builds its database in the cache directory, never the project's.
  process.env.TRAILBOOK_CACHE_DIR = cache;
  store = await openFilesStore(dir, { cacheDir: false });
  conn = await connectInProcess(store);
  local = await openCloudTrailSql({ dataDir: dir, cacheDir: false });
}, 60_000);
afterAll(async () => {
  await conn?.close();
  await local?.close();
  if (savedCache === undefined) delete process.env.TRAILBOOK_CACHE_DIR;
  else process.env.TRAILBOOK_CACHE_DIR = savedCache;
  await rm(cache, { recursive: true, force: true });
});

/** Minutes of work for DuckDB: only an interrupt or the time limit ends it. */
const SLOW = 'SELECT count(*) AS n FROM range(100000000000) a WHERE a.range % 7 = 3';
const COUNTS = 'SELECT eventsource, eventname, count(*) AS n FROM cloudtrail GROUP BY 1, 2 ORDER BY n DESC, eventsource, eventname';

describe('query_cloudtrail_sql', () => {
  it('is listed with its input and output schemas', async () => {
    const tool = (await conn.client.listTools()).tools.find((t) => t.name === 'query_cloudtrail_sql');
    expect(tool?.inputSchema.required).toEqual(['sql']);
    expect(Object.keys(tool?.inputSchema.properties ?? {})).toEqual(['sql', 'maxRows', 'timeoutSeconds']);
    expect(tool?.outputSchema?.type).toBe('object');
    expect(tool?.annotations?.readOnlyHint).toBe(true);
  });

  it('returns rows with column names and types, the same as the engine and as the existing tools count', async () => {
    const r = ok(await call(conn.client, 'query_cloudtrail_sql', { sql: COUNTS }));
    expect(r.columns).toEqual([
      { name: 'eventsource', type: 'VARCHAR' },
      { name: 'eventname', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' },
    ]);
    expect(r.rows).toEqual((await local.query(COUNTS)).rows);
    expect(r).toMatchObject({ row_count: r.rows.length, truncated: false, engine: 'duckdb' });
    const names = ok(await call(conn.client, 'get_cloudtrail_event_names', { top: 100, start_time: '2000-01-01T00:00:00Z' })).event_names;
    expect(r.rows.map((x: { eventsource: string; eventname: string; n: number }) => ({ source: x.eventsource, name: x.eventname, count: x.n })).sort(byKey)).toEqual([...names].sort(byKey));
  });

  it('refuses what is not one SELECT and cannot read files', async () => {
    for (const sql of ['DELETE FROM cloudtrail', 'SELECT 1; SELECT 2', "SELECT * FROM read_text('/etc/passwd')"]) {
      const r = await call(conn.client, 'query_cloudtrail_sql', { sql });
      expect(r.isError, sql).toBe(true);
      expect(textOf(r)).toMatch(/only|single|disabled/);
    }
    const wrong = await call(conn.client, 'query_cloudtrail_sql', { sql: 'SELECT eventnam FROM cloudtrail' });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toMatch(/eventnam.*line 1, column 8/s);
  });

  it('says when the row limit cut the answer and how to raise it', async () => {
    const r = ok(await call(conn.client, 'query_cloudtrail_sql', { sql: 'SELECT eventid FROM cloudtrail', maxRows: 5 }));
    expect([r.row_count, r.truncated]).toEqual([5, true]);
    expect(r.notice).toMatch(/maxRows/);
    expect((await call(conn.client, 'query_cloudtrail_sql', { sql: 'SELECT 1', maxRows: 1_000_000 })).isError).toBe(true);
  });

  it('stops a query at its time limit and says how to give it longer', async () => {
    const t0 = Date.now();
    const r = await call(conn.client, 'query_cloudtrail_sql', { sql: SLOW, timeoutSeconds: 1 });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/longer than 1 s and was stopped.*timeoutSeconds/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(ok(await call(conn.client, 'query_cloudtrail_sql', { sql: 'SELECT 1 AS one' })).rows).toEqual([{ one: 1 }]);
  }, 60_000);

  it("passes the client's cancellation to the engine, which interrupts the query", async () => {
    // The real engine, watched: what signal each query got and how the query itself ended.
    const seen: { signal?: AbortSignal; outcome: Promise<string> }[] = [];
    const watched: SqlSource = {
      kind: local.kind,
      close: async () => {},
      query: (q, params, opts) => {
        const run = local.query(q, params, opts);
        seen.push({ signal: opts?.signal, outcome: run.then(() => 'finished', (e: { kind?: string }) => String(e.kind)) });
        return run;
      },
    };
    const other = await openFilesStore(dir, { cacheDir: false });
    await createToolContext({ store: other }).memo('sql-source', async () => watched);
    const client = await connectInProcess(other);
    try {
      const ac = new AbortController();
      const pending = client.client.callTool({ name: 'query_cloudtrail_sql', arguments: { sql: SLOW } }, undefined, { signal: ac.signal });
      for (const deadline = Date.now() + 30_000; !seen.length && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      ac.abort(); // the SDK sends notifications/cancelled
      await expect(pending).rejects.toThrow(/abort/i);
      expect(await seen[0]!.outcome).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(seen[0]!.signal?.aborted).toBe(true);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('serves the table schema as cloudtrail://schema', async () => {
    expect((await conn.client.listResources()).resources.map((r) => r.uri)).toContain('cloudtrail://schema');
    const res = await conn.client.readResource({ uri: 'cloudtrail://schema' });
    const schema = JSON.parse((res.contents[0] as { text: string }).text);
    expect(schema.table).toBe('cloudtrail');
    expect(schema.columns.find((c: { name: string }) => c.name === 'useridentity').type).toMatch(/^STRUCT<type:STRING,principalid:STRING,arn:STRING/);
    expect(schema.columns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['eventtime', 'eventname', 'errorcode', 'requestparameters', 'resources', 'region', 'timestamp']));
  });

  it('explains that an in-memory source has no table', async () => {
    const mem = await connectInProcess();
    try {
      const r = await call(mem.client, 'query_cloudtrail_sql', { sql: 'SELECT 1' });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/files source.*athena/);
    } finally {
      await mem.close();
    }
  });
});

describe('query_cloudtrail_sql with the athena source', () => {
  let fake: FakeAthena;
  let athena: Awaited<ReturnType<typeof connectInProcess>>;
  beforeAll(async () => {
    fake = await startFakeAthena([], { engine: local });
    const s = new AthenaStore({ region: 'us-east-1', database: 'cloudtrail', table: 'cloudtrail_logs', endpoint: fake.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, pollMs: 5, maxPollMs: 20 });
    athena = await connectInProcess(s);
  });
  afterAll(async () => {
    await athena?.close();
    await fake?.close();
  });

  it('sends the same SQL to Athena and gets the same rows', async () => {
    const r = ok(await call(athena.client, 'query_cloudtrail_sql', { sql: COUNTS }));
    expect(r.engine).toBe('athena');
    expect(r.rows).toEqual(ok(await call(conn.client, 'query_cloudtrail_sql', { sql: COUNTS })).rows);
    expect(r.columns.map((c: { type: string }) => c.type)).toEqual(['varchar', 'varchar', 'bigint']);
    expect(fake.queries.at(-1)?.sql).toContain('FROM "cloudtrail"."cloudtrail_logs"');
  }, 60_000);
});

const byKey = (a: { source: string; name: string }, b: { source: string; name: string }) => (`${a.source} ${a.name}` < `${b.source} ${b.name}` ? -1 : 1);
