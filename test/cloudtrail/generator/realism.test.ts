import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../../cloudtrail/event.ts';
import { DEFAULTS, generate, generatorTruth } from '../../../cloudtrail/generator/index.ts';
import { openFilesStore } from '../../../cloudtrail/stores/files.ts';
import { activityStats, type ActivityStats } from '../../../predict/bursts.ts';
import { groupByPrincipal } from '../../../predict/corpus.ts';
import { buildPeers } from '../../../predict/peers.ts';
import { profileOf } from '../../../predict/profile.ts';
import { INVICTUS, STRATUS } from '../../fixtures/cloudtrail/index.ts';

/**
 * The embedded sample (the default settings, exactly what `npm start` generates) against the vendored real records.
 * invictus-aws is one account's hour of Terraform and console work plus an attack simulation; the stratus
 * detonations are attack techniques run one by one. Each statistic has its tolerance stated beside it: where the two
 * real sets agree the sample must be close to them, where they differ it must lie within (or just beyond) their span.
 */

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-realism-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function load(dir: string): Promise<TrailEvent[]> {
  const store = await openFilesStore(dir, { cacheDir: false });
  const out: TrailEvent[] = [];
  for await (const e of store.scan()) out.push(e);
  return out;
}

/** Identity types CloudTrail records (userIdentity.type). */
const CLOUDTRAIL_IDENTITY_TYPES = ['Root', 'IAMUser', 'AssumedRole', 'Role', 'FederatedUser', 'Directory', 'IdentityCenterUser', 'AWSAccount', 'AWSService', 'WebIdentityUser', 'SAMLUser', 'Unknown'];

let sample: ActivityStats;
let invictus: ActivityStats;
let stratus: ActivityStats;
let events: TrailEvent[];
beforeAll(async () => {
  const dir = join(tmp, 'sample');
  generate({ ...DEFAULTS, outDir: dir });
  events = await load(dir);
  sample = activityStats(events);
  invictus = activityStats(await load(INVICTUS));
  stratus = activityStats(await load(STRATUS));
}, 120_000);

const span = (key: 'readOnlyShare' | 'errorShare' | 'callsPerActiveHour') => [Math.min(invictus[key], stratus[key]), Math.max(invictus[key], stratus[key])];

describe('the embedded sample looks like real CloudTrail', () => {
  it('is the size the workbench promises', () => {
    expect(Math.abs(sample.events - DEFAULTS.events)).toBeLessThan(10);
  });

  it('comes in bursts: consecutive events of a principal share their second as often as in real activity (0.79), within 0.05', () => {
    expect(invictus.sameSecondShare).toBeCloseTo(0.79, 2);
    expect(Math.abs(sample.sameSecondShare - invictus.sameSecondShare)).toBeLessThanOrEqual(0.05);
  });

  it('has bursts as large as real ones (4.6 events), within 0.6', () => {
    expect(invictus.meanBurstEvents).toBeCloseTo(4.61, 2);
    expect(Math.abs(sample.meanBurstEvents - invictus.meanBurstEvents)).toBeLessThanOrEqual(0.6);
  });

  it('uses a vocabulary as broad as a real account: at least 250 distinct actions, at most twice the real count', () => {
    expect(invictus.distinctActions).toBe(262);
    expect(sample.distinctActions).toBeGreaterThanOrEqual(250);
    expect(sample.distinctActions).toBeLessThanOrEqual(2 * invictus.distinctActions);
  });

  it('reads about as much as real accounts: read-only share within 0.08 of the real span (0.80-0.84)', () => {
    const [lo, hi] = span('readOnlyShare');
    expect(sample.readOnlyShare).toBeGreaterThanOrEqual(lo - 0.08);
    expect(sample.readOnlyShare).toBeLessThanOrEqual(hi + 0.08);
  });

  it('fails like real accounts: error share within 0.06 of the real span (0.10-0.17, attack simulations fail more)', () => {
    const [lo, hi] = span('errorShare');
    expect(sample.errorShare).toBeGreaterThanOrEqual(lo - 0.06);
    expect(sample.errorShare).toBeLessThanOrEqual(hi + 0.06);
  });

  it('is as busy per active hour as real principals: inside the real span (14-116 calls per principal-hour)', () => {
    const [lo, hi] = span('callsPerActiveHour');
    expect(sample.callsPerActiveHour).toBeGreaterThanOrEqual(lo);
    expect(sample.callsPerActiveHour).toBeLessThanOrEqual(hi);
  });

  it('has the identity types of real records: each type with 1% of a real set has 1% here, and no type CloudTrail does not record', () => {
    for (const real of [invictus, stratus])
      for (const [type, share] of Object.entries(real.identityTypes)) if (share >= 0.01) expect(sample.identityTypes[type] ?? 0, type).toBeGreaterThanOrEqual(0.01);
    for (const type of Object.keys(sample.identityTypes)) expect(CLOUDTRAIL_IDENTITY_TYPES).toContain(type);
  });

  it('has teams: people who share a role and habits, so each team is one peer group', () => {
    const profiles = [...groupByPrincipal(events)].map(([k, list]) => profileOf(k, list));
    const peers = buildPeers(profiles);
    for (const team of generatorTruth().teams.filter((t) => t.members.length > 1 && new Set(t.members).size === t.members.length)) {
      const groups = new Set(team.members.map((m) => peers.groupOf.get(m)));
      expect(groups.size, `${team.team}: ${team.members.join(', ')}`).toBe(1);
    }
    const shared = peers.groups.filter((g) => g.size > 1);
    expect(shared.length).toBeGreaterThanOrEqual(4);
  });
});
