import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCloudTrailSql, type CloudTrailSql } from '../../cloudtrail/sql/engine.ts';
import { openSqlSource } from '../../cloudtrail/sql/index.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import type { KernelHandle } from '../../kernel/protocol.ts';
import { generatePreludeTypes } from '../../kernel/prelude/index.ts';
import { templateText } from '../../kernel/prelude/sql.ts';
import { startFakeAthena, type FakeAthena } from '../support/fake-athena.ts';
import { fixtureRecords, writeFixtureDir } from '../mcp/fixture.ts';
import { call, connectInProcess, ok } from '../mcp/helpers.ts';
import { errorOf, resultOf, startKernel, textOf } from './helpers.ts';

const records = fixtureRecords();
const CUT = records[60].eventTime;
const QUERY = `SELECT eventname, count(*) AS n FROM cloudtrail WHERE eventtime > '${CUT}' GROUP BY 1 ORDER BY n DESC, eventname`;

let dir: string;
let cache: string;
let kernel: KernelHandle;
let close: () => Promise<void>;

const run = async (code: string) => {
  const { outputs } = await kernel.execute({ code });
  const err = errorOf(outputs);
  return { outputs, err, data: resultOf(outputs), stderr: textOf(outputs, 'stderr') };
};

beforeAll(async () => {
  dir = await writeFixtureDir(records);
  cache = await mkdtemp(join(tmpdir(), 'trailbook-kernel-sql-'));
  ({ kernel, close } = await startKernel({}, { env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dir, TRAILBOOK_CACHE_DIR: cache } }));
}, 60_000);
afterAll(async () => {
  await close?.();
  await rm(cache, { recursive: true, force: true });
});

describe('the sql tagged template', () => {
  it('builds $n placeholders from the template', () => {
    expect(templateText(['SELECT * FROM cloudtrail WHERE a = ', ' AND b > ', ''])).toBe('SELECT * FROM cloudtrail WHERE a = $1 AND b > $2');
    expect(templateText(['SELECT 1'])).toBe('SELECT 1');
  });

  it('is declared for the editor', async () => {
    expect(await generatePreludeTypes()).toMatch(/declare const sql: SqlTag;/);
  });

  it('returns typed rows that display as a table and feed Plot', async () => {
    const { data, err } = await run(`const top = await sql\`SELECT eventname, count(*) AS n FROM cloudtrail WHERE eventtime > \${${JSON.stringify(CUT)}} GROUP BY 1 ORDER BY n DESC, eventname\`; top`);
    expect(err).toBeUndefined();
    expect(String(data?.['text/html'])).toMatch(/<table class="trailbook-table"><thead><tr><th>eventname<\/th><th>n<\/th>/);
    const expected = new Map<string, number>();
    for (const r of records.filter((x) => x.eventTime > CUT)) expected.set(r.eventName, (expected.get(r.eventName) ?? 0) + 1);
    expect(data?.['application/json']).toEqual([...expected].map(([eventname, n]) => ({ eventname, n })).sort((a, b) => b.n - a.n || (a.eventname < b.eventname ? -1 : 1)));
    const meta = await run(`({ columns: top.columns, truncated: top.truncated, n: typeof top[0].n, svg: Plot.plot({ marks: [Plot.barY(top, { x: 'eventname', y: 'n' })] }).outerHTML.startsWith('<svg') })`);
    expect(meta.data?.['application/json']).toEqual({ columns: [{ name: 'eventname', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }], truncated: false, n: 'number', svg: true });
  }, 60_000);

  it('binds ${} values as parameters, never as SQL text', async () => {
    const { data, err } = await run(`const who = "alice' OR '1'='1"; (await sql\`SELECT count(*) AS n FROM cloudtrail WHERE useridentity.username = \${who}\`)[0]`);
    expect(err).toBeUndefined();
    expect(data?.['application/json']).toEqual({ n: 0 });
    const bad = await run('await sql`SELECT * FROM cloudtrail WHERE eventname IN (${["a", "b"]})`');
    expect(bad.err?.evalue).toMatch(/only strings, numbers, booleans, dates and null/);
  }, 60_000);

  it('says when the row limit cut the result, and reports wrong SQL with its position', async () => {
    const cut = await run('sql.maxRows = 3; const few = await sql`SELECT eventid FROM cloudtrail`; sql.maxRows = 10000; [few.length, few.truncated]');
    expect(cut.data?.['application/json']).toEqual([3, true]);
    expect(cut.stderr).toMatch(/only the first 3 rows.*sql\.maxRows/);
    const wrong = await run('await sql`SELECT eventname\nFROM cloudtrail\nWHERE nosuch = 1`');
    expect(wrong.err?.evalue).toMatch(/nosuch.*line 3, column 7/s);
    const refused = await run("await sql`DELETE FROM cloudtrail`");
    expect(refused.err?.evalue).toMatch(/only SELECT/);
  }, 60_000);
});

describe('one SELECT, three ways', () => {
  let fake: FakeAthena;
  let local: CloudTrailSql;
  beforeAll(async () => {
    local = await openCloudTrailSql({ dataDir: dir, cacheDir: false });
    fake = await startFakeAthena([], { engine: local });
  }, 60_000);
  afterAll(async () => {
    await fake?.close();
    await local?.close();
  });
  /** The athena source over the local Athena endpoint, with test credentials. */
  const athenaEnv = () => ({
    TRAILBOOK_SOURCE: 'athena' as const,
    TRAILBOOK_ATHENA_DATABASE: 'cloudtrail',
    TRAILBOOK_ATHENA_TABLE: 'cloudtrail_logs',
    TRAILBOOK_ATHENA_ENDPOINT: fake.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });

  it('gives the same rows from a kernel cell (sql template and %%sql), from the MCP tool and through the Athena source', async () => {
    const cell = (await run(`await sql\`${QUERY}\``)).data?.['application/json'] as unknown[];
    expect(cell.length).toBeGreaterThan(3);
    // A %%sql cell is the same query through the same engine.
    expect((await run(`%%sql same\n${QUERY}`)).data?.['application/json']).toEqual(cell);

    const store = await openFilesStore(dir, { cacheDir: false });
    const saved = process.env.TRAILBOOK_CACHE_DIR;
    process.env.TRAILBOOK_CACHE_DIR = cache;
    const mcp = await connectInProcess(store);
    try {
      expect(ok(await call(mcp.client, 'query_cloudtrail_sql', { sql: QUERY })).rows).toEqual(cell);
    } finally {
      await mcp.close();
      if (saved === undefined) delete process.env.TRAILBOOK_CACHE_DIR;
      else process.env.TRAILBOOK_CACHE_DIR = saved;
    }

    const athena = await openSqlSource({ ...athenaEnv(), TRAILBOOK_DATA_DIR: dir });
    try {
      expect((await athena.query(QUERY)).rows).toEqual(cell);
      expect(fake.queries.at(-1)?.sql).toBe(QUERY.replace('FROM cloudtrail', 'FROM "cloudtrail"."cloudtrail_logs"'));
    } finally {
      await athena.close();
    }
  }, 120_000);

  it('runs a %%sql cell on Athena when the kernel has the athena source, with the same rows', async () => {
    const athena = await startKernel({}, { env: athenaEnv() });
    try {
      const local = (await run(`%%sql\n${QUERY}`)).data?.['application/json'];
      const { outputs } = await athena.kernel.execute({ code: `%%sql onathena\n${QUERY}` });
      expect(errorOf(outputs)).toBeUndefined();
      expect(resultOf(outputs)?.['application/json']).toEqual(local);
      // The cell's SQL as written (after the header line), with only the table mapped.
      expect(fake.queries.at(-1)?.sql).toBe(`\n${QUERY}`.replace('FROM cloudtrail', 'FROM "cloudtrail"."cloudtrail_logs"'));
      const typed = await athena.kernel.execute({ code: 'onathena.columns.map((c) => c.type)' });
      expect(resultOf(typed.outputs)?.['application/json']).toEqual(['varchar', 'bigint']);
    } finally {
      await athena.close();
    }
  }, 120_000);
});
