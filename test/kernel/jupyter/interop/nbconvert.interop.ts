import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeStreams } from '../../../../kernel/runner.ts';
import { joinSource, loadNotebook, TYPESCRIPT_METADATA, type Output } from '../../../../notebook/format.ts';
import { PROJECT_ROOT } from '../client.ts';
import { jupyterEnv, python, withoutPendingNote, type JupyterEnv } from './python.ts';

/**
 * The same notebook executed by Jupyter's own tools through the installed kernelspec (nbconvert,
 * and nbclient directly) and by `trailbook run`: the outputs must be the same.
 */

let j: JupyterEnv;
let dir: string;
beforeAll(async () => {
  j = await jupyterEnv();
  dir = mkdtempSync(join(tmpdir(), 'trailbook-interop-'));
});
afterAll(() => {
  for (const d of [dir, j?.prefix]) if (d) rmSync(d, { recursive: true, force: true });
});

const cell = (source: string) => ({ cell_type: 'code', id: `c${Math.random().toString(36).slice(2, 10)}`, metadata: {}, execution_count: null, outputs: [], source });
/** Every kind of output, and an error at the end (run with errors allowed). */
const FIXTURE = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { ...TYPESCRIPT_METADATA },
  cells: [
    { cell_type: 'markdown', id: 'intro', metadata: {}, source: '# Interop fixture' },
    cell('console.log("hello");\nconsole.error("careful");\nconsole.log("again")'),
    cell('const rows = [{ region: "eu-west-1", calls: 3 }, { region: "us-east-1", calls: 5 }];\nrows'),
    cell('display(md`## Summary`);\ndisplay(html`<i>two regions</i>`);\nrows.reduce((n, r) => n + r.calls, 0)'),
    cell('({ nested: { list: [1, 2, 3] }, when: "2024-05-01" })'),
    cell('Plot.plot({ marks: [Plot.barY(rows, { x: "region", y: "calls" })] })'),
    cell('const f = (x: number) => {\n  if (x > 1) throw new RangeError(`too big: ${x}`);\n};\nf(2)'),
  ],
};

const trailbookCli = (args: string[]) => promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'cli/trailbook.js'), ...args], { env: j.env, timeout: 170_000 }).catch((err: { code: number; stderr: string }) => err);

/** What should match: each code cell's count and outputs, streams merged as Jupyter stores them, text joined. */
function comparable(path: string) {
  const nb = JSON.parse(readFileSync(path, 'utf8')) as { cells: { cell_type: string; execution_count?: number | null; outputs?: Output[] }[] };
  return nb.cells
    .filter((c) => c.cell_type === 'code')
    .map((c) => ({
      execution_count: c.execution_count,
      outputs: mergeStreams(withoutPendingNote(c.outputs ?? [], (o) => (o.output_type === 'stream' ? joinSource(o.text) : undefined))).map((o) => {
        if (o.output_type === 'stream') return { ...o, text: joinSource(o.text) };
        if (o.output_type === 'error') return o;
        const data = Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join('') : v]));
        return { ...o, data, metadata: o.metadata ?? {} };
      }),
    }));
}

describe('Jupyter clients run Trailbook notebooks through the installed kernelspec', () => {
  it('Jupyter finds the kernelspec installed by trailbook kernel install --prefix', async () => {
    const script = 'from jupyter_client.kernelspec import KernelSpecManager as M; import json; s = M().get_kernel_spec("trailbook-typescript"); print(json.dumps([s.display_name, s.language, s.interrupt_mode]))';
    const { stdout } = await python(j, ['-c', script]);
    expect(JSON.parse(stdout)).toEqual(['TypeScript (Trailbook)', 'typescript', 'message']);
  });

  it('jupyter nbconvert --execute gives the same outputs as trailbook run, and the result opens in Trailbook unchanged', async () => {
    const source = join(dir, 'fixture.ipynb');
    writeFileSync(source, JSON.stringify(FIXTURE, null, 1));
    const viaTrailbook = join(dir, 'fixture-trailbook.ipynb');
    const viaNbconvert = join(dir, 'fixture-nbconvert.ipynb');
    const run = await trailbookCli(['run', source, '--out', viaTrailbook, '--allow-errors', '-q']);
    expect('code' in run ? run.code : 0).toBe(1); // the last cell fails on purpose
    await python(j, ['-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--allow-errors', source, '--output', viaNbconvert], { cwd: dir });

    const expected = comparable(viaTrailbook);
    expect(expected.map((c) => c.outputs.map((o) => o.output_type))).toEqual([['stream', 'stream', 'stream'], ['execute_result'], ['display_data', 'display_data', 'execute_result'], ['execute_result'], ['execute_result'], ['error']]);
    expect(comparable(viaNbconvert)).toEqual(expected);

    const { notebook, notices } = loadNotebook(readFileSync(viaNbconvert, 'utf8'));
    expect(notices).toEqual([]);
    expect(notebook.metadata.kernelspec).toEqual(TYPESCRIPT_METADATA.kernelspec);
    expect(notebook.metadata.language_info).toEqual(TYPESCRIPT_METADATA.language_info);
  });

  it("nbclient keeps a quick cell's type warning, which the kernel publishes between its reply and its idle", async () => {
    const source = join(dir, 'type-problem.ipynb');
    const viaNbclient = join(dir, 'type-problem-nbclient.ipynb');
    // The first cell waits while TypeScript loads (its own check runs beside it); the second is quick.
    const notebook = { ...FIXTURE, cells: [cell('await new Promise((r) => setTimeout(r, 15_000));'), cell('const n: number = "x";\nn')] };
    writeFileSync(source, JSON.stringify(notebook, null, 1));
    const script = [
      'import sys, nbformat',
      'from nbclient import NotebookClient',
      'nb = nbformat.read(sys.argv[1], as_version=4)',
      'NotebookClient(nb, kernel_name="trailbook-typescript", timeout=120).execute()',
      'nbformat.write(nb, sys.argv[2])',
    ].join('\n');
    await python(j, ['-c', script, source, viaNbclient]);
    const [, quick] = comparable(viaNbclient);
    expect(quick!.outputs.map((o) => o.output_type)).toEqual(['execute_result', 'display_data']);
    const warning = quick!.outputs[1] as { data: Record<string, string> };
    expect(warning.data['text/plain']).toBe("Type warning (line 1, col 7): Type 'string' is not assignable to type 'number'.");
  });

  it('nbclient executes a saved Trailbook notebook (getting started, on the sample data) with the same outputs as trailbook run', async () => {
    const source = join(dir, '01-getting-started.ipynb');
    copyFileSync(join(PROJECT_ROOT, 'notebooks/01-getting-started.ipynb'), source);
    const viaTrailbook = join(dir, '01-trailbook.ipynb');
    const viaNbclient = join(dir, '01-nbclient.ipynb');
    const run = await trailbookCli(['run', source, '--out', viaTrailbook, '-q']);
    expect('code' in run ? `${run.code}: ${run.stderr}` : 0).toBe(0);
    const script = [
      'import sys, nbformat',
      'from nbclient import NotebookClient',
      'nb = nbformat.read(sys.argv[1], as_version=4)',
      'NotebookClient(nb, kernel_name="trailbook-typescript", timeout=120, resources={"metadata": {"path": sys.argv[3]}}).execute()',
      'nbformat.write(nb, sys.argv[2])',
    ].join('\n');
    await python(j, ['-c', script, source, viaNbclient, dir]);
    const expected = comparable(viaTrailbook);
    expect(expected.flatMap((c) => c.outputs).length).toBeGreaterThan(3);
    expect(comparable(viaNbclient)).toEqual(expected);
  });
});
