import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../../cloudtrail/record.ts';

/** A small, deterministic CloudTrail dataset with several kinds of principal, failures, and read/write calls. */

export const FIXTURE_END = Date.parse('2026-11-20T12:00:00Z');
const ACCOUNT = '123456789012';

const identities = [
  { type: 'IAMUser', principalId: 'AIDAALICE', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, accountId: ACCOUNT, userName: 'alice', accessKeyId: 'AKIAALICE' },
  { type: 'IAMUser', principalId: 'AIDABOB', arn: `arn:aws:iam::${ACCOUNT}:user/bob`, accountId: ACCOUNT, userName: 'bob', accessKeyId: 'AKIABOB' },
  {
    type: 'AssumedRole',
    principalId: 'AROADEPLOY:carol@example.com',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Deployer/carol@example.com`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIACAROL',
    sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROADEPLOY', arn: `arn:aws:iam::${ACCOUNT}:role/Deployer`, accountId: ACCOUNT, userName: 'Deployer' } },
  },
  { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
];

const actions: [string, string, boolean][] = [
  ['s3.amazonaws.com', 'ListBuckets', true],
  ['s3.amazonaws.com', 'GetObject', true],
  ['s3.amazonaws.com', 'PutObject', false],
  ['iam.amazonaws.com', 'ListRoles', true],
  ['iam.amazonaws.com', 'CreateAccessKey', false],
  ['sts.amazonaws.com', 'AssumeRole', false],
  ['ec2.amazonaws.com', 'DescribeInstances', true],
  ['ec2.amazonaws.com', 'RunInstances', false],
];

/** `n` records spread over the 72 hours before FIXTURE_END, two events sometimes sharing a timestamp (paging must cope). */
export function fixtureRecords(n = 240): CloudTrailRecord[] {
  const records: CloudTrailRecord[] = [];
  for (let i = 0; i < n; i++) {
    const who = identities[(i * 7) % identities.length];
    const [source, name, readOnly] = actions[(i * 5 + (i >> 3)) % actions.length];
    const time = FIXTURE_END - 72 * 3_600_000 + Math.floor(i / 2) * Math.floor((72 * 3_600_000) / (n / 2)) + 1000;
    const failed = i % 11 === 3;
    const region = i % 3 === 0 ? 'eu-west-1' : 'us-east-1';
    records.push({
      eventVersion: '1.09',
      userIdentity: who,
      eventTime: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: source,
      eventName: name,
      awsRegion: region,
      sourceIPAddress: who.type === 'AWSService' ? 'ec2.amazonaws.com' : `203.0.113.${(i % 5) + 1}`,
      userAgent: who.type === 'AWSService' ? 'ec2.amazonaws.com' : 'aws-cli/2.15.0',
      ...(failed ? { errorCode: 'AccessDenied', errorMessage: `User is not authorized to perform ${name}` } : {}),
      requestParameters: name === 'GetObject' ? { bucketName: 'data', key: `k${i}` } : null,
      responseElements: null,
      requestID: `req-${i}`,
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      readOnly,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      resources: name === 'GetObject' ? [{ ARN: `arn:aws:s3:::data/k${i}`, type: 'AWS::S3::Object' }] : undefined,
      eventCategory: 'Management',
    });
  }
  return records;
}

/** Writes the records as CloudTrail S3 delivery files (gzip, `{"Records": [...]}`), one file per region and hour. */
export async function writeFixtureDir(records = fixtureRecords()): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'trailbook-mcp-'));
  const files = new Map<string, CloudTrailRecord[]>();
  for (const r of records) {
    const t = new Date(r.eventTime);
    const dir = join(root, 'AWSLogs', ACCOUNT, 'CloudTrail', r.awsRegion!, String(t.getUTCFullYear()), String(t.getUTCMonth() + 1).padStart(2, '0'), String(t.getUTCDate()).padStart(2, '0'));
    const stamp = r.eventTime.slice(0, 13).replace(/[-:]/g, '') + '00Z';
    const file = join(dir, `${ACCOUNT}_CloudTrail_${r.awsRegion}_${stamp}_fixture.json.gz`);
    (files.get(file) ?? files.set(file, []).get(file)!).push(r);
  }
  for (const [file, recs] of files) {
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, gzipSync(JSON.stringify({ Records: recs })));
  }
  return root;
}
