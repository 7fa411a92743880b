import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionOf, type TrailEvent } from '../../../cloudtrail/event.ts';
import { DEFAULTS, ensureDefaultSampleData, ensureSampleData, generate, generatorTruth, PERSONAS, SAMPLE_MARKER, sampleStamp, TEMPLATES } from '../../../cloudtrail/generator/index.ts';
import { burstsOf } from '../../../predict/bursts.ts';
import { groupByPrincipal } from '../../../predict/corpus.ts';
import { openFilesStore, type FilesStore } from '../../../cloudtrail/stores/files.ts';
import { main } from '../../../cli/main.ts';
import { DEFAULT_DATA_DIR } from '../../../cloudtrail/config.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}
const small = { days: 2, events: 4000, start: '2026-10-01' };
const log = () => {};

describe('generator determinism', () => {
  it('writes byte-identical files for the same seed and different ones for another seed', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => join(tmp, n));
    generate({ ...small, seed: 7, outDir: a });
    generate({ ...small, seed: 7, outDir: b });
    generate({ ...small, seed: 8, outDir: c });
    const fa = listFiles(a);
    expect(fa.length).toBeGreaterThan(50);
    expect(listFiles(b)).toEqual(fa);
    for (const f of fa) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    expect(listFiles(c)).not.toEqual(fa);
  });
});

describe('generated dataset', () => {
  const dir = join(tmp, 'data');
  let store: FilesStore;
  let events: TrailEvent[];
  let result: ReturnType<typeof generate>;
  beforeAll(async () => {
    result = generate({ ...small, seed: 3, outDir: dir });
    store = await openFilesStore(dir, { cacheDir: false });
    events = (await store.query({ limit: 100_000 })).events;
  });

  it('uses the real S3 delivery layout and file naming, ~5-minute batches', () => {
    const files = listFiles(dir).filter((f) => f !== 'truth.json');
    expect(files.length).toBe(result.files);
    for (const f of files) {
      const m = /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]{16}\.json\.gz$/.exec(f);
      expect(m, f).not.toBeNull();
      expect([m![3], m![4], m![5]]).toEqual([m![6], m![7], m![8]]);
      expect(Number(m![10]) % 5).toBe(0);
    }
    expect(store.errors).toEqual([]);
    expect(store.stats.events).toBe(result.events);
    expect(Math.abs(result.events - small.events)).toBeLessThan(small.events * 0.1);
  });

  it('delivers records unordered inside a file, each within the 5 minutes before delivery', () => {
    let unordered = 0;
    for (const f of listFiles(dir).filter((x) => x.endsWith('.gz'))) {
      const { Records } = JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString());
      const times = Records.map((r: { eventTime: string }) => Date.parse(r.eventTime));
      if (times.some((t: number, i: number) => i > 0 && t < times[i - 1])) unordered++;
      const stamp = /_(\d{8}T\d{4}Z)_/.exec(f)![1];
      const delivered = Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:00Z`);
      for (const t of times) expect(t < delivered && t >= delivered - 300_000).toBe(true);
    }
    expect(unordered).toBeGreaterThan(0);
  });

  it('has every persona, errors, several regions and the expected identities', () => {
    const keys = new Set(events.map((e) => e.principal.key));
    for (const p of PERSONAS) expect(keys, p.id).toContain(p.principalKey);
    expect(Object.keys(result.perPersona).sort()).toEqual(PERSONAS.map((p) => p.id).sort());
    const codes = new Set(events.map((e) => e.errorCode).filter(Boolean));
    expect(codes).toContain('AccessDenied');
    expect(codes).toContain('AccessDeniedException');
    expect(codes).toContain('Client.UnauthorizedOperation');
    expect(new Set(events.map((e) => e.region)).size).toBeGreaterThanOrEqual(5);

    const web = events.find((e) => e.name === 'AssumeRoleWithWebIdentity')!;
    expect(web.principal.type).toBe('WebIdentityUser');
    expect(web.raw.userIdentity?.identityProvider).toMatch(/token\.actions\.githubusercontent\.com/);
    const login = events.find((e) => e.name === 'ConsoleLogin')!;
    expect(login).toMatchObject({ source: 'signin.amazonaws.com', userAgent: expect.stringMatching(/^Mozilla\/5\.0/) });
    expect(login.raw.eventType).toBe('AwsConsoleSignIn');
    const priya = events.filter((e) => e.principal.key === 'priya.shah' && e.principal.type === 'AssumedRole');
    expect(priya.length).toBeGreaterThan(0);
    expect(priya[0].raw.userIdentity?.sessionContext?.sourceIdentity).toBe('priya.shah');
    const sso = events.find((e) => e.principal.key === 'alice.nguyen' && e.principal.type === 'AssumedRole')!;
    expect(sso.principal.name).toMatch(/^AWSReservedSSO_DeveloperAccess_/);
    const service = events.find((e) => e.principal.type === 'AWSService')!;
    expect(service.principal.name).toBe('lambda.amazonaws.com');
    expect(service.principal.arn).toBeUndefined();
  });

  it('places the compromised key on a new IP and unusual regions, and on-call at night', () => {
    const reporting = events.filter((e) => e.principal.key === 'svc-reporting');
    const attackerIps = new Set(reporting.filter((e) => e.sourceIp.startsWith('185.220.')).map((e) => e.region));
    expect(reporting.some((e) => e.sourceIp === '198.51.100.23')).toBe(true);
    expect([...attackerIps].some((r) => r === 'ap-southeast-1' || r === 'sa-east-1')).toBe(true);
    expect(reporting.filter((e) => e.sourceIp.startsWith('185.220.') && e.errorCode).length).toBeGreaterThan(0);
    // raj.patel works 22:00-05:00 at UTC-8, i.e. 06:00-13:00 UTC (plus session spill-over)
    const night = events.filter((e) => e.principal.key === 'raj.patel').map((e) => new Date(e.time).getUTCHours());
    expect(night.length).toBeGreaterThan(0);
    expect(night.filter((h) => h >= 6 && h <= 14).length / night.length).toBeGreaterThan(0.95);
  });

  it('writes what it does beside the data (teams, tasks, burst templates), and the data is made of those bursts', () => {
    const truth = JSON.parse(readFileSync(result.truthFile, 'utf8'));
    expect({ teams: truth.teams, personas: truth.personas, tasks: truth.tasks, templates: truth.templates }).toEqual(generatorTruth());
    expect(truth.templates.length).toBe(TEMPLATES.length);
    const developers = truth.teams.find((t: { role: string }) => t.role === 'backend-developer');
    expect(developers.members).toEqual(['alice.nguyen', 'ben.carter', 'chloe.martin', 'diego.ramos']);
    // Every burst (a principal's events in one second) is made of calls of one template, or of two when a second
    // template's burst happens to fall in the same second: never of actions no template has.
    const known = new Set(truth.templates.flatMap((t: { actions: Record<string, number> }) => Object.keys(t.actions)));
    const bursts = [...groupByPrincipal(events).values()].flatMap((list) => burstsOf(list));
    for (const b of bursts) for (const a of b.actions) expect(known, a).toContain(a);
    // A CI image push is one burst of several upload calls, as the ECR client makes them (now and then a call
    // returns in the next second, so a few pushes straddle two).
    const push = bursts.filter((b) => b.actions.includes('ecr.amazonaws.com:UploadLayerPart'));
    expect(push.length).toBeGreaterThan(3);
    const whole = push.filter((b) => ['ecr.amazonaws.com:InitiateLayerUpload', 'ecr.amazonaws.com:CompleteLayerUpload'].every((a) => b.actions.includes(a)) && b.events >= 4);
    expect(whole.length / push.length).toBeGreaterThan(0.8);
  });
});

describe('ensureSampleData and the sample-data command', () => {
  it('generates only when the directory has no delivery files', async () => {
    const dir = join(tmp, 'ensure', 'sample');
    const first = await ensureSampleData(dir, { days: 1, events: 300, log });
    expect(first.generated).toBe(true);
    expect(statSync(join(dir, 'truth.json')).isFile()).toBe(true);
    expect(listFiles(dir).some((f) => f.startsWith('AWSLogs/'))).toBe(true);
    const second = await ensureSampleData(dir, { days: 1, events: 300, log });
    expect(second).toEqual({ dir, generated: false });
  });

  it('regenerates a dataset written by another generator version or with other settings', async () => {
    const dir = join(tmp, 'stale', 'sample');
    await ensureSampleData(dir, { days: 1, events: 300, log });
    const marker = JSON.parse(readFileSync(join(dir, SAMPLE_MARKER), 'utf8'));
    expect(marker).toMatchObject({ generator: 'trailbook-sample-data', stamp: sampleStamp({ days: 1, events: 300 }) });
    // What an older generator left behind: other bytes under the same marker name, and a stamp that no longer matches.
    const files = listFiles(dir).filter((f) => f.startsWith('AWSLogs/'));
    writeFileSync(join(dir, files[0]!), 'left by an older generator');
    writeFileSync(join(dir, SAMPLE_MARKER), JSON.stringify({ ...marker, stamp: 'older' }));
    const again = await ensureSampleData(dir, { days: 1, events: 300, log });
    expect(again.generated).toBe(true);
    expect(readFileSync(join(dir, files[0]!)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip again
    expect(JSON.parse(readFileSync(join(dir, SAMPLE_MARKER), 'utf8')).stamp).toBe(marker.stamp);
    expect(readdirSync(join(tmp, 'stale'))).toEqual(['sample']); // no temp or old directory left beside it

    // Other settings are another dataset.
    expect((await ensureSampleData(dir, { days: 1, events: 301, log })).generated).toBe(true);
    expect(sampleStamp({ days: 1, events: 301 })).not.toBe(marker.stamp);
  });

  it('regenerates a sample from before the marker existed (recognised by its truth.json), never data it did not write', async () => {
    const old = join(tmp, 'premarker', 'sample');
    generate({ days: 1, events: 300, outDir: old });
    expect((await ensureSampleData(old, { days: 1, events: 300, log })).generated).toBe(true);
    expect(readFileSync(join(old, SAMPLE_MARKER), 'utf8')).toContain(sampleStamp({ days: 1, events: 300 }));

    const mine = join(tmp, 'foreign', 'sample');
    mkdirSync(join(mine, 'logs'), { recursive: true });
    writeFileSync(join(mine, 'logs', 'trail.json'), JSON.stringify({ Records: [] }));
    expect(await ensureSampleData(mine, { days: 1, events: 300, log })).toEqual({ dir: mine, generated: false });
    expect(listFiles(mine)).toEqual(['logs/trail.json']);
  });

  it('ensureDefaultSampleData writes only to the default directory of the files source', async () => {
    const chosen = join(tmp, 'chosen');
    expect(await ensureDefaultSampleData({ TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: chosen }, log)).toBe(false);
    expect(await ensureDefaultSampleData({ TRAILBOOK_SOURCE: 'lookup', TRAILBOOK_DATA_DIR: DEFAULT_DATA_DIR, AWS_REGION: 'eu-west-1' }, log)).toBe(false);
    expect(existsSync(chosen)).toBe(false);
  });

  it('gives one stamp for the same settings however they are spelled, another for other settings', () => {
    expect(sampleStamp()).toBe(sampleStamp({ ...DEFAULTS }));
    expect(sampleStamp()).toMatch(/^[0-9a-f]{16}$/);
    expect(sampleStamp({ seed: 43 })).not.toBe(sampleStamp());
  });

  it('runs from the CLI and rejects bad arguments', async () => {
    const out = join(tmp, 'cli');
    expect(await main(['sample-data', '--out', out, '--days', '1', '--events', '200', '--seed', '5'])).toBe(0);
    expect((await openFilesStore(out, { cacheDir: false })).stats.events).toBeGreaterThan(150);
    // Its marker says what wrote the data, so the same settings are not generated again.
    expect(await ensureSampleData(out, { days: 1, events: 200, seed: 5, log })).toEqual({ dir: out, generated: false });
    expect(await main(['sample-data', '--days', 'many'])).toBe(2);
    expect(await main(['sample-data', '--bogus'])).toBe(2);
  });
});
