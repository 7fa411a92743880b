import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFilesStore, type FilesStore } from '../../../cloudtrail/stores/files.ts';
import { loadIndex, saveIndex, type SavedIndex } from '../../../cloudtrail/readers/index-cache.ts';
import { CompactBuilder } from '../../../cloudtrail/readers/compact.ts';
import { mergeParts } from '../../../cloudtrail/readers/columns.ts';
import { listCloudTrailFilesSync } from '../../../cloudtrail/readers/walk.ts';
import { STRATUS } from '../../fixtures/cloudtrail/index.ts';
import { fixtureRecords } from '../../mcp/fixture.ts';

let tmp: string;
let data: string;
let cacheDir: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'trailbook-index-cache-'));
  data = join(tmp, 'data');
  cacheDir = join(tmp, 'cache');
  cpSync(STRATUS, data, { recursive: true });
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const indexFile = () => join(cacheDir, 'files-index', readdirSync(join(cacheDir, 'files-index')).find((f) => f.endsWith('.bin'))!);
const everything = async (s: FilesStore) => JSON.stringify((await s.query({ limit: 100_000 })).events);

async function open(notices: string[] = []): Promise<FilesStore> {
  const store = await openFilesStore(data, { cacheDir, workers: 0, onNotice: (m) => notices.push(m) });
  await store.indexSaved;
  return store;
}

/** Overwrites `count` bytes at `at` (negative: from the end) with their complement. */
function damage(at: number, count = 8): void {
  const path = indexFile();
  const bytes = readFileSync(path);
  const from = at < 0 ? bytes.length + at : at;
  for (let i = from; i < from + count; i++) bytes[i] = ~bytes[i] & 0xff;
  writeFileSync(path, bytes);
}

describe('files index cache', () => {
  it('reopens unchanged files from the cache with the same events, ids, raw records and resources', async () => {
    const cold = await open();
    const warm = await open();
    expect([cold.stats.cached, warm.stats.cached]).toEqual([false, true]);
    expect(warm.stats.events).toBe(310);
    expect(await everything(warm)).toBe(await everything(cold));
    // Cursors need ids, which a reopen reads only when first asked.
    const page = await warm.query({ limit: 7 });
    const next = await warm.query({ limit: 7, cursor: page.nextCursor });
    expect(next.events[0].id).toBe((await cold.query({ limit: 8 })).events[7].id);
  });

  // Change detection (docs/sql.md): every file is stat-ed on every open, so each of these is seen, said, and the
  // events come from the files as they are now.
  describe('a changed directory is parsed again, with a notice, never answered from the cache', () => {
    const extra = () => join(data, 'extra.json');
    const names = async (s: FilesStore) => (await s.query({ limit: 100_000 })).events.map((e) => e.name);
    const stale = /index cache .* is out of date \(the files changed since it was written \((\d+) files now, (\d+) then\)\); parsing the files again/;

    it('a file added', async () => {
      await open();
      writeFileSync(join(data, 'extra.json.gz'), gzipSync(JSON.stringify({ Records: fixtureRecords(4) })));
      const notices: string[] = [];
      const added = await open(notices);
      expect(added.stats).toMatchObject({ cached: false, events: 314, files: 36 });
      expect(notices).toEqual([added.stats.cacheNotice]);
      expect(added.stats.cacheNotice).toMatch(stale);
      expect(added.stats.cacheNotice).toContain('(36 files now, 35 then)');
      const again = await open();
      expect(again.stats.cached).toBe(true);
      expect(again.stats.cacheNotice).toBeUndefined();
    });

    it('a file removed, and a file renamed', async () => {
      const cold = await open();
      const gone = readdirSync(data).find((f) => f.endsWith('.json.gz'))!;
      rmSync(join(data, gone));
      const removed = await open();
      expect(removed.stats).toMatchObject({ cached: false, files: 34 });
      expect(removed.stats.cacheNotice).toMatch(stale);
      expect(removed.stats.events).toBeLessThan(cold.stats.events);
      const kept = readdirSync(data).find((f) => f.endsWith('.json.gz'))!;
      renameSync(join(data, kept), join(data, `renamed-${kept}`));
      const renamed = await open();
      expect(renamed.stats).toMatchObject({ cached: false, files: 34, events: removed.stats.events });
      expect(renamed.stats.cacheNotice).toMatch(stale);
      // The raw records are read back from the new name.
      expect((await renamed.query({ limit: 100_000 })).events.every((e) => e.raw.eventID === e.id)).toBe(true);
    });

    it('a file edited in place with the same size', async () => {
      writeFileSync(extra(), JSON.stringify({ Records: fixtureRecords(4) }));
      const before = await open();
      const name = (await names(before)).find((n) => fixtureRecords(4).some((r) => r.eventName === n))!;
      const text = readFileSync(extra(), 'utf8');
      const edited = text.replace(`"eventName":"${name}"`, `"eventName":"X${name.slice(1)}"`);
      expect(edited).not.toBe(text);
      expect(edited.length).toBe(text.length);
      // In place: same file, same name, same size; only its content and modification time differ.
      const fd = openSync(extra(), 'r+');
      writeSync(fd, edited, 0, 'utf8');
      closeSync(fd);
      expect(statSync(extra()).size).toBe(Buffer.byteLength(text));
      const after = await open();
      expect(after.stats).toMatchObject({ cached: false, events: before.stats.events });
      expect(after.stats.cacheNotice).toMatch(stale);
      expect(await names(after)).toContain(`X${name.slice(1)}`);
      expect((await open()).stats.cached).toBe(true);
    });

    it('a modification time changed alone (same content, same size)', async () => {
      writeFileSync(extra(), JSON.stringify({ Records: fixtureRecords(4) }));
      await open();
      utimesSync(extra(), new Date(), new Date(Date.now() + 60_000));
      expect((await open()).stats.cached).toBe(false);
      expect((await open()).stats.cached).toBe(true);
    });
  });

  it.each([
    ['Latin-1 and beyond', 'aws-cli/2 (café ☕', 'Zugriff verweigert für Bücher'],
    // Only characters beyond Latin-1: their low bytes alone would look ASCII.
    ['only beyond Latin-1', 'aws-cli/2 (\u2615', '\u0141\u0105czenie'],
  ])('keeps strings that are not ASCII intact through the cache (%s)', async (_, agent, message) => {
    const records = fixtureRecords(3).map((r, i) => ({ ...r, userAgent: `${agent} ${i})`, errorMessage: message }));
    writeFileSync(join(data, 'extra.json'), JSON.stringify({ Records: records }));
    const cold = await open();
    const warm = await open();
    expect(warm.stats.cached).toBe(true);
    expect(await everything(warm)).toBe(await everything(cold));
    expect((await warm.query({ limit: 100_000 })).events.filter((e) => e.userAgent.startsWith(agent)).map((e) => e.errorMessage)).toEqual(records.map(() => message));
  });

  it('rebuilds an index written in an earlier format, with a notice', async () => {
    const cold = await open();
    const bytes = readFileSync(indexFile());
    const header = bytes.subarray(4, 4 + bytes.readUInt32LE(0));
    const at = header.indexOf('trailbook-files-index-');
    expect(at).toBeGreaterThan(0);
    header.write('0', at + 'trailbook-files-index-'.length);
    writeFileSync(indexFile(), bytes);
    const notices: string[] = [];
    const rebuilt = await open(notices);
    expect(rebuilt.stats.cached).toBe(false);
    expect(notices).toEqual([expect.stringMatching(/index cache .* is out of date \(written in format trailbook-files-index-0\d*\); parsing the files again/)]);
    expect(await everything(rebuilt)).toBe(await everything(cold));
    expect((await open()).stats.cached).toBe(true);
  });

  it('detects a damaged header, parses the files again with a notice, and rewrites the cache', async () => {
    const cold = await open();
    damage(4, 16);
    const notices: string[] = [];
    const rebuilt = await open(notices);
    expect(rebuilt.stats.cached).toBe(false);
    expect(rebuilt.stats.cacheNotice).toMatch(/index cache .* was damaged \(unreadable header/);
    expect(notices).toEqual([rebuilt.stats.cacheNotice]);
    expect(await everything(rebuilt)).toBe(await everything(cold));
    const again = await open();
    expect(again.stats).toMatchObject({ cached: true });
    expect(again.stats.cacheNotice).toBeUndefined();
  });

  it('detects a damaged string table by its checksum and a truncated file by its length', async () => {
    const cold = await open();
    const bytes = readFileSync(indexFile());
    const headerEnd = 4 + bytes.readUInt32LE(0);
    // The first section after the header: the string table.
    damage(headerEnd + 8);
    const notices: string[] = [];
    const rebuilt = await open(notices);
    expect(rebuilt.stats.cached).toBe(false);
    expect(notices[0]).toMatch(/section stringBytes fails its checksum/);
    expect(await everything(rebuilt)).toBe(await everything(cold));
    writeFileSync(indexFile(), readFileSync(indexFile()).subarray(0, -100));
    const truncated = await open(notices);
    expect(truncated.stats.cached).toBe(false);
    expect(notices[1]).toMatch(/bytes where the header says/);
  });

  // A section is read and checked when first used: a damaged one is made again from the files, so the query that
  // found it answers as an undamaged cache would, and the cache is rewritten for the next open.
  const headerOf = () => {
    const bytes = readFileSync(indexFile());
    return JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString()) as { sections: Record<string, { offset: number }> };
  };

  it('a damaged column read on first use (the times) is made again from the files: the query answers, it is said and counted, and the cache is rewritten', async () => {
    const cold = await open();
    damage(headerOf().sections.times.offset + 8);
    const notices: string[] = [];
    const warm = await open(notices);
    expect(warm.stats.cached).toBe(true);
    expect(notices).toEqual([]);
    expect(await everything(warm)).toBe(await everything(cold));
    expect(warm.stats.cacheRepairs).toBe(1);
    expect(notices).toEqual([expect.stringMatching(/index cache .* is damaged \(section times fails its checksum\); the files were parsed again for it and the cache is being rewritten/)]);
    expect(warm.stats.cacheNotice).toBe(notices[0]);
    await warm.indexSaved;
    const again = await open();
    expect(again.stats).toMatchObject({ cached: true });
    expect(again.stats.cacheRepairs).toBeUndefined();
    expect(await everything(again)).toBe(await everything(cold));
  });

  it('damaged string-id columns and resources read on first use are made again in the cached string numbering', async () => {
    const cold = await open();
    const { sections } = headerOf();
    damage(sections['col:principal'].offset);
    damage(-16);
    const notices: string[] = [];
    const warm = await open(notices);
    expect(warm.stats.cached).toBe(true);
    const [first] = (await warm.query({ limit: 1 })).events;
    expect(first.resources).toEqual((await cold.query({ limit: 1 })).events[0].resources);
    expect(await everything(warm)).toBe(await everything(cold));
    expect(notices).toHaveLength(2);
    expect(notices).toEqual(expect.arrayContaining([expect.stringMatching(/section col:\w+ fails its checksum/), expect.stringMatching(/section resource\w+ fails its checksum/)]));
    expect(warm.stats.cacheRepairs).toBe(2);
    await warm.indexSaved;
    expect((await open()).stats.cached).toBe(true);
  });

  it('a damaged section of files changed since the open is not made from their new content: the query fails with the reason, and the next open rebuilds', async () => {
    const extra = join(data, 'extra.json');
    writeFileSync(extra, JSON.stringify({ Records: fixtureRecords(4) }));
    await open();
    damage(headerOf().sections.times.offset + 8);
    const warm = await open();
    expect(warm.stats.cached).toBe(true);
    // Edited after the open: a parse now gives other times, which the section's recorded checksum refuses.
    const records = fixtureRecords(4).map((r) => ({ ...r, eventTime: '2001-01-01T00:00:00Z' }));
    writeFileSync(extra, JSON.stringify({ Records: records }));
    await expect(warm.query({ limit: 5 })).rejects.toThrow(/index cache .* is damaged \(section times fails its checksum\); parsing the files again did not give the same section \(section times differs\); it was removed/);
    const rebuilt = await open();
    expect(rebuilt.stats.cached).toBe(false);
    expect((await rebuilt.query({ limit: 100_000 })).events.filter((e) => e.time === Date.parse('2001-01-01T00:00:00Z'))).toHaveLength(4);
  });

  it('a cache whose strings were numbered in another order (parser threads meet them in any order) is repaired in its own numbering', async () => {
    const { files } = listCloudTrailFilesSync(data);
    const parse = (): SavedIndex => {
      const b = new CompactBuilder();
      files.forEach((f, i) => b.addFile(i, f));
      const part = b.finish();
      return { columns: mergeParts([part]), outcomes: part.outcomes };
    };
    // The same columns with every string but '' numbered backwards.
    const { columns, outcomes } = parse();
    const n = columns.strings.length;
    const renumber = (id: number) => (id === 0 ? 0 : n - id);
    const strings = columns.strings.map((_, id) => columns.strings[renumber(id)]);
    const cols = columns.cols.map((c) => c.map(renumber));
    const path = join(tmp, 'renumbered.bin');
    await saveIndex(path, 'sig', files.length, { columns: { ...columns, strings, cols }, outcomes });
    const bytes = readFileSync(path);
    const header = JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString()) as { sections: Record<string, { offset: number }> };
    bytes[header.sections['col:name'].offset] ^= 0xff;
    writeFileSync(path, bytes);
    const notices: string[] = [];
    const found = await loadIndex(path, async () => 'sig', files.length, { parse, repaired: (m) => notices.push(m) });
    if (!('index' in found)) throw new Error(JSON.stringify(found));
    const got = found.index.columns;
    expect(got.strings).toEqual(strings);
    expect(got.cols.map((c) => [...c])).toEqual(cols.map((c) => [...c]));
    expect(notices).toEqual([expect.stringMatching(/section col:name fails its checksum/)]);
  });
});
