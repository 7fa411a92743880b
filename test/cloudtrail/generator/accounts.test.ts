import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../../cloudtrail/generator/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-gen-accounts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz'))
    .map((e) => join(e.parentPath, e.name))
    .sort();

describe('generator accounts option (organization trail shape)', () => {
  it('delivers one file per account, region and 5 minutes, each record in the account its path names', () => {
    const one = join(tmp, 'one');
    const two = join(tmp, 'two');
    const settings = { days: 2, events: 6000, start: '2026-10-01', seed: 3 };
    const a = generate({ ...settings, outDir: one });
    const b = generate({ ...settings, outDir: two, accounts: 2 });
    expect(b.events).toBe(a.events);
    const paths = files(two);
    expect(paths.length).toBe(b.files);
    expect(b.files).toBeGreaterThan(a.files);
    const seen = new Map<string, number>();
    const windows = new Set<string>();
    let events = 0;
    for (const p of paths) {
      const rel = relative(two, p).split('/');
      const account = rel[1];
      const region = rel[3];
      const stamp = rel.at(-1)!.split('_')[3];
      // One file per (account, region, window) as long as no window exceeds the 1,000-record split.
      const key = `${account}/${region}/${stamp}`;
      expect(windows.has(key), key).toBe(false);
      windows.add(key);
      const { Records } = JSON.parse(gunzipSync(readFileSync(p)).toString('utf8')) as { Records: { recipientAccountId: string; awsRegion: string }[] };
      for (const r of Records) {
        expect(r.recipientAccountId).toBe(account);
        expect(r.awsRegion).toBe(region);
      }
      events += Records.length;
      seen.set(account, (seen.get(account) ?? 0) + Records.length);
    }
    expect(events).toBe(a.events);
    expect([...seen.keys()]).toHaveLength(2);
    expect(seen.has('111122223333')).toBe(true);
    for (const n of seen.values()) expect(n).toBeGreaterThan(a.events / 5);
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => generate({ outDir: join(tmp, 'bad'), events: 10, accounts: 0 })).toThrow(/accounts must be a positive integer/);
  });
});
