import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trailbook } from './trailbook.ts';

/** What tslab-era Jupyter writes: nbformat 4.4, no cell ids, tslab's kernelspec. */
const NB44 = JSON.stringify(
  {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: ['# From elsewhere'] },
      { cell_type: 'code', execution_count: 3, metadata: {}, outputs: [], source: ['const n: number = 40;\n', 'n + 2'] },
      { cell_type: 'code', execution_count: 4, metadata: {}, outputs: [], source: ['console.log(`n is ${n}`)'] },
    ],
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 4,
  },
  null,
  1,
);

describe('trailbook run on an nbformat 4.4 notebook', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trailbook-run-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('runs it, writes nbformat 4.5 with cell ids and Trailbook\'s kernelspec, and says so on stderr', async () => {
    const path = join(dir, 'old.ipynb');
    await writeFile(path, NB44);
    const first = await trailbook(['run', path, '--no-sample-data', '-q'], { timeoutMs: 90_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('trailbook run: notice: ');
    expect(first.stderr).toContain('upgraded from nbformat 4.4 to 4.5 (3 cell ids added)');
    expect(first.stderr).toContain('kernel "tslab" (TypeScript) replaced by "trailbook-typescript"');

    const text = await readFile(path, 'utf8');
    const saved = JSON.parse(text);
    expect(saved.nbformat).toBe(4);
    expect(saved.nbformat_minor).toBe(5);
    expect(saved.metadata.kernelspec.name).toBe('trailbook-typescript');
    expect(saved.metadata.language_info.name).toBe('typescript');
    const ids = saved.cells.map((c: { id: string }) => c.id);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    expect(new Set(ids).size).toBe(3);
    expect(saved.cells[1]).toMatchObject({ execution_count: 1, outputs: [{ output_type: 'execute_result', data: { 'text/plain': ['42'] } }] });
    expect(saved.cells[2].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: ['n is 40\n'] }]);

    // Now a current Trailbook notebook: nothing to say, and running it again gives the same bytes.
    const second = await trailbook(['run', path, '--no-sample-data', '-q'], { timeoutMs: 90_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    expect(await readFile(path, 'utf8')).toBe(text);
  }, 120_000);
});
