import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRUPT_GZIP_FILE, NOT_CLOUDTRAIL_FILE, writeDirWithUnusableFiles, writeMostlyUnusableDir } from '../cloudtrail/unusable-dir.ts';
import { fixtureRecords } from '../mcp/fixture.ts';

const CLI = resolve(import.meta.dirname, '../../cli/trailbook.js');

async function trailbook(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 60_000, env: { ...process.env, TRAILBOOK_CACHE_DIR: cacheDir } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const records = fixtureRecords();
let mixed: string;
let mostly: string;
let cacheDir: string;

beforeAll(async () => {
  mixed = await writeDirWithUnusableFiles(records);
  cacheDir = await mkdtemp(join(tmpdir(), 'trailbook-eval-cache-'));
  mostly = join(cacheDir, 'mostly-unusable');
  await writeMostlyUnusableDir(mostly, 40, 60);
});
afterAll(async () => {
  await Promise.all([mixed, cacheDir].map((d) => rm(d, { recursive: true, force: true })));
});

describe('trailbook eval on input it cannot fully use', () => {
  it('lists the skipped files on stderr and reports the counts with the scores', async () => {
    const { code, stdout, stderr } = await trailbook('eval', mixed, '--no-tune');
    expect(code).toBe(0);
    expect(stderr).toMatch(/^trailbook eval: skipped 2 files that could not be used:$/m);
    expect(stderr).toMatch(new RegExp(`^  ${CORRUPT_GZIP_FILE}: corrupt gzip`, 'm'));
    expect(stderr).toMatch(new RegExp(`^  ${NOT_CLOUDTRAIL_FILE}: not CloudTrail`, 'm'));
    expect(stdout).toContain(`input: ${records.length} records loaded; skipped 2 unusable files and 0 unusable records; 1 paths without events ignored`);
    expect(stdout).toMatch(/top-1/);
    const json = await trailbook('eval', mixed, '--no-tune', '--json');
    expect(JSON.parse(json.stdout).input).toEqual({ loadedRecords: records.length, skippedFiles: 2, skippedRecords: 0, ignoredPaths: 1 });
  }, 120_000);

  it('fails with a clear message when most records are unusable', async () => {
    const { code, stdout, stderr } = await trailbook('eval', mostly, '--no-tune');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('export.json.gz: 60 invalid record(s) left out, first: record 40: eventName missing or not a string');
    expect(stderr).toContain(`trailbook eval: most of the input under ${mostly} is unusable (60 of 100 records, 0 of 1 files): not scoring what is left.`);
  }, 60_000);
});
