import { describe, expect, it } from 'vitest';
import { trainBurstBaselines } from '../../predict/burst-baselines.ts';
import { BurstModel, burstContext } from '../../predict/burst-model.ts';
import { activityStats, burstsOf } from '../../predict/bursts.ts';
import { ReliabilityTally } from '../../predict/calibration.ts';
import { groupByPrincipal } from '../../predict/corpus.ts';
import { tieOrder } from '../../predict/evaluate.ts';
import { burstCandidates, burstContexts } from '../../predict/next-event.ts';
import { shapeName } from '../../predict/shapes.ts';
import { ev, full, MIN, T0 } from './support.ts';
import { Rng } from './rng.ts';

const S = 1000;

describe('bursts', () => {
  it('groups a principal\'s events by second into sets of distinct actions', () => {
    const evs = [
      ev({ user: 'a', action: 'ec2:DescribeInstances', time: T0 }),
      ev({ user: 'a', action: 'ec2:DescribeTags', time: T0 + 300 }),
      ev({ user: 'a', action: 'ec2:DescribeInstances', time: T0 + 999 }),
      ev({ user: 'a', action: 's3:ListBuckets', time: T0 + S }),
      ev({ user: 'a', action: 's3:ListBuckets', time: T0 + 5 * S }),
    ];
    expect(burstsOf(evs)).toEqual([
      { time: T0, actions: [full('ec2:DescribeInstances'), full('ec2:DescribeTags')], events: 3 },
      { time: T0 + S, actions: [full('s3:ListBuckets')], events: 1 },
      { time: T0 + 5 * S, actions: [full('s3:ListBuckets')], events: 1 },
    ]);
  });

  it('computes the activity statistics the realism test compares', () => {
    const evs = [
      // a: bursts of 3 and 1 in one hour; b: one burst of 2 the next hour, one failed.
      ev({ user: 'a', action: 'ec2:DescribeInstances', time: T0 }),
      ev({ user: 'a', action: 'ec2:DescribeTags', time: T0 + 10 }),
      ev({ user: 'a', action: 'ec2:RunInstances', time: T0 + 20, error: 'AccessDenied' }),
      ev({ user: 'a', action: 's3:ListBuckets', time: T0 + 30 * S }),
      ev({ user: 'b', action: 'iam:ListRoles', time: T0 + 61 * MIN }),
      ev({ user: 'b', action: 'iam:GetRole', time: T0 + 61 * MIN + 500 }),
    ];
    expect(activityStats(evs)).toEqual({
      events: 6,
      principals: 2,
      // consecutive pairs: a 3 (2 in one second), b 1 (in one second)
      sameSecondShare: 0.75,
      meanBurstEvents: 2,
      distinctActions: 6,
      readOnlyShare: 0.8333,
      errorShare: 0.1667,
      callsPerActiveHour: 3,
      identityTypes: { IAMUser: 1 },
    });
  });

  it('gives the burst context before each event: completed bursts, then the event\'s own second so far', () => {
    const evs = [
      ev({ user: 'a', action: 'ec2:DescribeInstances', time: T0 }),
      ev({ user: 'a', action: 'ec2:DescribeTags', time: T0 + 10 }),
      ev({ user: 'a', action: 's3:ListBuckets', time: T0 + 2 * S }),
      ev({ user: 'a', action: 's3:ListBuckets', time: T0 + 2 * S + 5 }),
      ev({ user: 'a', action: 'iam:ListRoles', time: T0 + 2 * S + 40 * MIN }),
    ];
    const contexts = [...burstContexts(evs, 30, 30 * MIN)];
    const ec2 = [full('ec2:DescribeInstances'), full('ec2:DescribeTags')];
    expect(contexts).toEqual([
      { bursts: [], newSession: true },
      // Inside a burst: the burst in progress is the latest, and `current` is the context of that burst itself.
      { bursts: [[full('ec2:DescribeInstances')]], newSession: false, current: { bursts: [], newSession: true } },
      { bursts: [ec2], newSession: false },
      { bursts: [ec2, [full('s3:ListBuckets')]], newSession: false, current: { bursts: [ec2], newSession: false } },
      { bursts: [ec2, [full('s3:ListBuckets')]], newSession: true },
    ]);
    expect(burstContext(evs.slice(0, 4), 1)).toEqual({ bursts: [[full('s3:ListBuckets')]], newSession: false });
  });

  it('breaks same-second ties at random per order, deterministically, keeping time order', () => {
    const evs = Array.from({ length: 40 }, (_, i) => ev({ user: 'a', action: 's3:GetObject', time: T0 + Math.floor(i / 4) * S }));
    const a = tieOrder(evs, 1, 0);
    expect(tieOrder([...evs].reverse(), 1, 0).map((e) => e.id)).toEqual(a.map((e) => e.id));
    const b = tieOrder(evs, 1, 1);
    expect(b.map((e) => e.id)).not.toEqual(a.map((e) => e.id));
    for (const order of [a, b]) {
      for (let i = 1; i < order.length; i++) expect(order[i].time).toBeGreaterThanOrEqual(order[i - 1].time);
      expect(new Set(order.map((e) => e.id)).size).toBe(40);
    }
  });
});

describe('burst shapes', () => {
  it('are named from their services, the topic of their calls and whether they write', () => {
    const named = (actions: string[], share = 1) => shapeName(actions.map((a) => ({ action: full(a), share })));
    expect(named(['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeTags'])).toBe('EC2 Instance (read)');
    expect(named(['cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet'])).toBe('CloudFormation ChangeSet (write)');
    expect(named(['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecs:UpdateService'])).toBe('ECR + ECS Layer (write)');
    // Optional calls (in fewer than half of the bursts) do not name the shape.
    expect(shapeName([{ action: full('s3:ListBuckets'), share: 1 }, { action: full('iam:CreateUser'), share: 0.2 }])).toBe('S3 Bucket (read)');
  });
});

describe('reliability', () => {
  it('bins predictions and computes the expected calibration error', () => {
    const t = new ReliabilityTally(10);
    // 0.05 x 4, one came true (observed 0.25); 0.95 x 4, all came true (observed 1).
    for (let i = 0; i < 4; i++) t.add(0.05, i === 0);
    for (let i = 0; i < 4; i++) t.add(0.95, true);
    const r = t.result();
    expect(r.bins).toEqual([
      { from: 0, to: 0.1, predictions: 4, meanPredicted: 0.05, observed: 0.25 },
      { from: 0.9, to: 1, predictions: 4, meanPredicted: 0.95, observed: 1 },
    ]);
    expect(r.ece).toBeCloseTo(0.5 * 0.2 + 0.5 * 0.05, 4);
    expect(r).toMatchObject({ predictions: 8, meanPredicted: 0.5, observed: 0.625 });
    expect(() => t.add(1.2, true)).toThrow(/probability must be in \[0, 1\]/);
  });
});

/** A console user moving between three pages (each a burst of calls) by a known Markov chain. */
const PAGES: Record<string, string[]> = {
  instances: ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus', 'ec2:DescribeTags'],
  buckets: ['s3:ListBuckets', 's3:GetBucketLocation'],
  roles: ['iam:ListRoles', 'iam:GetRole', 'iam:ListAttachedRolePolicies'],
};
const NEXT: Record<string, Record<string, number>> = {
  instances: { buckets: 0.7, roles: 0.3 },
  buckets: { instances: 0.5, roles: 0.5 },
  roles: { instances: 1 },
};

function browse(user: string, bursts: number, seed: number) {
  const rng = new Rng(seed);
  const out = [];
  let page = 'instances';
  for (let b = 0; b < bursts; b++) {
    for (const action of PAGES[page]) out.push(ev({ user, action, time: T0 + b * 20 * S + out.length % 3 }));
    page = rng.weighted(NEXT[page]);
  }
  return out;
}

describe('next-burst model', () => {
  const events = [...browse('alice', 1500, 1), ...browse('bob', 1500, 2)];
  const model = BurstModel.train(groupByPrincipal(events));
  const after = (page: string, principal = 'alice') => model.predict(principal, { bursts: [PAGES[page].map(full)] }, 8);
  const p = (pred: ReturnType<typeof after>, action: string) => pred.actions.find((a) => a.action === full(action))?.p ?? 0;

  it('learns what the next burst holds, with probabilities near the true ones', () => {
    const next = after('instances');
    // After the instances page: buckets 70%, roles 30%.
    for (const a of PAGES.buckets) expect(Math.abs(p(next, a) - 0.7)).toBeLessThan(0.1);
    for (const a of PAGES.roles) expect(Math.abs(p(next, a) - 0.3)).toBeLessThan(0.1);
    expect(p(after('roles'), 'ec2:DescribeTags')).toBeGreaterThan(0.85);
    expect(next.expectedActions).toBeGreaterThan(2);
  });

  it('names the shapes it learned and predicts the next one', () => {
    expect(model.shapes.shapes.map((s) => s.name).sort()).toEqual(['EC2 Instance (read)', 'IAM Role (read)', 'S3 Bucket (read)']);
    const next = after('instances');
    expect(next.current?.name).toBe('EC2 Instance (read)');
    expect(next.shapes[0].shape.name).toBe('S3 Bucket (read)');
    expect(next.shapes[0].p).toBeCloseTo(0.7, 1);
    expect(next.shapes[1]).toMatchObject({ shape: { name: 'IAM Role (read)' } });
  });

  it('backs off for an unknown principal and predicts an action first seen after training from recency', () => {
    expect(p(after('instances', 'mallory'), 's3:ListBuckets')).toBeGreaterThan(0.5);
    const fresh = model.predict('alice', { bursts: [[full('lambda:ListFunctions')], [full('lambda:ListFunctions')]] }, 20);
    expect(fresh.actions.find((a) => a.action === full('lambda:ListFunctions'))?.p).toBeGreaterThan(0);
  });

  it('gives the next event inside a burst candidates that complete the burst, beside those of the burst after it', () => {
    // Half-way through a roles page, which is always followed by the instances page.
    const bursts = [PAGES.buckets.map(full)];
    const ctx = { bursts: [...bursts, [full('iam:ListRoles')]], newSession: false, current: { bursts, newSession: false } };
    const has = (xs: { action: string; p: number }[], a: string) => xs.find((x) => x.action === full(a))?.p ?? 0;
    const nextOnly = burstCandidates(model, 'alice', { bursts: ctx.bursts, newSession: false });
    const both = burstCandidates(model, 'alice', ctx);
    expect(both.reduce((s, x) => s + x.p, 0)).toBeCloseTo(1, 6);
    // The rest of the roles page comes from the burst in progress; the instances page still leads.
    expect(has(both, 'iam:GetRole')).toBeGreaterThan(3 * has(nextOnly, 'iam:GetRole') / nextOnly.reduce((s, x) => s + x.p, 0));
    expect(both.slice(0, 3).map((x) => x.action).sort()).toEqual(PAGES.instances.map(full).sort());
  });

  it('beats the burst-level reference on held-out bursts of the same user', () => {
    const heldOut = burstsOf(browse('alice', 400, 9));
    const baselines = trainBurstBaselines([...groupByPrincipal(events)].map(([principal, list]) => ({ principal, bursts: burstsOf(list).map((b) => b.actions) })));
    const reference = baselines.find((b) => b.name === 'burst-reference')!;
    let model5 = 0;
    let reference5 = 0;
    for (let j = 1; j < heldOut.length; j++) {
      const actual = new Set(heldOut[j].actions);
      const recall = (ranked: string[]) => ranked.slice(0, 3).filter((a) => actual.has(a)).length / Math.min(3, actual.size);
      model5 += recall(model.rank('alice', { bursts: heldOut.slice(Math.max(0, j - 30), j).map((b) => b.actions) }, 3).map((x) => x.action));
      reference5 += recall(reference.rank('alice', heldOut[j - 1].actions, 3));
    }
    expect(model5).toBeGreaterThanOrEqual(reference5 * 0.98);
  });
});
