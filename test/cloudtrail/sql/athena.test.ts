import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { athenaLiteral, fromText, mapTable, placeholders } from '../../../cloudtrail/sql/athena.ts';
import { openCloudTrailSql, type CloudTrailSql } from '../../../cloudtrail/sql/engine.ts';
import { openSqlSource } from '../../../cloudtrail/sql/index.ts';
import { SqlError, type SqlSource } from '../../../cloudtrail/sql/result.ts';
import { startFakeAthena, type FakeAthena } from '../../support/fake-athena.ts';
import { fixtureRecords, writeFixtureDir } from '../../mcp/fixture.ts';

describe('sending the SQL to Athena', () => {
  it('maps the table name after FROM / JOIN only, outside literals and comments', () => {
    const t = '"cloudtrail"."cloudtrail_logs"';
    expect(mapTable('SELECT count(*) FROM cloudtrail WHERE eventname = \'FROM cloudtrail\'', t)).toBe(`SELECT count(*) FROM ${t} WHERE eventname = 'FROM cloudtrail'`);
    expect(mapTable('select a.x from CloudTrail a join cloudtrail b on a.eventid = b.sharedeventid -- from cloudtrail', t)).toBe(
      `select a.x from ${t} a join ${t} b on a.eventid = b.sharedeventid -- from cloudtrail`,
    );
    expect(mapTable('SELECT cloudtrail FROM other', t)).toBe('SELECT cloudtrail FROM other');
  });

  it('turns $n into ? placeholders with literal ExecutionParameters, in order of appearance', () => {
    expect(placeholders("SELECT * FROM t WHERE a = $2 AND b = $1 AND c = '$1'")).toEqual({ text: "SELECT * FROM t WHERE a = ? AND b = ? AND c = '$1'", order: [2, 1] });
    expect([athenaLiteral("o'brien"), athenaLiteral(5), athenaLiteral(true), athenaLiteral(null), athenaLiteral(new Date(0))]).toEqual(["'o''brien'", '5', 'true', 'NULL', "'1970-01-01T00:00:00.000Z'"]);
    expect([fromText('42', 'bigint'), fromText('1.5', 'double'), fromText('true', 'boolean'), fromText(undefined, 'varchar'), fromText('x', 'varchar')]).toEqual([42, 1.5, true, null, 'x']);
  });
});

describe('the same SELECT locally and through the Athena source', () => {
  const records = fixtureRecords();
  let dir: string;
  let local: CloudTrailSql;
  let fake: FakeAthena;
  let athena: SqlSource;

  beforeAll(async () => {
    dir = await writeFixtureDir(records);
    local = await openCloudTrailSql({ dataDir: dir, cacheDir: false });
    fake = await startFakeAthena([], { engine: local, database: 'trail_db', table: 'trail_logs', queuedPolls: 1, runningPolls: 1 });
    athena = await openSqlSource({
      TRAILBOOK_SOURCE: 'athena',
      TRAILBOOK_DATA_DIR: dir,
      TRAILBOOK_ATHENA_DATABASE: 'trail_db',
      TRAILBOOK_ATHENA_TABLE: 'trail_logs',
      TRAILBOOK_ATHENA_ENDPOINT: fake.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
  }, 60_000);
  afterAll(async () => {
    await athena?.close();
    await fake?.close();
    await local?.close();
  });

  const QUERIES: [string, unknown[]][] = [
    ['SELECT eventname, count(*) AS n FROM cloudtrail GROUP BY eventname ORDER BY n DESC, eventname', []],
    ['SELECT useridentity.arn AS arn, count(*) AS calls, count(errorcode) AS failures FROM cloudtrail WHERE eventtime > $1 GROUP BY 1 ORDER BY 1', [records[120].eventTime]],
    ["SELECT eventid, eventtime, readonly = 'true' AS ro FROM cloudtrail WHERE eventsource = $1 AND useridentity.username = $2 ORDER BY eventtime, eventid LIMIT 5", ['s3.amazonaws.com', 'alice']],
  ];

  it('gives the same rows, with numbers and booleans typed', async () => {
    for (const [q, params] of QUERIES) {
      const a = await local.query(q, params as never);
      const b = await athena.query(q, params as never);
      expect(a.rows.length, q).toBeGreaterThan(0);
      expect(b.rows, q).toEqual(a.rows);
      expect(b.columns.map((c) => c.name)).toEqual(a.columns.map((c) => c.name));
    }
    // What Athena received: the configured table, ? placeholders, the values as ExecutionParameters.
    const sent = fake.requests.filter((r) => r.operation === 'StartQueryExecution').at(-1)!.body;
    expect(sent.QueryString).toContain('FROM "trail_db"."trail_logs"');
    expect(sent.QueryString).toContain('eventsource = ? AND useridentity.username = ?');
    expect(sent.ExecutionParameters).toEqual(["'s3.amazonaws.com'", "'alice'"]);
  }, 60_000);

  it('refuses non-SELECT statements before sending anything, and reports engine errors with their position', async () => {
    const before = fake.requests.length;
    for (const q of ['DROP TABLE cloudtrail', 'SELECT 1; DELETE FROM cloudtrail'])
      expect(((await athena.query(q).catch((e) => e)) as SqlError).kind, q).toBe('refused');
    expect(fake.requests.length).toBe(before);
    const err = (await athena.query('SELECT eventname\nFROM cloudtrail\nWHERE nosuch = 1').catch((e) => e)) as SqlError;
    expect(err).toBeInstanceOf(SqlError);
    expect([err.kind, err.line, err.column]).toEqual(['invalid', 3, 7]);
  }, 60_000);

  it('stops at the row limit', async () => {
    const r = await athena.query('SELECT eventid FROM cloudtrail ORDER BY eventid', [], { maxRows: 7 });
    expect([r.rows.length, r.truncated]).toEqual([7, true]);
    expect(r.notice).toMatch(/maxRows/);
  }, 60_000);
});
