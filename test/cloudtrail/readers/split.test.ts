import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { recordsIn, splitDeliveryRecords } from '../../../cloudtrail/readers/index.ts';

const record = (i: number, extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/u${i % 7}`, userName: `u${i % 7}` },
  eventTime: new Date(Date.UTC(2026, 9, 1) + i * 1000).toISOString().replace('.000', ''),
  eventSource: 's3.amazonaws.com',
  eventName: i % 2 ? 'GetObject' : 'PutObject',
  requestParameters: { bucketName: 'b', key: `k/${i}`, tags: [{ k: 'a' }, { k: 'b' }] },
  resources: [{ ARN: `arn:aws:s3:::b/k/${i}`, type: 'AWS::S3::Object' }, { ARN: 'arn:aws:s3:::b', type: 'AWS::S3::Bucket' }],
  eventID: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
  ...extra,
});
const delivery = (records: unknown[]) => Buffer.from(JSON.stringify({ Records: records }));
const many = (n: number, extra?: (i: number) => Record<string, unknown>) => Array.from({ length: n }, (_, i) => record(i, extra?.(i)));

describe('splitDeliveryRecords', () => {
  it('gives exactly the Records of a large delivery file, whatever the piece size', () => {
    const records = many(500);
    const json = delivery(records);
    for (const piece of [300, 4096, 64 * 1024]) expect(splitDeliveryRecords(json, piece), `piece ${piece}`).toEqual(records);
  });

  it('keeps non-ASCII text intact (pieces are cut on ASCII bytes)', () => {
    const records = many(200, (i) => ({ errorMessage: `Zugriff verweigert für Bücher ${i} – 拒否` }));
    expect(splitDeliveryRecords(delivery(records), 500)).toEqual(records);
  });

  it('keeps a record larger than a piece whole', () => {
    const records = [record(1), record(2, { responseElements: { blob: 'x'.repeat(5000) } }), record(3)];
    expect(splitDeliveryRecords(delivery(records), 1000)).toEqual(records);
  });

  it('declines what it cannot cut safely, and recordsIn then parses the whole file to the same records', () => {
    // A nested object starting with "eventVersion" puts the cut marker inside a record, where it is the only one in reach.
    const trap = many(100, (i) => (i === 0 ? { requestParameters: { list: [{ a: 1 }, { eventVersion: 'nested' }] }, responseElements: { blob: 'x'.repeat(2000) } } : {}));
    const pretty = Buffer.from(JSON.stringify({ Records: many(100) }, null, 1));
    const extraKey = Buffer.from(JSON.stringify({ Records: many(100), more: [] }));
    for (const [name, json, expected] of [
      ['trap', delivery(trap), trap],
      ['pretty', pretty, many(100)],
      ['extra key', extraKey, many(100)],
    ] as const) {
      expect(splitDeliveryRecords(json, 500), name).toBeUndefined();
      expect(recordsIn(gzipSync(json), `${name}.json.gz`).records, name).toEqual(expected);
    }
  });

  it('leaves small files to the one-piece parse', () => {
    expect(splitDeliveryRecords(delivery(many(3)))).toBeUndefined();
  });

  it('still recognises an Insight delivery as one (no events)', () => {
    const insights = many(400, () => ({ eventType: 'AwsCloudTrailInsight', eventCategory: 'Insight' }));
    const found = recordsIn(gzipSync(delivery(insights)), 'insight.json.gz');
    expect(found.shape).toBe('insight');
    expect(found.records).toEqual([]);
  });
});
