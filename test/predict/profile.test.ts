import { describe, expect, it } from 'vitest';
import { actionOf, type TrailEvent } from '../../cloudtrail/event.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { buildPeers, cosine } from '../../predict/peers.ts';
import { buildProfiles, hourOfWeekRows } from '../../predict/profile.ts';
import { forecast } from '../../predict/forecast.ts';
import { ev, HOUR, MIN, T0 } from './support.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';

async function invictus(): Promise<TrailEvent[]> {
  const store = await openFilesStore(INVICTUS);
  const out: TrailEvent[] = [];
  for await (const e of store.scan()) out.push(e);
  return out;
}

describe('activity profiles', () => {
  it('match counts computed independently on real CloudTrail data', async () => {
    const events = await invictus();
    const profiles = buildProfiles(events);
    expect(profiles.reduce((n, p) => n + p.events, 0)).toBe(events.length);
    for (const p of profiles) {
      const mine = events.filter((e) => e.principal.key === p.principal);
      expect(p.events).toBe(mine.length);
      expect(p.errors).toBe(mine.filter((e) => e.errorCode).length);
      expect(p.readOnly).toBe(mine.filter((e) => e.readOnly === true).length);
      expect(p.mutating).toBe(mine.filter((e) => e.readOnly === false).length);
      expect(p.hourOfWeek.flat().reduce((a, b) => a + b, 0)).toBe(mine.length);
      const regions = new Map<string, number>();
      for (const e of mine) regions.set(e.region, (regions.get(e.region) ?? 0) + 1);
      expect(Object.fromEntries(p.regions.map((r) => [r.value, r.count]))).toEqual(Object.fromEntries(regions));
      expect(new Set(p.sourceIps.map((x) => x.value))).toEqual(new Set(mine.map((e) => e.sourceIp).filter(Boolean)));
      expect(Object.keys(p.actions).length).toBe(new Set(mine.map(actionOf)).size);
      const top = p.topApis[0];
      expect(top.count).toBe(mine.filter((e) => actionOf(e) === top.value).length);
      expect(p.firstSeenMs).toBe(Math.min(...mine.map((e) => e.time)));
    }
    // The busiest principal of the dataset.
    expect(profiles[0]).toMatchObject({ principal: 'bert-jan', type: 'IAMUser', events: 2642 });
  });

  it('bins activity by UTC day of week and hour', () => {
    // 2026-11-02 is a Monday; 09:00 UTC.
    const events = [0, 1, 2].map((i) => ev({ user: 'a', action: 's3:ListBuckets', time: T0 + i * MIN }));
    events.push(ev({ user: 'a', action: 's3:ListBuckets', time: T0 + 24 * HOUR + 5 * HOUR }));
    const [p] = buildProfiles(events);
    expect(p.hourOfWeek[1][9]).toBe(3);
    expect(p.hourOfWeek[2][14]).toBe(1);
    const rows = hourOfWeekRows(p);
    expect(rows).toHaveLength(168);
    expect(rows.find((r) => r.day === 'Mon' && r.hour === 9)!.events).toBe(3);
    expect(p.sessions).toBe(2);
  });

  it('forecasts the next hour from the hour-of-week rates', () => {
    // Four weeks of 10 calls every Monday 09:00-10:00, nothing else.
    const events = [];
    for (let w = 0; w < 4; w++) for (let i = 0; i < 10; i++) events.push(ev({ user: 'a', action: i % 2 ? 's3:GetObject' : 's3:ListBuckets', time: T0 + w * 7 * 24 * HOUR + i * MIN }));
    const [p] = buildProfiles(events);
    const monday9 = forecast(p, { at: T0 + 4 * 7 * 24 * HOUR });
    expect(monday9.expectedEvents).toBeGreaterThan(10); // 40 events over ~3 weeks of span: ~13 per Monday 9:00
    expect(monday9.pActive).toBeGreaterThan(0.99);
    expect(monday9.apis.map((a) => a.action).sort()).toEqual(['s3.amazonaws.com:GetObject', 's3.amazonaws.com:ListBuckets']);
    const tuesday3 = forecast(p, { at: T0 + 4 * 7 * 24 * HOUR + 18 * HOUR });
    expect(tuesday3.expectedEvents).toBeLessThan(0.1);
    const day = forecast(p, { at: T0 + 4 * 7 * 24 * HOUR - HOUR, horizon: 'day' });
    expect(day.expectedEvents).toBeGreaterThan(monday9.expectedEvents);
  });
});

describe('peer groups', () => {
  it('groups principals with similar service/API mixes', () => {
    const mk = (user: string, actions: string[], n = 40) => Array.from({ length: n }, (_, i) => ev({ user, action: actions[i % actions.length], time: T0 + i * MIN }));
    const data = ['s3:GetObject', 's3:PutObject', 's3:ListBuckets'];
    const infra = ['ec2:RunInstances', 'ec2:DescribeInstances', 'iam:PassRole'];
    const profiles = buildProfiles([
      ...mk('d1', data),
      ...mk('d2', [...data, 'glue:StartJobRun']),
      ...mk('i1', infra),
      ...mk('i2', [...infra, 'ec2:TerminateInstances']),
    ]);
    const peers = buildPeers(profiles);
    expect(peers.groupOf.get('d1')).toBe(peers.groupOf.get('d2'));
    expect(peers.groupOf.get('i1')).toBe(peers.groupOf.get('i2'));
    expect(peers.groupOf.get('d1')).not.toBe(peers.groupOf.get('i1'));
    expect(peers.groups).toHaveLength(2);
    const sim = peers.similar('d1', 3);
    expect(sim[0].peer).toBe('d2');
    expect(sim[0].similarity).toBeGreaterThan(0.5);
    expect(sim.find((m) => m.peer === 'i1')!.similarity).toBe(0);
    expect(cosine(new Map([['a', 1]]), new Map([['a', 2]]))).toBeCloseTo(1);
  });
});
