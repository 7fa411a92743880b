import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR } from '../../cloudtrail/config.ts';
import { ensureSampleData } from '../../cloudtrail/generator/index.ts';
import { createKernelHost } from '../../kernel/host.ts';
import type { KernelHost } from '../../kernel/protocol.ts';
import { runNotebook } from '../../kernel/runner.ts';
import { joinSource, parseNotebook, type Notebook } from '../../notebook/format.ts';

const NOTEBOOK_DIR = resolve(import.meta.dirname, '../../notebooks');
const notebooks = (await readdir(NOTEBOOK_DIR)).filter((f) => f.endsWith('.ipynb')).sort();

const mimeTypes = (nb: Notebook) =>
  new Set(nb.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs.flatMap((o) => ('data' in o ? Object.keys(o.data) : [o.output_type])) : [])));
const hasChart = (nb: Notebook) =>
  nb.cells.some(
    (c) =>
      c.cell_type === 'code' &&
      c.outputs.some((o) => 'data' in o && (o.data['image/svg+xml'] || /<svg/.test(joinSource((o.data['text/html'] as string | string[]) ?? '')))),
  );

describe('saved notebooks', () => {
  let host: KernelHost;
  let out: string;

  beforeAll(async () => {
    // The notebooks are written against the embedded sample dataset, as `npm start` serves it.
    await ensureSampleData(DEFAULT_DATA_DIR);
    host = createKernelHost();
    out = await mkdtemp(join(tmpdir(), 'trailbook-notebooks-'));
  }, 180_000);

  afterAll(async () => {
    await host?.shutdownAll();
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

  it.each(notebooks)('%s is committed as a saved report: every code cell has outputs and none failed', async (name) => {
    const nb = parseNotebook(await readFile(join(NOTEBOOK_DIR, name), 'utf8'), name);
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.length).toBeGreaterThan(3);
    for (const cell of code) {
      expect(cell.outputs.length, `cell ${cell.id} of ${name} has no stored output`).toBeGreaterThan(0);
      expect(cell.outputs.some((o) => o.output_type === 'error'), `cell ${cell.id} of ${name} stored an error`).toBe(false);
    }
    expect(hasChart(nb), `${name} has no chart`).toBe(true);
  });

  it.each(notebooks)('%s runs top to bottom on the embedded dataset', async (name) => {
    const result = await runNotebook(join(NOTEBOOK_DIR, name), { out: join(out, name), host, cwd: out, cellTimeoutMs: 120_000 });
    expect(result.failed, result.failed && `${result.failed.ename}: ${result.failed.evalue}`).toBeUndefined();
    expect(result.ok).toBe(true);
    const executed = parseNotebook(await readFile(join(out, name), 'utf8'));
    expect(executed.cells.filter((c) => c.cell_type === 'code').every((c) => c.cell_type === 'code' && c.execution_count !== null)).toBe(true);
    expect(hasChart(executed)).toBe(true);
    expect(mimeTypes(executed).has('text/plain')).toBe(true);
  }, 180_000);
});
