import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeSeed, seedNotebooks } from '../../../workbench/git/seed.ts';
import { notebookText } from './repos.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folders() {
  const root = mkdtempSync(join(tmpdir(), 'trailbook-seed-'));
  dirs.push(root);
  const from = join(root, 'image-notebooks');
  mkdirSync(from);
  for (const name of ['01-start.ipynb', '02-predict.ipynb', '03-errors.ipynb']) writeFileSync(join(from, name), notebookText(`${name}, as shipped`));
  writeFileSync(join(from, 'README.md'), 'not a notebook');
  return { from, to: join(root, 'volume') };
}

describe('seeding a fresh notebook volume', () => {
  it("copies the repository's notebooks into an empty volume", async () => {
    const { from, to } = folders();
    const result = await seedNotebooks(from, to);
    expect(result).toEqual({ copied: ['01-start.ipynb', '02-predict.ipynb', '03-errors.ipynb'], existing: [], removed: [] });
    expect(readFileSync(join(to, '02-predict.ipynb'), 'utf8')).toBe(notebookText('02-predict.ipynb, as shipped'));
    expect(existsSync(join(to, 'README.md'))).toBe(false);
    expect(describeSeed(from, result)).toBe(`seeded 3 notebook(s) from ${from}`);
  });

  it('never overwrites a notebook that is there, and does not bring back one deleted since', async () => {
    const { from, to } = folders();
    mkdirSync(to);
    const edited = notebookText('02, edited on the volume');
    writeFileSync(join(to, '02-predict.ipynb'), edited);
    const first = await seedNotebooks(from, to);
    expect(first).toEqual({ copied: ['01-start.ipynb', '03-errors.ipynb'], existing: ['02-predict.ipynb'], removed: [] });
    expect(readFileSync(join(to, '02-predict.ipynb'), 'utf8')).toBe(edited);

    rmSync(join(to, '03-errors.ipynb'));
    writeFileSync(join(from, '04-new-in-image.ipynb'), notebookText('04'));
    const second = await seedNotebooks(from, to);
    expect(second).toEqual({ copied: ['04-new-in-image.ipynb'], existing: [], removed: ['03-errors.ipynb'] });
    expect(existsSync(join(to, '03-errors.ipynb'))).toBe(false);
    expect(describeSeed(from, second)).toMatch(/seeded 1 notebook\(s\).*1 removed since the first seeding, not brought back/);
    expect(describeSeed(from, first)).toMatch(/1 already there, kept as they are \(02-predict\.ipynb\)/);
  });
});
