import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mostlyUnusable, skippedNotice, type SkippedInput } from '../../cloudtrail/skipped.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { fixtureRecords } from '../mcp/fixture.ts';
import { CORRUPT_GZIP_FILE, NOT_CLOUDTRAIL_FILE, writeDirWithUnusableFiles, writeMostlyUnusableDir } from './unusable-dir.ts';

const records = fixtureRecords();
let dir: string;
let mostly: string;
let cacheDir: string;

beforeAll(async () => {
  dir = await writeDirWithUnusableFiles(records);
  mostly = join(dir, '..', `${dir.split('/').pop()}-mostly`);
  await writeMostlyUnusableDir(mostly, 10, 30);
  cacheDir = await mkdtemp(join(tmpdir(), 'trailbook-skipped-cache-'));
});
afterAll(async () => {
  await Promise.all([dir, mostly, cacheDir].map((d) => rm(d, { recursive: true, force: true })));
});

describe('files store: skipped input', () => {
  it.each([
    ['on this thread', { workers: 0, cacheDir: false as const }],
    ['in a worker thread', { workers: 1, cacheDir: false as const }],
  ])('counts the unusable files with their reasons, %s', async (_, opts) => {
    const store = await openFilesStore(dir, opts);
    const { skipped, count } = await store.status();
    expect(count).toBe(records.length);
    expect(skipped).toMatchObject({ files: 2, records: 0, loadedRecords: records.length, ignored: 1 });
    expect(skipped!.examples).toEqual([
      { file: CORRUPT_GZIP_FILE, reason: expect.stringMatching(/^corrupt gzip \(/) },
      { file: NOT_CLOUDTRAIL_FILE, reason: expect.stringMatching(/^not CloudTrail: expected \{"Records":\[\.\.\.\]\}/) },
    ]);
    expect(skipped!.ignoredExamples).toEqual([{ file: 'README.md', reason: 'not a .json, .jsonl or .ndjson file (optionally .gz)' }]);
    expect(mostlyUnusable(skipped!)).toBe(false);
  });

  it('reports the same when the index comes from the on-disk cache', async () => {
    const cold = await openFilesStore(dir, { workers: 0, cacheDir });
    await cold.indexSaved;
    const warm = await openFilesStore(dir, { workers: 0, cacheDir });
    expect(warm.stats.cached).toBe(true);
    expect(warm.skipped).toEqual(cold.skipped);
  });

  it('counts unusable records inside readable files, and says when they are most of the input', async () => {
    const store = await openFilesStore(mostly, { workers: 0, cacheDir: false });
    expect(store.skipped).toMatchObject({ files: 0, records: 30, loadedRecords: 10, examples: [{ file: 'export.json.gz', records: 30, reason: '30 unusable record(s), first: record 10: eventName missing or not a string' }] });
    expect(mostlyUnusable(store.skipped)).toBe(true);
  });
});

describe('skipped-input summaries', () => {
  const base: SkippedInput = { files: 0, records: 0, loadedRecords: 100, candidateFiles: 10, examples: [], ignored: 0, ignoredExamples: [] };

  it('name the counts and the first file in one line', () => {
    const s = { ...base, files: 3, records: 12, examples: [{ file: 'a.json', reason: 'not CloudTrail: expected {"Records":[...]}, ...' }] };
    expect(skippedNotice(s, 'cloudtrail.status()')).toBe('skipped 3 files and 12 records that could not be used (first: a.json: not CloudTrail) — cloudtrail.status() lists them');
    expect(skippedNotice({ ...base, records: 1, examples: [{ file: 'b.json', reason: 'invalid JSON (Unexpected end); not CloudTrail: ...' }] }, 'x')).toBe(
      'skipped 1 record that could not be used (first: b.json: invalid JSON (Unexpected end)) — x lists them',
    );
  });

  it('call the input mostly unusable past half of the records or half of the files', () => {
    expect(mostlyUnusable({ ...base, records: 100 })).toBe(false);
    expect(mostlyUnusable({ ...base, records: 101 })).toBe(true);
    expect(mostlyUnusable({ ...base, files: 5 })).toBe(false);
    expect(mostlyUnusable({ ...base, files: 6 })).toBe(true);
  });
});
