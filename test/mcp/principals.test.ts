import { afterAll, beforeAll, expect, it } from 'vitest';
import { normalise } from '../../cloudtrail/event.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { call, connectInProcess, ok } from './helpers.ts';

/**
 * IAM Identity Center users: their sign-in events carry userIdentity.type "Unknown" (with the user name),
 * their work runs in AWSReservedSSO_* role sessions named after them. Both group under the person's name.
 */
const ACCOUNT = '123456789012';
const START = Date.parse('2026-11-01T08:00:00Z');

const signIn = (user: string) => ({ type: 'Unknown', principalId: `${ACCOUNT}:${user}`, accountId: ACCOUNT, userName: user });
const ssoSession = (user: string) => ({
  type: 'AssumedRole',
  principalId: `AROASSO:${user}`,
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Developer_0123/${user}`,
  accountId: ACCOUNT,
  accessKeyId: `ASIA${user.toUpperCase().replace('.', '')}`,
  sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROASSO', arn: `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Developer_0123`, accountId: ACCOUNT, userName: 'AWSReservedSSO_Developer_0123' } },
});

let n = 0;
const record = (userIdentity: Record<string, unknown>, minute: number, source = 's3.amazonaws.com', name = 'ListBuckets') =>
  normalise(
    CloudTrailRecord.parse({
      eventVersion: '1.09',
      userIdentity,
      eventTime: new Date(START + minute * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: source,
      eventName: name,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.7',
      userAgent: 'aws-cli/2.15.0',
      eventID: `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}`,
      readOnly: true,
      eventType: 'AwsApiCall',
      recipientAccountId: ACCOUNT,
    }),
  );

const events = [
  // alice signs in first (two sign-in events), then works in one role session.
  record(signIn('alice.nguyen'), 0, 'signin.amazonaws.com', 'UserAuthentication'),
  record(signIn('alice.nguyen'), 1, 'sso.amazonaws.com', 'CreateToken'),
  record(ssoSession('alice.nguyen'), 2),
  // ben signs in more often than he works: a known type still describes him better than "Unknown".
  record(signIn('ben.carter'), 3, 'signin.amazonaws.com', 'UserAuthentication'),
  record(signIn('ben.carter'), 4, 'signin.amazonaws.com', 'UserAuthentication'),
  record(signIn('ben.carter'), 5, 'signin.amazonaws.com', 'UserAuthentication'),
  record(ssoSession('ben.carter'), 6),
  // chloe has only signed in so far: nothing better is known.
  record(signIn('chloe.martin'), 7, 'signin.amazonaws.com', 'UserAuthentication'),
];

let conn: Awaited<ReturnType<typeof connectInProcess>>;
beforeAll(async () => {
  conn = await connectInProcess(new MemoryStore(events), () => START + 3_600_000);
});
afterAll(() => conn.close());

it("describes an Identity Center user by their role sessions, not by the sign-in that came first", async () => {
  const res = ok(await call(conn.client, 'list_cloudtrail_principals', {}));
  const row = (key: string) => res.principals.find((p: { key: string }) => p.key === key);
  expect(row('alice.nguyen')).toMatchObject({ type: 'AssumedRole', name: 'AWSReservedSSO_Developer_0123', human: 'alice.nguyen', events: 3 });
  expect(row('ben.carter')).toMatchObject({ type: 'AssumedRole', name: 'AWSReservedSSO_Developer_0123', human: 'ben.carter', events: 4 });
  expect(row('chloe.martin')).toMatchObject({ type: 'Unknown', name: 'chloe.martin', events: 1 });
  expect(row('chloe.martin').human).toBeUndefined();
  // The row still counts every identity the person used.
  expect(row('alice.nguyen').arns).toEqual([`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Developer_0123/alice.nguyen`]);
});

it('describes a person within the window asked for: their sign-ins alone are "Unknown"', async () => {
  const res = ok(await call(conn.client, 'list_cloudtrail_principals', { end_time: new Date(START + 2 * 60_000).toISOString() }));
  expect(res.principals).toEqual([expect.objectContaining({ key: 'alice.nguyen', type: 'Unknown', events: 2 })]);
});
