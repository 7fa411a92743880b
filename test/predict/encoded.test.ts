import { describe, expect, it } from 'vitest';
import { groupByPrincipal, toSequences } from '../../predict/corpus.ts';
import { encodeEvents } from '../../predict/encoded.ts';
import { SequenceModel } from '../../predict/model.ts';
import { profileOf } from '../../predict/profile.ts';
import { ev, HOUR, markovEvents, MIN, T0 } from './support.ts';

// Two users with different habits, regions and agents; bob's last events arrive out of order.
const events = [
  ...markovEvents('alice', 3000, 3),
  ...markovEvents('bob', 2000, 5, T0 + 3 * HOUR),
  ev({ user: 'bob', action: 'iam:ListRoles', time: T0 + 2 * HOUR, region: 'us-east-1', ua: 'console.amazonaws.com' }),
  ev({ user: 'carol', action: 'sts:GetCallerIdentity', time: T0 + 5 * MIN, ip: '203.0.113.9' }),
  ev({ user: 'carol', action: 'kms:Decrypt', time: T0 + 50 * HOUR, region: 'eu-central-1', error: 'AccessDenied' }),
];
const by = groupByPrincipal(events);

describe('encoded events', () => {
  it('number actions in order of first appearance, principal by principal, as the models numbered them', () => {
    const encoded = encodeEvents(by);
    const names = [...new Set([...by.values()].flatMap((list) => list.map((e) => `${e.source}:${e.name}`)))];
    expect(encoded.names).toEqual(names);
    for (const [k, list] of by) {
      const seq = encoded.byPrincipal.get(k)!;
      expect([...seq.ids].map((i) => encoded.names[i])).toEqual(list.map((e) => `${e.source}:${e.name}`));
      expect([...seq.times]).toEqual(list.map((e) => e.time));
    }
  });

  it.each([
    ['without peer groups', undefined],
    // The encoded model merges groups' tries into the account's at the end, the strings' one principal at a time.
    ['with peer groups', new Map([['alice', 0], ['bob', 0], ['carol', 1]])],
  ])('train the same sequence model as the action strings do, %s', (_label, groups) => {
    const fromStrings = SequenceModel.train(toSequences(by), {}, groups);
    const fromIds = SequenceModel.trainEncoded(encodeEvents(by), {}, groups);
    expect(fromIds.vocab.names).toEqual(fromStrings.vocab.names);
    for (const principal of ['alice', 'bob', 'carol', 'nobody'])
      for (const recent of [[], ['s3.amazonaws.com:ListBuckets'], ['ec2.amazonaws.com:DescribeInstances', 's3.amazonaws.com:GetObject']]) {
        expect(fromIds.distribution(principal, { recent })).toEqual(fromStrings.distribution(principal, { recent }));
        expect(fromIds.predict(principal, 5, { recent })).toEqual(fromStrings.predict(principal, 5, { recent }));
        expect(fromIds.count(principal)).toBe(fromStrings.count(principal));
      }
  });

  it('give the same profiles as the events do, in time order or not', () => {
    const encoded = encodeEvents(by);
    for (const [k, list] of by) {
      const plain = profileOf(k, list);
      expect(profileOf(k, list, { encoded: { ids: encoded.byPrincipal.get(k)!.ids, names: encoded.names } })).toEqual(plain);
      // Out of order: the profile sorts its own copy and must not trust ids given in the other order.
      const shuffled = [...list].reverse();
      expect(profileOf(k, shuffled, { encoded: { ids: encoded.byPrincipal.get(k)!.ids, names: encoded.names } })).toEqual(plain);
      expect(Object.keys(plain.actions)).toEqual([...new Set(list.map((e) => `${e.source}:${e.name}`))]);
    }
  });
});
