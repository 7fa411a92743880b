import { describe, expect, it } from 'vitest';
import { splitSessions } from '../../predict/sessions.ts';
import { ev, MIN, T0 } from './support.ts';

describe('sessions', () => {
  it('splits each principal on gaps longer than the inactivity gap, and not on shorter ones', () => {
    const at = (m: number) => T0 + m * MIN;
    const events = [
      ev({ user: 'alice', action: 'sts:GetCallerIdentity', time: at(0) }),
      ev({ user: 'alice', action: 's3:ListBuckets', time: at(10) }),
      ev({ user: 'alice', action: 's3:GetObject', time: at(40), error: 'AccessDenied' }), // 30 min: same session
      ev({ user: 'alice', action: 'ec2:DescribeInstances', time: at(71) }), // 31 min: new session
      ev({ user: 'alice', action: 'ec2:RunInstances', time: at(72) }),
      // bob's events interleave with alice's and must not affect her sessions
      ev({ user: 'bob', action: 'iam:ListUsers', time: at(20) }),
      ev({ user: 'bob', action: 'iam:ListRoles', time: at(200) }),
    ];
    const s = splitSessions(events.reverse());
    const alice = s.filter((x) => x.principal === 'alice');
    expect(alice.map((x) => x.events)).toEqual([3, 2]);
    expect(alice[0]).toMatchObject({ index: 1, durationMinutes: 40, errors: 1, services: ['s3', 'sts'], firstAction: 'sts.amazonaws.com:GetCallerIdentity', lastAction: 's3.amazonaws.com:GetObject', distinctActions: 3 });
    expect(alice[0].errorRate).toBeCloseTo(1 / 3);
    expect(alice[1]).toMatchObject({ index: 2, durationMinutes: 1, services: ['ec2'], errors: 0 });
    expect(s.filter((x) => x.principal === 'bob').map((x) => x.events)).toEqual([1, 1]);
    // A 2-hour gap setting merges alice's sessions.
    expect(splitSessions(events, { gapMs: 120 * MIN, principal: 'alice' }).map((x) => x.events)).toEqual([5]);
    // Sorted by start time across principals.
    expect(s.map((x) => x.startMs)).toEqual([...s.map((x) => x.startMs)].sort((a, b) => a - b));
  });

  it('rejects a non-positive gap', () => {
    expect(() => splitSessions([], { gapMs: 0 })).toThrow(/positive/);
  });
});
