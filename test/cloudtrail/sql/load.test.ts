import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCloudTrailSql, type CloudTrailSql } from '../../../cloudtrail/sql/engine.ts';
import { createCloudTrailTable, loadFiles } from '../../../cloudtrail/sql/load.ts';
import { CLOUDTRAIL_COLUMNS, type Field } from '../../../cloudtrail/sql/schema.ts';

/**
 * The load builds every column of the Athena table from the record as it is in the file: checked here for whole
 * rows, against a reading of the schema written independently of the SQL that loads it.
 */

type Json = Record<string, unknown>;

/** What Athena's table holds for a field: leaves as text (objects as JSON text), absent structs as NULL. */
function expected(f: Field, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (f.type === 'string') return typeof v === 'string' ? v : JSON.stringify(v);
  if (f.type === 'map') return v;
  if (Array.isArray(f.type)) return Object.fromEntries(f.type.map((g) => [g.name, expected(g, (v as Json)[g.key])]));
  const fields = f.type.array;
  return (v as Json[]).map((x) => Object.fromEntries(fields.map((g) => [g.name, expected(g, x[g.key])])));
}
const row = (r: Json) => Object.fromEntries(CLOUDTRAIL_COLUMNS.map((f) => [f.name, expected(f, r[f.key])]));

const base = (i: number, extra: Json = {}): Json => ({
  eventVersion: '1.09',
  eventTime: `2026-10-0${1 + (i % 9)}T10:00:0${i % 10}Z`,
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'eu-west-1',
  eventID: `id-${i}`,
  ...extra,
});

const RECORDS: Json[] = [
  base(1, {
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAX:dev',
      arn: 'arn:aws:sts::111122223333:assumed-role/Dev/dev',
      accountId: '111122223333',
      accessKeyId: 'ASIAX',
      sessionContext: {
        attributes: { mfaAuthenticated: 'true', creationDate: '2026-10-01T09:00:00Z' },
        sessionIssuer: { type: 'Role', principalId: 'AROAX', arn: 'arn:aws:iam::111122223333:role/Dev', accountId: '111122223333', userName: 'Dev' },
        webIdFederationData: { federatedProvider: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com' },
      },
    },
    requestParameters: { bucketName: 'b', key: 'k/ä', list: [1, 2, { x: null }] },
    responseElements: null,
    additionalEventData: { bytesTransferredOut: 42, SignatureVersion: 'SigV4' },
    resources: [
      { ARN: 'arn:aws:s3:::b/k', type: 'AWS::S3::Object' },
      { accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::b' },
    ],
    readOnly: true,
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'b.s3.eu-west-1.amazonaws.com' },
    recipientAccountId: '111122223333',
    eventType: 'AwsApiCall',
  }),
  base(2, { userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, readOnly: false, errorCode: 'AccessDenied', errorMessage: 'no "quotes" \\ here' }),
  // No identity, no resources: NULL structs and lists, as when Athena reads an absent field.
  base(3),
];

let dir: string;
let sql: CloudTrailSql;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trailbook-sql-load-'));
  const delivery = join(dir, 'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/01');
  await mkdir(delivery, { recursive: true });
  await writeFile(join(delivery, 'a.json.gz'), gzipSync(JSON.stringify({ Records: [...RECORDS, { eventTime: '2026-10-01T00:00:00Z', eventSource: 'x' }] })));
  // Other layouts: an NDJSON export (one unusable line) and an empty Records list.
  await writeFile(join(dir, 'export.jsonl'), [base(4, { awsRegion: 'us-east-2' }), { eventName: 'NoTime' }, base(5, { awsRegion: 'us-east-2' })].map((r) => JSON.stringify(r)).join('\n'));
  await writeFile(join(dir, 'empty.json'), JSON.stringify({ Records: [] }));
  sql = await openCloudTrailSql({ dataDir: dir, cacheDir: false });
}, 60_000);
afterAll(async () => {
  await sql?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('loading delivery files into the cloudtrail table', () => {
  it('builds every column of each record, nested structs, resources and JSON text included', async () => {
    const r = await sql.query(`SELECT * EXCLUDE (region, "timestamp") FROM cloudtrail WHERE eventid IN ('id-1', 'id-2', 'id-3') ORDER BY eventid`);
    expect(r.rows).toEqual(RECORDS.map(row));
    // The JSON text parses back to the record's value.
    expect(JSON.parse(r.rows[0].requestparameters as string)).toEqual(RECORDS[0].requestParameters);
  });

  it('takes the partitions from the S3 path, or from the record in other layouts', async () => {
    const r = await sql.query(`SELECT eventid, region, "timestamp" FROM cloudtrail ORDER BY eventid`);
    expect(r.rows).toEqual([
      { eventid: 'id-1', region: 'eu-west-1', timestamp: '2026/10/01' },
      { eventid: 'id-2', region: 'eu-west-1', timestamp: '2026/10/01' },
      { eventid: 'id-3', region: 'eu-west-1', timestamp: '2026/10/01' },
      { eventid: 'id-4', region: 'us-east-2', timestamp: '2026/10/05' },
      { eventid: 'id-5', region: 'us-east-2', timestamp: '2026/10/06' },
    ]);
  });

  it('serves with the allocator setting DuckDB starts with, not the one the build sets', async () => {
    const r = await sql.query("SELECT current_setting('allocator_bulk_deallocation_flush_threshold') AS v");
    expect(r.rows).toEqual([{ v: '512.0 MiB' }]);
  });

  it('counts what it left out: records without eventName or eventTime, in deliveries and NDJSON', () => {
    expect(sql.opened.events).toBe(5);
    expect(sql.skipped).toMatchObject({ files: 0, records: 2, loadedRecords: 5, candidateFiles: 3 });
    expect(sql.skipped.examples.map((e) => [e.file.slice(dir.length + 1), e.records])).toEqual(
      expect.arrayContaining([
        ['AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/01/a.json.gz', 1],
        ['export.jsonl', 1],
      ]),
    );
  });
});

describe('files and records left out, counted from the one pass', () => {
  let mixed: string;
  let s: CloudTrailSql;
  const delivery = (name: string) => `AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/02/${name}`;

  beforeAll(async () => {
    mixed = await mkdtemp(join(tmpdir(), 'trailbook-sql-mixed-'));
    await mkdir(join(mixed, delivery('')), { recursive: true });
    const put = (name: string, body: string | Buffer) => writeFile(join(mixed, name), body);
    // Names sort in the order the examples are expected in (the walker lists files sorted).
    await put(delivery('a-good.json.gz'), gzipSync(JSON.stringify({ Records: [base(10), base(11)] })));
    await put(delivery('b-corrupt.json.gz'), Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('not really gzip at all')]));
    await put(delivery('c-invalid.json.gz'), gzipSync('{"Records": [{"eventTime": '));
    await put(delivery('d-empty.json.gz'), gzipSync(JSON.stringify({ Records: [] })));
    await put(delivery('e-notes.json'), JSON.stringify({ title: 'meeting notes', items: [1, 2] }));
    await put(delivery('f-partly.json.gz'), gzipSync(JSON.stringify({ Records: [base(12), { eventTime: '2026-10-02T00:00:00Z', eventName: 'NoSource' }, { eventSource: 'x' }] })));
    await put(delivery('g-good.json.gz'), gzipSync(JSON.stringify({ Records: [base(13)] })));
    await put('z-export.ndjson', [base(14), { eventName: 'NoTime' }].map((r) => JSON.stringify(r)).join('\n'));
    s = await openCloudTrailSql({ dataDir: mixed, cacheDir: false });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await rm(mixed, { recursive: true, force: true });
  });

  it('loads every usable record of the readable files and nothing else', async () => {
    expect((await s.query('SELECT eventid FROM cloudtrail ORDER BY eventid')).rows.map((r) => r.eventid)).toEqual(['id-10', 'id-11', 'id-12', 'id-13', 'id-14']);
    expect(s.opened.events).toBe(5);
    // The build's file-number column is gone: the table has exactly Athena's columns.
    expect((await s.query('SELECT * FROM cloudtrail LIMIT 1')).columns.map((c) => c.name)).toEqual([...CLOUDTRAIL_COLUMNS.map((f) => f.name), 'region', 'timestamp']);
  });

  it('counts unreadable and non-CloudTrail files, and unusable records per file, in file order with reasons', () => {
    expect(s.skipped).toMatchObject({ files: 3, records: 3, loadedRecords: 5, candidateFiles: 8 });
    const examples = s.skipped.examples.map((e) => ({ ...e, file: e.file.slice(mixed.length + 1) }));
    expect(examples.map((e) => [e.file, e.records])).toEqual([
      [delivery('b-corrupt.json.gz'), undefined],
      [delivery('c-invalid.json.gz'), undefined],
      [delivery('e-notes.json'), undefined],
      [delivery('f-partly.json.gz'), 2],
      ['z-export.ndjson', 1],
    ]);
    expect(examples[2].reason).toBe('not CloudTrail (no Records array)');
    expect(examples[3].reason).toMatch(/^records that are not valid CloudTrail records/);
    // The engine's own words for what it could not read.
    expect(examples[0].reason).not.toBe(examples[1].reason);
    expect(examples[0].reason.length).toBeGreaterThan(0);
  });
});

describe('the closing checkpoint of a file-backed build', () => {
  const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const FLUSH = 'allocator_bulk_deallocation_flush_threshold';

  /** Loads the one-delivery directory into a fresh database file, noting the flush threshold each CHECKPOINT ran with. */
  async function build(checkpoint: boolean) {
    const work = await mkdtemp(join(tmpdir(), 'trailbook-sql-checkpoint-'));
    const path = join(work, 'db.duckdb');
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const seen: string[] = [];
    const run = conn.run.bind(conn);
    conn.run = async (text: string, ...rest) => {
      if (/^\s*CHECKPOINT/i.test(text)) seen.push(String((await conn.runAndReadAll(`SELECT current_setting('${FLUSH}')`)).getRows()[0][0]));
      return run(text, ...rest);
    };
    try {
      await createCloudTrailTable(conn);
      const stats = await loadFiles(conn, [join(dir, 'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/01/a.json.gz')], undefined, { checkpoint });
      const after = String((await conn.runAndReadAll(`SELECT current_setting('${FLUSH}')`)).getRows()[0][0]);
      const wal = await stat(`${path}.wal`).then((s) => s.size, () => 0);
      return { stats, seen, after, wal };
    } finally {
      conn.closeSync();
      instance.closeSync();
      await rm(work, { recursive: true, force: true });
    }
  }

  // The checkpoint rewrites what the INSERTs left in memory or spilled: at 1M events it is where RSS peaked, by up
  // to 250 MB more when it ran with DuckDB's default threshold (docs/sql.md "How the table is loaded").
  it('writes the table while the build keeps returning freed memory, then resets the setting', async () => {
    const { stats, seen, after, wal } = await build(true);
    expect(stats.events).toBe(RECORDS.length);
    // BUILD_FLUSH_THRESHOLD, 16MB (decimal), as DuckDB prints it.
    expect(seen).toEqual(['15.2 MiB']);
    expect(after).toBe('512.0 MiB');
    expect(wal).toBe(0);
  });

  it('leaves an in-memory build alone: no checkpoint', async () => {
    const { stats, seen, after } = await build(false);
    expect(stats.events).toBe(RECORDS.length);
    expect(seen).toEqual([]);
    expect(after).toBe('512.0 MiB');
  });
});
