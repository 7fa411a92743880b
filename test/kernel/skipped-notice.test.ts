import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelHandle } from '../../kernel/protocol.ts';
import { CORRUPT_GZIP_FILE, writeDirWithUnusableFiles } from '../cloudtrail/unusable-dir.ts';
import { errorOf, resultOf, startKernel, textOf } from './helpers.ts';

// The kernel's store skipped unusable files: the user is told once, in the cell that opened the store.

let dir: string;
let kernel: KernelHandle;
let close: () => Promise<void>;

beforeAll(async () => {
  dir = await writeDirWithUnusableFiles();
  ({ kernel, close } = await startKernel({}, { env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dir, TRAILBOOK_CACHE_DIR: `${dir}/.cache` } }));
});
afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

describe('skipped-input notice in the workbench', () => {
  it('writes one stderr line into the cell that first loads the store, and cloudtrail.status() lists the files', async () => {
    const first = await kernel.execute({ code: 'const s = await cloudtrail.status(); s.skipped' });
    expect(errorOf(first.outputs)).toBeUndefined();
    const notice = textOf(first.outputs, 'stderr');
    expect(notice).toMatch(new RegExp(`^cloudtrail: skipped 2 files that could not be used \\(first: ${CORRUPT_GZIP_FILE}: corrupt gzip \\(.+\\)\\) — cloudtrail\\.status\\(\\) lists them\\n$`));
    const skipped = resultOf(first.outputs)?.['application/json'] as { files: number; examples: { file: string }[] };
    expect(skipped.files).toBe(2);
    expect(skipped.examples.map((e) => e.file)).toEqual([CORRUPT_GZIP_FILE, 'notes.json']);

    const again = await kernel.execute({ code: 'await predict.train()' });
    expect(errorOf(again.outputs)).toBeUndefined();
    expect(textOf(again.outputs, 'stderr')).toBe('');
  }, 60_000);
});
