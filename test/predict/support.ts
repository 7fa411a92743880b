import { normalise, type TrailEvent } from '../../cloudtrail/event.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';
import { Rng } from './rng.ts';

export const T0 = Date.parse('2026-11-02T09:00:00Z'); // a Monday
export const MIN = 60_000;
export const HOUR = 3_600_000;

let n = 0;

/** A real CloudTrail record for an IAM user, normalised like every store does. */
export function ev(o: {
  user: string;
  action: string;
  time: number;
  region?: string;
  ip?: string;
  ua?: string;
  error?: string;
  readOnly?: boolean;
}): TrailEvent {
  const [service, name] = o.action.split(':');
  const id = `evt-${String(++n).padStart(8, '0')}`;
  return normalise(
    CloudTrailRecord.parse({
      eventVersion: '1.09',
      userIdentity: { type: 'IAMUser', principalId: `AIDA${o.user}`, arn: `arn:aws:iam::123456789012:user/${o.user}`, accountId: '123456789012', userName: o.user },
      eventTime: new Date(o.time).toISOString(),
      eventSource: `${service}.amazonaws.com`,
      eventName: name,
      awsRegion: o.region ?? 'eu-west-1',
      sourceIPAddress: o.ip ?? '198.51.100.7',
      userAgent: o.ua ?? 'aws-cli/2.15.0',
      ...(o.error ? { errorCode: o.error, errorMessage: 'not authorized' } : {}),
      readOnly: o.readOnly ?? /^(Get|List|Describe)/.test(name),
      eventID: id,
      eventType: 'AwsApiCall',
      recipientAccountId: '123456789012',
    }),
  );
}

/** A first-order Markov source over short actions with known transition probabilities. */
export const CHAIN: Record<string, Record<string, number>> = {
  'sts:GetCallerIdentity': { 's3:ListBuckets': 0.6, 'ec2:DescribeInstances': 0.4 },
  's3:ListBuckets': { 's3:GetObject': 0.7, 's3:PutObject': 0.2, 'sts:GetCallerIdentity': 0.1 },
  's3:GetObject': { 's3:GetObject': 0.5, 's3:PutObject': 0.3, 'ec2:DescribeInstances': 0.2 },
  's3:PutObject': { 's3:ListBuckets': 0.5, 'ec2:DescribeInstances': 0.5 },
  'ec2:DescribeInstances': { 'ec2:RunInstances': 0.3, 'sts:GetCallerIdentity': 0.3, 's3:GetObject': 0.4 },
  'ec2:RunInstances': { 'ec2:DescribeInstances': 0.9, 's3:ListBuckets': 0.1 },
};

/** Samples `count` events for `user` from CHAIN, one call a minute (a single long session). */
export function markovEvents(user: string, count: number, seed = 7, start = T0): TrailEvent[] {
  const rng = new Rng(seed);
  const out: TrailEvent[] = [];
  let state = 'sts:GetCallerIdentity';
  for (let i = 0; i < count; i++) {
    out.push(ev({ user, action: state, time: start + i * MIN }));
    state = rng.weighted(CHAIN[state]);
  }
  return out;
}

/** `<service>.amazonaws.com:<Name>` for a short action. */
export const full = (short: string) => {
  const [s, name] = short.split(':');
  return `${s}.amazonaws.com:${name}`;
};
