import { describe, expect, it } from 'vitest';
import { detectAnomalies } from '../../predict/anomalies.ts';
import { trainEngine } from '../../predict/engine.ts';
import { ev, HOUR, markovEvents, MIN, T0 } from './support.ts';

describe('anomalies', () => {
  // Two weeks of ordinary work, then one odd afternoon.
  const normal = markovEvents('alice', 2000, 5);
  const tail = normal[normal.length - 1].time;
  const odd = T0 + 14 * 24 * HOUR;
  const incident = [
    ev({ user: 'alice', action: 's3:GetObject', time: odd, region: 'ap-southeast-2' }),
    ev({ user: 'alice', action: 'iam:CreateAccessKey', time: odd + MIN }),
    ev({ user: 'alice', action: 's3:ListBuckets', time: odd + 2 * MIN, ip: '203.0.113.99', ua: 'python-requests/2.31' }),
    ...Array.from({ length: 6 }, (_, i) => ev({ user: 'alice', action: i % 2 ? 'iam:ListUsers' : 'iam:ListRoles', time: odd + 3 * MIN + i * 10_000, error: 'AccessDenied' })),
  ];
  const engine = trainEngine([...normal, ...incident]);

  it('flags a new region, service, IP and user agent with explanations', () => {
    const f = detectAnomalies(engine, { start: tail + 1, minScore: 0 });
    const kinds = new Set(f.map((x) => x.kind));
    for (const k of ['new-region', 'new-service', 'new-source-ip', 'new-user-agent', 'access-denied-burst', 'surprising-action'] as const) expect(kinds, k).toContain(k);
    const region = f.find((x) => x.kind === 'new-region')!;
    expect(region.explanation).toMatch(/alice used region ap-southeast-2 for the first time .* after 2000 earlier events/);
    expect(region.explanation).toContain('eu-west-1');
    expect(f.find((x) => x.kind === 'new-service')!.explanation).toMatch(/service iam for the first time \(iam.amazonaws.com:CreateAccessKey\)/);
    expect(f.find((x) => x.kind === 'new-source-ip')!.explanation).toContain('203.0.113.99');
    expect(f.find((x) => x.kind === 'new-user-agent')!.explanation).toContain('python-requests/2.31');
    // Nothing in the ordinary period is reported when the window starts after it.
    expect(f.every((x) => x.timeMs > tail)).toBe(true);
    for (const x of f) {
      expect(x.score).toBeGreaterThanOrEqual(0);
      expect(x.score).toBeLessThanOrEqual(1);
      expect(x.explanation.length).toBeGreaterThan(30);
    }
  });

  it('reports an AccessDenied burst once, with its size', () => {
    const bursts = detectAnomalies(engine, { kinds: ['access-denied-burst'], minScore: 0 });
    expect(bursts).toHaveLength(1);
    expect(bursts[0].value).toBe(6);
    expect(bursts[0].explanation).toMatch(/alice was denied 6 times within 50 s \(iam.amazonaws.com:ListRoles, iam.amazonaws.com:ListUsers\)/);
    // Four denials are below the default threshold of five.
    const few = trainEngine([...normal, ...incident.slice(0, 7)]);
    expect(detectAnomalies(few, { kinds: ['access-denied-burst'], minScore: 0 })).toHaveLength(0);
  });

  it('scores the never-seen action as far more surprising than routine calls', () => {
    const surprising = detectAnomalies(engine, { kinds: ['surprising-action'], minScore: 0, limit: 10_000 });
    const create = surprising.find((x) => x.action === 'iam.amazonaws.com:CreateAccessKey')!;
    expect(create.value).toBeGreaterThan(8);
    expect(create.explanation).toMatch(/alice called iam.amazonaws.com:CreateAccessKey after s3.amazonaws.com:GetObject; the model gave it p=.* bits of surprise/);
    const routine = surprising.filter((x) => x.timeMs < tail).map((x) => x.value!);
    const median = routine.sort((a, b) => a - b)[Math.floor(routine.length / 2)];
    expect(median).toBeLessThan(3);
    // Default threshold and limit.
    const top = detectAnomalies(engine, { limit: 3 });
    expect(top).toHaveLength(3);
    expect(top[0].score).toBeGreaterThanOrEqual(top[2].score);
  });

  it('filters by principal', () => {
    const bob = Array.from({ length: 30 }, (_, i) => ev({ user: 'bob', action: 'sts:GetCallerIdentity', time: T0 + i * MIN }));
    const e = trainEngine([...normal, ...incident, ...bob, ev({ user: 'bob', action: 'sts:GetCallerIdentity', time: odd, region: 'us-west-2' })]);
    const f = detectAnomalies(e, { principal: 'bob', minScore: 0 });
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => x.principal === 'bob')).toBe(true);
    expect(f.some((x) => x.kind === 'new-region')).toBe(true);
  });
});
