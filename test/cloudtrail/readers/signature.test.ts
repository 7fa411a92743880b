import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorySignatureSync, startSignature } from '../../../cloudtrail/readers/signature.ts';

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
