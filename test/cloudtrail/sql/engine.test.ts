import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCloudTrailSql, type CloudTrailSql } from '../../../cloudtrail/sql/engine.ts';
import { SqlError } from '../../../cloudtrail/sql/result.ts';
import { tableSchema } from '../../../cloudtrail/sql/schema.ts';
import { fixtureRecords, writeFixtureDir } from '../../mcp/fixture.ts';
import { CORRUPT_GZIP_FILE, NOT_CLOUDTRAIL_FILE, writeDirWithUnusableFiles } from '../unusable-dir.ts';

const records = fixtureRecords();
let dir: string;
let cache: string;
let sql: CloudTrailSql;

beforeAll(async () => {
  dir = await writeFixtureDir(records);
  cache = await mkdtemp(join(tmpdir(), 'trailbook-sql-cache-'));
  sql = await openCloudTrailSql({ dataDir: dir, cacheDir: cache });
}, 60_000);
afterAll(async () => {
  await sql?.close();
  await rm(cache, { recursive: true, force: true });
});

const fail = async (q: string, params: unknown[] = []): Promise<SqlError> => {
  const err = await sql.query(q, params as never).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SqlError);
  return err as SqlError;
};

describe('the cloudtrail table', () => {
  it('has the columns of the Athena CloudTrail table, in its order, partitions last', async () => {
    const r = await sql.query('SELECT * FROM cloudtrail LIMIT 0');
    expect(r.columns.map((c) => c.name)).toEqual(tableSchema().columns.map((c) => c.name));
    expect(r.columns.map((c) => c.name).slice(0, 6)).toEqual(['eventversion', 'useridentity', 'eventtime', 'eventsource', 'eventname', 'awsregion']);
    expect(r.columns.find((c) => c.name === 'resources')?.type).toBe('STRUCT("arn" VARCHAR, "accountid" VARCHAR, "type" VARCHAR)[]');
    expect(tableSchema().columns.find((c) => c.name === 'resources')?.type).toBe('ARRAY<STRUCT<arn:STRING,accountid:STRING,type:STRING>>');
  });

  it('holds every record, with counts per event name equal to the files', async () => {
    expect(sql.opened.events).toBe(records.length);
    const r = await sql.query('SELECT eventname, count(*) AS n FROM cloudtrail GROUP BY eventname ORDER BY eventname');
    const expected = new Map<string, number>();
    for (const x of records) expected.set(x.eventName, (expected.get(x.eventName) ?? 0) + 1);
    expect(r.rows).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([eventname, n]) => ({ eventname, n })));
    expect(r.columns).toEqual([
      { name: 'eventname', type: 'VARCHAR' },
      { name: 'n', type: 'BIGINT' },
    ]);
  });

  it('keeps eventtime as ISO text, so comparisons with ISO strings work as on Athena', async () => {
    const cut = records[100].eventTime;
    const r = await sql.query(`SELECT count(*) AS n, min(eventtime) AS first FROM cloudtrail WHERE eventtime > '${cut}'`);
    expect(r.rows[0]).toEqual({ n: records.filter((x) => x.eventTime > cut).length, first: records.filter((x) => x.eventTime > cut).map((x) => x.eventTime).sort()[0] });
  });

  it('reads nested identity fields, resources, JSON text columns, readonly text and the partitions', async () => {
    const r = await sql.query(
      `SELECT useridentity.sessioncontext.sessionissuer.username AS role, useridentity.arn AS arn, resources, requestparameters, readonly, region, "timestamp", eventid
       FROM cloudtrail WHERE eventid = $1`,
      [records.find((x) => x.userIdentity?.type === 'AssumedRole' && x.eventName === 'GetObject')!.eventID!],
    );
    const rec = records.find((x) => x.eventID === r.rows[0].eventid)!;
    expect(r.rows[0]).toMatchObject({
      role: 'Deployer',
      arn: rec.userIdentity!.arn,
      requestparameters: JSON.stringify(rec.requestParameters),
      readonly: String(rec.readOnly),
      region: rec.awsRegion,
      timestamp: rec.eventTime.slice(0, 10).replace(/-/g, '/'),
    });
    expect(JSON.parse(r.rows[0].requestparameters as string)).toEqual(rec.requestParameters);
  });

  it('binds ${} values as parameters, never as SQL', async () => {
    const none = await sql.query('SELECT count(*) AS n FROM cloudtrail WHERE useridentity.username = $1', ["alice' OR '1'='1"]);
    expect(none.rows).toEqual([{ n: 0 }]);
    const alice = await sql.query('SELECT count(*) AS n FROM cloudtrail WHERE useridentity.username = $1 LIMIT $2', ['alice', 5]);
    expect(alice.rows[0].n).toBe(records.filter((x) => x.userIdentity?.userName === 'alice').length);
    expect((await fail('SELECT $1, $2', [1])).message).toMatch(/2 parameter/);
  });
});

describe('read-only, sealed queries', () => {
  it('refuses anything but one SELECT / WITH', async () => {
    for (const q of ['DELETE FROM cloudtrail', 'DROP TABLE cloudtrail', "ATTACH '/tmp/x.duckdb' AS x", 'SET lock_configuration = false', 'SELECT 1; SELECT 2', 'INSTALL httpfs', 'PRAGMA version', 'SHOW TABLES', 'DESCRIBE cloudtrail', '/* x */ EXPLAIN SELECT 1'])
      expect((await fail(q)).kind, q).toBe('refused');
    expect((await sql.query('WITH t AS (SELECT eventname FROM cloudtrail) SELECT count(*) AS n FROM t')).rows).toEqual([{ n: records.length }]);
  });

  it('cannot read files or reach the network from a SELECT', async () => {
    for (const q of ["SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_json('https://example.com/x.json')", `SELECT * FROM read_json('${join(dir, '**', '*.json.gz')}')`]) {
      const err = await fail(q);
      expect(err.message, q).toMatch(/disabled by configuration|Permission Error/);
    }
    expect((await fail("COPY (SELECT 1) TO '/tmp/trailbook-sql-escape.csv'")).message).toMatch(/disabled|SELECT/);
  });

  it('runs with external access off and the configuration locked, so nothing turns them back on', async () => {
    const settings = "SELECT current_setting('enable_external_access') AS external, current_setting('lock_configuration') AS locked";
    expect((await sql.query(settings)).rows).toEqual([{ external: false, locked: true }]);
    const extensions = "SELECT current_setting('autoinstall_known_extensions') AS install, current_setting('autoload_known_extensions') AS load";
    expect((await sql.query(extensions)).rows).toEqual([{ install: false, load: false }]);
    // Not even a connection of the engine's own, past the SELECT guard, can change a setting.
    const conn = await (sql as unknown as { instance: DuckDBInstance }).instance.connect();
    try {
      for (const set of ['SET enable_external_access = true', 'SET lock_configuration = false', "SET allowed_directories = ['/']"]) await expect(conn.run(set), set).rejects.toThrow(/lock/i);
    } finally {
      conn.closeSync();
    }
    const memory = await openCloudTrailSql({ dataDir: dir, cacheDir: false });
    try {
      expect((await memory.query(settings)).rows).toEqual([{ external: false, locked: true }]);
      expect((await fail("SELECT * FROM read_text('/etc/passwd')")).message).toMatch(/disabled by configuration|Permission Error/);
    } finally {
      await memory.close();
    }
  }, 60_000);

  it('gives the engine message with line and column for wrong SQL', async () => {
    const err = await fail('SELECT eventname\nFROM cloudtrail\nWHERE nosuchcolumn = 1');
    expect(err.kind).toBe('invalid');
    expect(err.message).toMatch(/nosuchcolumn/);
    expect([err.line, err.column]).toEqual([3, 7]);
    expect(err.message).toMatch(/line 3, column 7/);
    const syntax = await fail('SELECT eventname FROM cloudtrail\nWHERE eventname = = 1');
    expect(syntax.message).toMatch(/syntax error/i);
    expect([syntax.line, syntax.column]).toEqual([2, 19]);
  });

  it('stops at the row limit and says how to raise it', async () => {
    const r = await sql.query('SELECT eventid FROM cloudtrail ORDER BY eventid', [], { maxRows: 10 });
    expect(r.rows).toHaveLength(10);
    expect(r.truncated).toBe(true);
    expect(r.notice).toMatch(/maxRows/);
    const all = await sql.query('SELECT eventid FROM cloudtrail');
    expect([all.rows.length, all.truncated]).toEqual([records.length, false]);
  });

  it('interrupts a query over its time limit, and on abort', async () => {
    const slow = 'SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3';
    const t0 = Date.now();
    const timed = await sql.query(slow, [], { timeoutMs: 300 }).catch((e: SqlError) => e);
    expect(timed).toBeInstanceOf(SqlError);
    expect((timed as SqlError).kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(60_000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const aborted = await sql.query(slow, [], { signal: ac.signal }).catch((e: SqlError) => e);
    expect((aborted as SqlError).kind).toBe('cancelled');
    // The engine still answers afterwards.
    expect((await sql.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  }, 120_000);
});

describe('the persisted database', () => {
  it('reopens from the cache without parsing, and rebuilds when a file changes', async () => {
    const again = await openCloudTrailSql({ dataDir: dir, cacheDir: cache });
    try {
      expect(again.opened.cached).toBe(true);
      expect((await again.query('SELECT count(*) AS n FROM cloudtrail')).rows).toEqual([{ n: records.length }]);
    } finally {
      await again.close();
    }
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.json.gz'));
    const later = new Date(Date.now() + 60_000);
    await utimes(join(dir, files[0]), later, later);
    const said: string[] = [];
    const rebuilt = await openCloudTrailSql({ dataDir: dir, cacheDir: cache, onProgress: (p) => p.detail && said.push(p.detail) });
    try {
      expect(rebuilt.opened.cached).toBe(false);
      expect(said[0]).toBe(`the files changed since the table was built (${files.length} files now, ${files.length} then): building it again`);
      // The superseded database is removed; the one in use by `sql` keeps working (open file).
      expect((await readdir(join(cache, 'sql'))).filter((f) => f.endsWith('.duckdb'))).toHaveLength(1);
      expect((await sql.query('SELECT count(*) AS n FROM cloudtrail')).rows).toEqual([{ n: records.length }]);
    } finally {
      await rebuilt.close();
    }
  }, 60_000);

  it('is the same database whether find or this thread listed and stat-ed the files', async () => {
    for (const find of [false, true]) {
      const again = await openCloudTrailSql({ dataDir: dir, cacheDir: cache, find });
      try {
        expect({ find, cached: again.opened.cached }).toEqual({ find, cached: true });
      } finally {
        await again.close();
      }
    }
  }, 60_000);

  it('rebuilds, saying so, when a file is added, removed or renamed', async () => {
    const own = await mkdtemp(join(tmpdir(), 'trailbook-sql-changes-'));
    const data = await writeFixtureDir(records);
    const said: string[] = [];
    const open = () => openCloudTrailSql({ dataDir: data, cacheDir: own, onProgress: (p) => p.detail?.startsWith('the files changed') && said.push(p.detail) });
    const count = async (expected: { cached: boolean; files: number; n: number }) => {
      const s = await open();
      try {
        expect({ cached: s.opened.cached, files: s.opened.files, n: (await s.query('SELECT count(*) AS n FROM cloudtrail')).rows[0].n }).toEqual(expected);
      } finally {
        await s.close();
      }
    };
    try {
      const files = (await readdir(data, { recursive: true })).filter((f) => f.endsWith('.json.gz')).sort();
      await count({ cached: false, files: files.length, n: records.length });
      await count({ cached: true, files: files.length, n: records.length });
      const copy = join(data, files[0].replace(/\.json\.gz$/, '-copy.json.gz'));
      await cp(join(data, files[0]), copy);
      const copied = records.length + (JSON.parse(gunzipSync(await readFile(copy)).toString()) as { Records: unknown[] }).Records.length;
      expect(copied).toBeGreaterThan(records.length);
      await count({ cached: false, files: files.length + 1, n: copied });
      await rename(copy, `${copy}.renamed.json.gz`);
      await count({ cached: false, files: files.length + 1, n: copied });
      await rm(`${copy}.renamed.json.gz`);
      await count({ cached: false, files: files.length, n: records.length });
      expect(said).toHaveLength(3);
      expect(said[0]).toContain(`(${files.length + 1} files now, ${files.length} then)`);
    } finally {
      await rm(own, { recursive: true, force: true });
      await rm(data, { recursive: true, force: true });
    }
  }, 120_000);

  it("knows an unchanged directory by find's listing alone, and anything else by the signature", async () => {
    const own = await mkdtemp(join(tmpdir(), 'trailbook-sql-listing-'));
    const data = await writeFixtureDir(records);
    const open = async () => {
      const s = await openCloudTrailSql({ dataDir: data, cacheDir: own });
      try {
        return { cached: s.opened.cached, matchedBy: s.opened.matchedBy, files: s.opened.files, n: (await s.query('SELECT count(*) AS n FROM cloudtrail')).rows[0].n };
      } finally {
        await s.close();
      }
    };
    try {
      const files = (await readdir(data, { recursive: true })).filter((f) => f.endsWith('.json.gz')).sort();
      const built = { cached: false, matchedBy: undefined, files: files.length, n: records.length };
      expect(await open()).toEqual(built);
      const byListing = { ...built, cached: true, matchedBy: 'listing' };
      expect(await open()).toEqual(byListing);
      // A file the table does not read: the listing changed, the files did not. Recognised by the signature once,
      // then by the listing again.
      await writeFile(join(data, 'README.md'), 'notes');
      expect(await open()).toEqual({ ...byListing, matchedBy: 'signature' });
      expect(await open()).toEqual(byListing);
      // An edit in place (same size, new mtime) is a changed file.
      const first = join(data, files[0]);
      const size = (await readFile(first)).length;
      await writeFile(first, await readFile(first));
      await utimes(first, new Date(), new Date(Date.now() + 90_000));
      expect((await readFile(first)).length).toBe(size);
      expect(await open()).toEqual(built);
      expect(await open()).toEqual(byListing);
    } finally {
      await rm(own, { recursive: true, force: true });
      await rm(data, { recursive: true, force: true });
    }
  }, 120_000);

  it('checks every file by the signature when the directory holds a link, and sees its target change', async () => {
    const own = await mkdtemp(join(tmpdir(), 'trailbook-sql-link-'));
    const data = await writeFixtureDir(records);
    const outside = await mkdtemp(join(tmpdir(), 'trailbook-sql-link-target-'));
    const open = async () => {
      const s = await openCloudTrailSql({ dataDir: data, cacheDir: own });
      await s.close();
      return { cached: s.opened.cached, matchedBy: s.opened.matchedBy };
    };
    try {
      const file = (await readdir(data, { recursive: true })).find((f) => f.endsWith('.json.gz'))!;
      const target = join(outside, 'linked.json.gz');
      await cp(join(data, file), target);
      await symlink(target, join(data, 'linked.json.gz'));
      expect(await open()).toEqual({ cached: false, matchedBy: undefined });
      expect(await open()).toEqual({ cached: true, matchedBy: 'signature' });
      // Only the target changes: find's line for the link is the same, the file behind it is not.
      await utimes(target, new Date(), new Date(Date.now() + 90_000));
      expect(await open()).toEqual({ cached: false, matchedBy: undefined });
    } finally {
      await rm(own, { recursive: true, force: true });
      await rm(data, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  }, 120_000);

  it("removes a killed build's leftovers on the next build, not those of a build still running", async () => {
    const own = await mkdtemp(join(tmpdir(), 'trailbook-sql-leftovers-'));
    const data = await writeFixtureDir(records);
    try {
      const first = await openCloudTrailSql({ dataDir: data, cacheDir: own });
      await first.close();
      const built = (await readdir(join(own, 'sql'))).find((n) => n.endsWith('.duckdb'))!;
      const stem = built.slice(0, built.indexOf('-'));
      // A process that has exited (its pid is free) and this one (running): a build of each, as a kill leaves it.
      const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
      const leftovers = (pid: number) => [`${stem}-0000.duckdb.${pid}.1.tmp`, `${stem}-0000.duckdb.${pid}.1.tmp.wal`, `${stem}-0000.duckdb.${pid}.1.tmp.spill`];
      for (const name of [...leftovers(gone), ...leftovers(process.pid)]) {
        if (name.endsWith('.spill')) await mkdir(join(own, 'sql', name), { recursive: true });
        else await writeFile(join(own, 'sql', name), 'x');
      }
      // A file changed: the next open builds again, and tidies the directory after.
      const file = (await readdir(data, { recursive: true })).find((f) => f.endsWith('.json.gz'))!;
      await utimes(join(data, file), new Date(), new Date(Date.now() + 5000));
      const second = await openCloudTrailSql({ dataDir: data, cacheDir: own });
      await second.close();
      expect(second.opened.cached).toBe(false);
      const left = await readdir(join(own, 'sql'));
      for (const name of leftovers(gone)) expect(left).not.toContain(name);
      for (const name of leftovers(process.pid)) expect(left).toContain(name);
    } finally {
      await rm(own, { recursive: true, force: true });
      await rm(data, { recursive: true, force: true });
    }
  }, 120_000);

  it('counts unusable files and ignored paths like the files source', async () => {
    const bad = await writeDirWithUnusableFiles();
    const s = await openCloudTrailSql({ dataDir: bad, cacheDir: false });
    try {
      expect(s.skipped).toMatchObject({ files: 2, records: 0, loadedRecords: 240, ignored: 1 });
      expect(s.skipped.examples.map((e) => e.file.slice(bad.length + 1)).sort()).toEqual([CORRUPT_GZIP_FILE, NOT_CLOUDTRAIL_FILE].sort());
      expect((await s.query('SELECT count(*) AS n FROM cloudtrail')).rows).toEqual([{ n: 240 }]);
    } finally {
      await s.close();
      await rm(bad, { recursive: true, force: true });
    }
  }, 60_000);
});
