import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorySignatureSync, listingSignature, startSignature } from '../../../cloudtrail/readers/signature.ts';
import { findListing } from '../../../cloudtrail/readers/walk.ts';

// Enough files for the worker to be used (4,000 or more), spread over directories like a trail's days.
let root: string;
let files: string[];
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'trailbook-signature-'));
  files = [];
  for (let d = 0; d < 45; d++) {
    const dir = join(root, String(d).padStart(2, '0'));
    mkdirSync(dir);
    for (let f = 0; f < 100; f++) {
      const path = join(dir, `f${String(f).padStart(3, '0')}.json`);
      writeFileSync(path, '{"Records":[]}');
      files.push(path);
    }
  }
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('file list signature', () => {
  it('is the same whether the worker, this thread or both stat the files', async () => {
    const alone = directorySignatureSync(files);
    expect(await startSignature(files, { threads: true }).finish()).toBe(alone);
    expect(await startSignature(files, { threads: false }).finish()).toBe(alone);
    expect(await startSignature(files).finish()).toBe(alone);
    // This thread busy first: the worker has stat-ed part (or all) of the list by the time it helps.
    const pending = startSignature(files, { threads: true });
    const until = Date.now() + 150;
    while (Date.now() < until);
    expect(await pending.finish()).toBe(alone);
  });

  it('changes when one file of thousands gets a new modification time, or is gone, without throwing', async () => {
    const before = await startSignature(files, { threads: true }).finish();
    const one = files[files.length - 7];
    utimesSync(one, new Date(), new Date(Date.now() + 60_000));
    const touched = await startSignature(files, { threads: true }).finish();
    expect(touched).not.toBe(before);
    expect(directorySignatureSync(files)).toBe(touched);
    rmSync(one);
    const gone = await startSignature(files, { threads: true }).finish();
    expect(gone).not.toBe(touched);
    writeFileSync(one, '{"Records":[]}');
  });

  it('changes with the list itself, at the same sizes and times', async () => {
    const before = directorySignatureSync(files);
    expect(await startSignature(files.slice(1), { threads: true }).finish()).not.toBe(before);
  });
});

describe("signature of find's raw listing", () => {
  const listing = async (dir = root) => {
    const found = await findListing(dir);
    if (!found) throw new Error('find did not run');
    return listingSignature(dir, found);
  };

  it('is the same for an unchanged directory, and changes with any file’s time, size or name, or an added or removed file', async () => {
    const before = await listing();
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(await listing()).toBe(before);
    const one = files[123];
    // An edit in place: same size, a new modification time.
    utimesSync(one, new Date(), new Date(Date.now() + 120_000));
    const touched = await listing();
    expect(touched).not.toBe(before);
    writeFileSync(one, '{"Records":[ ]}');
    const grown = await listing();
    expect(grown).not.toBe(touched);
    const extra = join(root, '07', 'f999.json');
    writeFileSync(extra, '{"Records":[]}');
    const added = await listing();
    expect(added).not.toBe(grown);
    rmSync(extra);
    expect(await listing()).not.toBe(added);
  });

  it('depends on the directory as written (the file paths are made from it)', async () => {
    expect(await listing(`${root}/`)).not.toBe(await listing(root));
  });

  it('is not given when the directory holds a link, whose target may change while the link does not', async () => {
    const link = join(root, 'link.json');
    symlinkSync(files[0], link);
    try {
      expect(await listing()).toBeUndefined();
    } finally {
      unlinkSync(link);
    }
    expect(await listing()).toMatch(/^[0-9a-f]{64}$/);
  });
});
