import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelBundle } from '../../kernel/bundle.ts';

let cache: string;
beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'trailbook-cache-'));
});
afterAll(() => rm(cache, { recursive: true, force: true }));

describe('kernel bundle cache', () => {
  it('builds once, reuses the cached build, and rebuilds when a bundled source changes', async () => {
    const first = await kernelBundle(cache);
    expect(first).toMatch(/kernel-[^/]+\/main\.mjs$/);
    const manifest = JSON.parse(await readFile(join(cache, 'kernel.json'), 'utf8'));
    expect(Object.keys(manifest.inputs)).toEqual(expect.arrayContaining(['kernel/child/main.ts', 'kernel/prelude/index.ts']));
    // Heavy prelude parts are imported dynamically, on first use, never statically at startup:
    // follow main.mjs's static imports (its startup graph) and look for them.
    const startup = new Set<string>();
    const visit = async (file: string) => {
      if (startup.has(file)) return;
      startup.add(file);
      const code = await readFile(file, 'utf8');
      for (const m of code.matchAll(/^import\s[^;]*?from\s*"(\.\/[^"]+)";?$/gm)) await visit(join(dirname(file), m[1]!));
    };
    await visit(first);
    const startupCode = (await Promise.all([...startup].map((f) => readFile(f, 'utf8')))).join('\n');
    expect(startupCode).toContain('import("@observablehq/plot")');
    expect(startupCode).not.toMatch(/^import\s[^;]*?from\s*"(@observablehq\/plot|linkedom|@modelcontextprotocol\/sdk[^"]*|@aws-sdk\/[^"]*)";?$/m);

    expect(await kernelBundle(cache)).toBe(first);

    // Simulate an edit: the recorded fingerprint of one source no longer matches.
    manifest.inputs['kernel/child/main.ts'] = '0:0';
    await writeFile(join(cache, 'kernel.json'), JSON.stringify(manifest));
    const rebuilt = await kernelBundle(cache);
    expect(rebuilt).not.toBe(first);
    expect(await kernelBundle(cache)).toBe(rebuilt);
  });
});

describe('kernel bundle build failures', () => {
  it('keeps using the last good build when a source is caught mid-edit, and says why when there is none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trailbook-entry-'));
    const entry = join(dir, 'entry.ts');
    const cacheA = join(dir, 'cache-a');
    try {
      await writeFile(entry, 'export const ok: number = 1;\n');
      const good = await kernelBundle(cacheA, entry);
      await writeFile(entry, 'export const broken: number = ;\n');
      expect(await kernelBundle(cacheA, entry)).toBe(good);
      await expect(kernelBundle(join(dir, 'cache-b'), entry)).rejects.toThrow(/cannot build the kernel/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
