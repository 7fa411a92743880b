import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinSource, parseNotebook } from '../../notebook/format.ts';
import { trailbook } from '../cli/trailbook.ts';
import { describeNotebookDiff } from './notebook-diff.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NOTEBOOK_DIR = join(ROOT, 'notebooks');
const notebooks = (await readdir(NOTEBOOK_DIR)).filter((f) => f.endsWith('.ipynb')).sort();

/** The default data settings, whatever the calling shell exports: the reports are made on the embedded sample. */
function defaultEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['TRAILBOOK_SOURCE', 'TRAILBOOK_DATA_DIR', 'TRAILBOOK_MCP_URL', 'TRAILBOOK_MCP_SIGV4']) delete env[name];
  return env;
}

describe('saved notebooks', () => {
  let out: string;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'trailbook-notebooks-'));
    for (const name of notebooks) await copyFile(join(NOTEBOOK_DIR, name), join(out, name));
  });

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('include the four reports the product promises', () => {
    expect(notebooks).toEqual(
      expect.arrayContaining([
        '01-getting-started.ipynb',
        '02-developer-behaviour-prediction.ipynb',
        '03-errors-and-access-denied.ipynb',
        '04-investigation.ipynb',
      ]),
    );
  });

  it.each(notebooks)('%s is committed as a saved report: every code cell has outputs, none failed, one draws a chart', async (name) => {
    const nb = parseNotebook(await readFile(join(NOTEBOOK_DIR, name), 'utf8'), name);
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.length).toBeGreaterThan(3);
    for (const cell of code) {
      expect(cell.outputs.length, `cell ${cell.id} of ${name} has no stored output`).toBeGreaterThan(0);
      expect(cell.outputs.some((o) => o.output_type === 'error'), `cell ${cell.id} of ${name} stored an error`).toBe(false);
    }
    const chart = code.some((c) => c.outputs.some((o) => 'data' in o && /<svg/.test(joinSource((o.data['text/html'] as string | string[]) ?? ''))));
    expect(chart, `${name} has no chart`).toBe(true);
  });

  // The regression run (as nbval / papermill runs do): `trailbook run` on a copy, on the default sample data
  // (which the command generates, or regenerates after a generator change, itself), must reproduce the
  // committed file byte for byte. A difference means the report is stale or something in it depends on the
  // machine, the clock or the run: re-run the notebook with `npx trailbook run notebooks/NAME` and review the diff.
  it.each(notebooks)('`trailbook run %s` reproduces the committed file byte for byte', async (name) => {
    const copy = join(out, name);
    const run = await trailbook(['run', copy, '--quiet', '--timeout', '150'], { env: defaultEnv(), timeoutMs: 240_000 });
    expect(run.code, `trailbook run failed:\n${run.stderr}`).toBe(0);
    expect(run.stderr, 'a committed notebook needs no upgrade or kernel switch').not.toMatch(/notice:/);
    const diff = describeNotebookDiff(await readFile(join(NOTEBOOK_DIR, name), 'utf8'), await readFile(copy, 'utf8'));
    expect(diff === undefined, `${name} differs from its re-run: ${diff}`).toBe(true);
  }, 300_000);
});
