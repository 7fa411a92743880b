import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * A plain clone has no shared folder beside it (nor has GitHub Actions): tests, benchmarks and the CI
 * scripts read only what the repository holds, such as test/fixtures/. Built from parts so that this
 * file does not match itself.
 */
const SHARED = new RegExp(['\\.\\./', 'shared\\b', '|', 'shared/', 'datasets'].join(''));
const ROOT = join(import.meta.dirname, '../..');
const SCANNED = ['test', 'bench', '.ci', '.github', 'vitest.config.ts', 'package.json'];
const BINARY = /\.(gz|br|png|jpe?g|zip)$/;

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return BINARY.test(path) ? [] : [path];
  return readdirSync(path).flatMap((name) => (name === 'node_modules' ? [] : files(join(path, name))));
}

function offenders(): string[] {
  const out: string[] = [];
  for (const top of SCANNED) {
    for (const file of files(join(ROOT, top))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => SHARED.test(line) && out.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`));
    }
  }
  return out;
}

describe('the test run needs nothing outside the repository', () => {
  it('recognises a reference to the shared folder', () => {
    expect(SHARED.test("resolve(ROOT, '../" + "shared/x')")).toBe(true);
    expect(SHARED.test("'/work/" + "shared/" + "datasets/invictus-aws'")).toBe(true);
    expect(SHARED.test("join(FIXTURES, 'invictus-aws/CloudTrail')")).toBe(false);
  });

  it('no test, benchmark or CI file refers to it', () => {
    expect(offenders()).toEqual([]);
  });
});
