import { describe, expect, it } from 'vitest';
import { actionOf } from '../../cloudtrail/event.ts';
import { groupByPrincipal, toSequences, UNK } from '../../predict/corpus.ts';
import { trainEngine } from '../../predict/engine.ts';
import { SequenceModel } from '../../predict/model.ts';
import { nextActions } from '../../predict/service.ts';
import { CHAIN, ev, full, HOUR, markovEvents, MIN, T0 } from './support.ts';

const sum = (p: Float64Array) => p.reduce((s, x) => s + x, 0);
const NO_CACHE = { cacheWeight: 0, cacheBigramWeight: 0 };

function tv(model: SequenceModel, principal: string, recent: string[], truth: Record<string, number>): number {
  const p = model.distribution(principal, { recent });
  let d = 0;
  const seen = new Set<string>();
  for (const [a, q] of Object.entries(truth)) {
    seen.add(full(a));
    d += Math.abs(q - p[model.vocab.id(full(a))!]);
  }
  for (let i = 0; i < p.length; i++) if (!seen.has(model.vocab.names[i])) d += p[i];
  return d / 2;
}

describe('sequence model', () => {
  const events = markovEvents('alice', 20_000);
  const seqs = toSequences(groupByPrincipal(events));

  it('learns the transition probabilities of a known Markov source', () => {
    const model = SequenceModel.train(seqs, { order: 3, ...NO_CACHE });
    const visits = new Map<string, number>();
    for (const e of events.slice(0, -1)) visits.set(actionOf(e), (visits.get(actionOf(e)) ?? 0) + 1);
    for (const [from, truth] of Object.entries(CHAIN)) {
      // Order-1 context: the learned distribution should be the true row, within sampling error.
      const n = visits.get(full(from))!;
      expect(n).toBeGreaterThan(500);
      expect(tv(model, 'alice', [full(from)], truth), from).toBeLessThan(0.01 + 1.5 / Math.sqrt(n));
      // A longer context of a first-order source must give (nearly) the same answer.
      const longer = [full('s3:GetObject'), full('s3:PutObject'), full(from)];
      const legal = CHAIN['s3:PutObject'][from] !== undefined;
      if (legal) expect(tv(model, 'alice', longer, truth), `..., ${from}`).toBeLessThan(0.08);
    }
  });

  it('is less accurate with little data and converges as data grows', () => {
    const row = CHAIN['s3:GetObject'];
    const small = SequenceModel.train(toSequences(groupByPrincipal(markovEvents('alice', 200, 3))), { order: 2, ...NO_CACHE });
    const big = SequenceModel.train(seqs, { order: 2, ...NO_CACHE });
    expect(tv(big, 'alice', [full('s3:GetObject')], row)).toBeLessThan(tv(small, 'alice', [full('s3:GetObject')], row));
  });

  it('gives distributions that sum to 1 for known, unknown and empty contexts, with and without the cache', () => {
    for (const opts of [NO_CACHE, {}]) {
      const model = SequenceModel.train(seqs, { order: 3, ...opts });
      const contexts = [[], [full('s3:GetObject')], [full('s3:GetObject'), full('s3:PutObject')], ['iam.amazonaws.com:Nope', full('s3:GetObject'), 'x.amazonaws.com:New']];
      for (const recent of contexts)
        for (const who of ['alice', 'nobody']) {
          const p = model.distribution(who, { recent });
          expect(sum(p)).toBeCloseTo(1, 9);
          expect(p[0]).toBe(0); // the session-start marker is never predicted
          // The exact single-action probability agrees with the full distribution.
          for (const a of [full('s3:GetObject'), full('ec2:RunInstances')]) expect(model.prob(who, a, { recent })).toBeCloseTo(p[model.vocab.id(a)!], 12);
        }
    }
  });

  it('ranks top-k exactly like sorting the full distribution', () => {
    const model = SequenceModel.train(seqs, { order: 3 });
    const recent = events.slice(100, 160).map(actionOf);
    const p = model.distribution('alice', { recent });
    const sorted = [...p.keys()].filter((i) => i > UNK).sort((a, b) => p[b] - p[a] || a - b).slice(0, 5);
    const top = model.predict('alice', 5, { recent });
    expect(top.map((t) => t.action)).toEqual(sorted.map((i) => model.vocab.names[i]));
    for (let i = 0; i < 5; i++) expect(top[i].p).toBeCloseTo(p[sorted[i]], 12);
  });

  it('keeps principals apart and backs off to the account for unseen principals and contexts', () => {
    // bob always follows ListBuckets with DeleteBucket; alice never does.
    const bob = Array.from({ length: 300 }, (_, i) => ev({ user: 'bob', action: i % 2 ? 's3:DeleteBucket' : 's3:ListBuckets', time: T0 + i * MIN }));
    const engine = trainEngine([...events.slice(0, 5000), ...bob], { model: NO_CACHE });
    const m = engine.model;
    expect(m.predict('bob', 1, { recent: [full('s3:ListBuckets')] })[0].action).toBe(full('s3:DeleteBucket'));
    expect(m.predict('alice', 1, { recent: [full('s3:ListBuckets')] })[0].action).toBe(full('s3:GetObject'));
    // An unseen principal gets the account-wide view: a mix of both, summing to 1.
    const carol = m.distribution('carol', { recent: [full('s3:ListBuckets')] });
    expect(sum(carol)).toBeCloseTo(1, 9);
    const pDel = carol[m.vocab.id(full('s3:DeleteBucket'))!];
    const pGet = carol[m.vocab.id(full('s3:GetObject'))!];
    expect(pDel).toBeGreaterThan(0.2);
    expect(pGet).toBeGreaterThan(0.2);
    expect(nextActions(engine, { principal: 'carol', recent: [full('s3:ListBuckets')] }).known).toBe(false);
    // An unseen context backs off to the principal's own habits.
    const top = m.predict('bob', 2, { recent: ['lambda.amazonaws.com:Invoke'] }).map((x) => x.action).sort();
    expect(top).toEqual([full('s3:DeleteBucket'), full('s3:ListBuckets')]);
  });


  it('counts a history added in parts (split at a session break) exactly as one added at once, at every level', () => {
    const alice = markovEvents('alice', 3000, 11);
    // bob's history has a session break in the middle: two days pass.
    const bob = [...markovEvents('bob', 1500, 12), ...markovEvents('bob', 1500, 13, T0 + 2 * 24 * HOUR + 1500 * MIN)];
    const groups = new Map([['alice', 0], ['bob', 0]]);
    const [a, b] = toSequences(groupByPrincipal([...alice, ...bob]));
    const whole = SequenceModel.train([a, b], NO_CACHE, groups);
    const half = (from: number, to: number) => ({ principal: 'bob', actions: b.actions.slice(from, to), times: b.times.slice(from, to) });
    const parts = SequenceModel.train([a, half(0, 1500), half(1500, 3000)], NO_CACHE, groups);
    const contexts = [[], [full('s3:ListBuckets')], [full('s3:GetObject'), full('s3:PutObject'), full('s3:GetObject')]];
    // bob (his own counts), carol (unknown: the account's) and a peer of the group (the group's counts).
    for (const who of ['bob', 'alice', 'carol'])
      for (const recent of contexts) expect([...parts.distribution(who, { recent })], `${who} after ${recent.join(' ')}`).toEqual([...whole.distribution(who, { recent })]);
    expect(parts.count('bob')).toBe(3000);
    expect(parts.count()).toBe(6000);
  });
  it('predicts the start of a new session after a long gap', () => {
    // Every session starts with ConsoleLogin, then lists buckets and reads objects.
    const evs = [];
    for (let s = 0; s < 40; s++) {
      const t = T0 + s * 5 * HOUR;
      evs.push(ev({ user: 'dana', action: 'signin:ConsoleLogin', time: t }));
      for (let i = 1; i < 6; i++) evs.push(ev({ user: 'dana', action: i === 1 ? 's3:ListBuckets' : 's3:GetObject', time: t + i * MIN }));
    }
    const engine = trainEngine(evs);
    const recent = [full('s3:GetObject'), full('s3:GetObject')];
    expect(nextActions(engine, { principal: 'dana', recent, gapMinutes: 180 }).predictions[0].action).toBe(full('signin:ConsoleLogin'));
    expect(nextActions(engine, { principal: 'dana', recent, gapMinutes: 1 }).predictions[0].action).toBe(full('s3:GetObject'));
  });

  it('predicts an action new since training once the principal starts repeating it (recency cache)', () => {
    const model = SequenceModel.train(seqs, { order: 3 });
    const novel = 'bedrock.amazonaws.com:InvokeModel';
    const recent = [full('s3:GetObject'), novel, full('s3:GetObject'), novel, full('s3:GetObject'), novel, full('s3:GetObject')];
    const top = model.predict('alice', 5, { recent }).map((x) => x.action);
    expect(top).toContain(novel);
    expect(model.prob('alice', novel, { recent })).toBeGreaterThan(0.05);
  });

  it('trains 100k events in well under 10 s and predicts in well under 1 ms', () => {
    const big = markovEvents('erin', 100_000, 11);
    const t0 = performance.now();
    const engine = trainEngine(big);
    const trainMs = performance.now() - t0;
    expect(trainMs).toBeLessThan(10_000);
    const recent = big.slice(-50).map(actionOf);
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      engine.model.predict('erin', 5, { recent });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    expect(times[1000]).toBeLessThan(1);
  });
});
