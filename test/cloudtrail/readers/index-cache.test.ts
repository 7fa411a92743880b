import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFilesStore, type FilesStore } from '../../../cloudtrail/stores/files.ts';
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

  it('rebuilds a stale cache: a new file, or a file with a new modification time and the same size', async () => {
    await open();
    writeFileSync(join(data, 'extra.json.gz'), gzipSync(JSON.stringify({ Records: fixtureRecords(4) })));
    const added = await open();
    expect(added.stats).toMatchObject({ cached: false, events: 314 });
    expect(added.stats.cacheNotice).toBeUndefined();
    expect((await open()).stats.cached).toBe(true);
    utimesSync(join(data, 'extra.json.gz'), new Date(), new Date(Date.now() + 60_000));
    expect((await open()).stats.cached).toBe(false);
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

  it('detects damaged columns by their checksum and a truncated file by its length', async () => {
    const cold = await open();
    const bytes = readFileSync(indexFile());
    const headerEnd = 4 + bytes.readUInt32LE(0);
    // The first section after the header: the times.
    damage(headerEnd + 8);
    const notices: string[] = [];
    const rebuilt = await open(notices);
    expect(rebuilt.stats.cached).toBe(false);
    expect(notices[0]).toMatch(/section times fails its checksum/);
    expect(await everything(rebuilt)).toBe(await everything(cold));
    writeFileSync(indexFile(), readFileSync(indexFile()).subarray(0, -100));
    const truncated = await open(notices);
    expect(truncated.stats.cached).toBe(false);
    expect(notices[1]).toMatch(/bytes where the header says/);
  });

  it('a damaged section read on first use fails with the reason, removes the cache, and the next open rebuilds it', async () => {
    const cold = await open();
    // The last section: resources, read only when an event's raw record or resources are asked for.
    damage(-16);
    const warm = await open();
    expect(warm.stats.cached).toBe(true);
    const [first] = (await warm.query({ limit: 1 })).events;
    expect(() => first.resources).toThrow(/index cache .* is damaged \(section resource\w+ fails its checksum\); it was removed/);
    const rebuilt = await open();
    expect(rebuilt.stats.cached).toBe(false);
    expect(await everything(rebuilt)).toBe(await everything(cold));
  });
});
