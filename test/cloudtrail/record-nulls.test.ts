import { describe, expect, it } from 'vitest';
import { CloudTrailRecord, Resource, UserIdentity, nullRuleOf, withoutAbsentNulls as schemaWithoutNulls } from '../../cloudtrail/record.ts';
import { RECORD_NULLS, RESOURCE_NULLS, USER_IDENTITY_NULLS, withoutAbsentNulls, type NullRule } from '../../cloudtrail/record-nulls.ts';

/** A rule as plain data, keys sorted: what must agree between the schemas and the zod-free copy. */
const plain = (r: NullRule): unknown => ({ nullable: [...r.nullable].sort(), nested: r.nested.map(([k, inner, array]) => [k, plain(inner), array]) });

describe('the zod-free null rules the parser threads use', () => {
  it.each([
    ['record', CloudTrailRecord, RECORD_NULLS],
    ['userIdentity', UserIdentity, USER_IDENTITY_NULLS],
    ['resource', Resource, RESOURCE_NULLS],
  ])('are the ones the %s schema derives', (_, schema, rule) => {
    expect(plain(rule)).toEqual(plain(nullRuleOf(schema)));
  });

  it('drop the same nulls as the schema-keyed function, at every level', () => {
    const record = {
      eventTime: '2026-01-05T10:00:00Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      errorCode: null,
      requestParameters: null,
      userIdentity: { type: 'AssumedRole', userName: null, sessionContext: { sessionIssuer: { arn: null, type: 'Role' }, attributes: null } },
      resources: [{ ARN: null, type: 'AWS::S3::Object' }, { arn: 'arn:aws:s3:::b' }],
      tlsDetails: { tlsVersion: null },
    };
    const dropped = withoutAbsentNulls(record);
    expect(dropped).toEqual(schemaWithoutNulls(record));
    expect(dropped).toEqual({
      eventTime: '2026-01-05T10:00:00Z',
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      requestParameters: null,
      userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { type: 'Role' } } },
      resources: [{ type: 'AWS::S3::Object' }, { arn: 'arn:aws:s3:::b' }],
      tlsDetails: {},
    });
    // Untouched input, and the same object back when there is nothing to drop.
    expect(record.errorCode).toBeNull();
    const clean = { eventName: 'x', userIdentity: { type: 'Root' } };
    expect(withoutAbsentNulls(clean)).toBe(clean);
  });
});
