import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNotebook } from '../../kernel/runner.ts';
import { parseNotebook, serialiseNotebook, type Notebook } from '../../notebook/format.ts';
import { PROJECT_ROOT } from './helpers.ts';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trailbook-run-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const code = (id: string, source: string) => ({ id, cell_type: 'code' as const, source, metadata: {}, execution_count: null, outputs: [] });
const markdown = (id: string, source: string) => ({ id, cell_type: 'markdown' as const, source, metadata: {} });
const notebook = (cells: Notebook['cells']): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });

async function write(name: string, nb: Notebook) {
  const path = join(dir, name);
  await writeFile(path, serialiseNotebook(nb));
  return path;
}

describe('runNotebook', () => {
  it('executes every code cell in order and stores outputs and execution counts', async () => {
    const path = await write('ok.ipynb', notebook([
      markdown('intro', '# Title'),
      code('c1', 'const n = 20;\nconsole.log("start");\nconsole.log("again")'),
      code('c2', 'n + 22'),
      code('c3', 'display(md`**done**`)'),
    ]));
    const out = join(dir, 'ok.out.ipynb');
    const result = await runNotebook(path, { out });
    expect(result.ok).toBe(true);
    expect(result.executed).toBe(3);
    const nb = parseNotebook(await readFile(out, 'utf8'));
    const [, c1, c2, c3] = nb.cells;
    expect(c1).toMatchObject({ execution_count: 1, outputs: [{ output_type: 'stream', name: 'stdout', text: ['start\n', 'again\n'] }] });
    expect(c2).toMatchObject({ execution_count: 2, outputs: [{ output_type: 'execute_result', execution_count: 2, data: { 'text/plain': ['42'] } }] });
    expect(c3).toMatchObject({ execution_count: 3, outputs: [{ output_type: 'display_data', data: { 'text/markdown': ['**done**'] } }] });
    expect(nb.nbformat_minor).toBe(5);
    // The input is untouched when --out is given.
    expect(parseNotebook(await readFile(path, 'utf8')).cells[1]).toMatchObject({ outputs: [] });
  });

  it('runs through empty and comment-only cells (they are no-ops, not failures)', async () => {
    const path = await write('empty.ipynb', notebook([
      code('a', 'const total = 40;'),
      code('empty', ''),
      code('blank', '  \n\n'),
      code('note', '// TODO: query more regions'),
      code('b', 'total + 2'),
    ]));
    const result = await runNotebook(path);
    expect(result).toMatchObject({ ok: true, executed: 5 });
    const nb = parseNotebook(await readFile(path, 'utf8'));
    expect(nb.cells.slice(1, 4).map((c) => c.cell_type === 'code' && c.outputs)).toEqual([[], [], []]);
    expect(nb.cells[4]).toMatchObject({ execution_count: 5, outputs: [{ output_type: 'execute_result', data: { 'text/plain': ['42'] } }] });
  });

  it('stops at a failing cell, names it, and still writes outputs up to it', async () => {
    const path = await write('fail.ipynb', notebook([
      code('first', 'console.log("ran")'),
      code('boom-cell', 'throw new Error("kaput")'),
      code('never', 'console.log("should not run")'),
    ]));
    const result = await runNotebook(path);
    expect(result.ok).toBe(false);
    expect(result.failed).toMatchObject({ index: 1, id: 'boom-cell', ename: 'Error', evalue: 'kaput' });
    const nb = parseNotebook(await readFile(path, 'utf8'));
    expect(nb.cells[0]).toMatchObject({ execution_count: 1, outputs: [{ output_type: 'stream' }] });
    expect(nb.cells[1]).toMatchObject({ execution_count: 2, outputs: [{ output_type: 'error', ename: 'Error', evalue: 'kaput' }] });
    expect(nb.cells[2]).toMatchObject({ execution_count: null, outputs: [] });
  });

  it('interrupts a cell over the timeout and reports it as failed', async () => {
    const path = await write('slow.ipynb', notebook([code('spin', 'while (true) {}')]));
    const result = await runNotebook(path, { cellTimeoutMs: 300 });
    expect(result.failed).toMatchObject({ id: 'spin', ename: 'CellTimeout' });
  });
});

describe('trailbook run (CLI)', () => {
  const cli = (...args: string[]) =>
    run(process.execPath, [join(PROJECT_ROOT, 'cli/trailbook.js'), 'run', ...args], { cwd: PROJECT_ROOT }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('exits 0 on success and writes --out', async () => {
    const path = await write('cli-ok.ipynb', notebook([code('a', '1 + 1')]));
    const out = join(dir, 'cli-ok.out.ipynb');
    const r = await cli(path, '--out', out);
    expect(r.code).toBe(0);
    expect(parseNotebook(await readFile(out, 'utf8')).cells[0]).toMatchObject({ execution_count: 1 });
  });

  it('exits non-zero naming the failing cell', async () => {
    const path = await write('cli-fail.ipynb', notebook([code('fine', '1'), code('bad-one', 'const x: number = 1;\nnull!.boom')]));
    const r = await cli(path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cell 1 (id bad-one) failed: TypeError');
    expect(r.stderr).toContain('<cell 2>:2:7');
  });

  it('reports a malformed notebook and bad arguments clearly', async () => {
    const bad = join(dir, 'bad.ipynb');
    await writeFile(bad, '{ not json');
    const r = await cli(bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not valid JSON');
    const usage = await cli();
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('missing NOTEBOOK.ipynb');
  });
});
