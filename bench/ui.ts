/**
 * Workbench UI figure: time from navigation to an editable notebook of 50 cells (all cells rendered,
 * Monaco loaded, the first code cell's editor mounted and typing into it changes the notebook), in
 * headless Chromium. Also the UI build time. Run: npx tsx bench/ui.ts [--cells 50] [--runs 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newCellId, type Cell, type Notebook } from '../notebook/format.ts';
import { buildUi, ensureUiBuild } from '../workbench/build.ts';
import { startWorkbench } from '../workbench/server.ts';
import { launchChromium } from '../test/workbench/browser.ts';

const { values } = parseArgs({ options: { cells: { type: 'string', default: '50' }, runs: { type: 'string', default: '5' }, rebuild: { type: 'boolean', default: false } } });
const cellCount = Number(values.cells);
const runs = Number(values.runs);

if (values.rebuild) {
  const { ms, bytes } = await buildUi();
  console.log(`UI build (esbuild, minified): ${ms} ms, ${(bytes / 1024 / 1024).toFixed(1)} MB`);
} else await ensureUiBuild();

/** A realistic notebook: markdown headings, code with stream, table and SVG outputs. */
function sampleNotebook(n: number): Notebook {
  const cells: Cell[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 5 === 0) {
      cells.push({ id: newCellId(), cell_type: 'markdown', source: `## Step ${i / 5 + 1}\n\nWho called **AssumeRole** and what did they do next?`, metadata: {} });
      continue;
    }
    const rows = Array.from({ length: 10 }, (_, r) => `<tr><td>user-${r}</td><td>${r * 7}</td></tr>`).join('');
    cells.push({
      id: newCellId(),
      cell_type: 'code',
      source: `const events${i} = await cloudtrail.lookup({ eventName: 'AssumeRole', limit: 100 });\nconsole.log(events${i}.length);\nevents${i}.slice(0, 10)`,
      metadata: {},
      execution_count: i,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: `${i * 3}\n` },
        i % 3 === 0
          ? { output_type: 'display_data', data: { 'image/svg+xml': `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80" viewBox="0 0 300 80">${Array.from({ length: 30 }, (_, k) => `<circle cx="${k * 10}" cy="${40 + Math.sin(k) * 30}" r="3"/>`).join('')}</svg>` }, metadata: {} }
          : { output_type: 'execute_result', execution_count: i, data: { 'text/html': `<table><tr><th>principal</th><th>count</th></tr>${rows}</table>`, 'text/plain': '[...]' }, metadata: {} },
      ],
    });
  }
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells };
}

const dir = await mkdtemp(join(tmpdir(), 'trailbook-bench-ui-'));
const token = 'bench-token-0123456789';
const wb = await startWorkbench({ host: '127.0.0.1', port: 0, token, tokenGenerated: false, notebookDir: dir, kernelIdleMs: 60_000 });
await wb.store.create('bench.ipynb', sampleNotebook(cellCount));
// The same Chromium as the browser tests: CHROMIUM_PATH, /usr/bin/chromium, else the one npm delivers.
const { browser, choice } = await launchChromium();
console.log(`Chromium ${browser.version()} from ${choice.source}`);

const timings: number[] = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${wb.url}/?token=${token}`); // logs in (cookie) outside the timed part
  for (let run = 0; run < runs + 1; run++) {
    await page.goto('about:blank');
    await page.goto(`${wb.url}/notebooks/bench.ipynb`, { waitUntil: 'commit' });
    const readyAt = await page.waitForFunction(
      (n) => {
        const cells = document.querySelectorAll('.cell');
        const root = document.querySelector('.notebook-page') as HTMLElement | null;
        const first = cells[1]?.querySelector('.monaco-editor');
        return root?.dataset.ready === 'true' && cells.length === n && first ? performance.now() : false;
      },
      cellCount,
      { polling: 'raf', timeout: 60_000 },
    );
    const ms = (await readyAt.jsonValue()) as number;
    // Editable: typing into the first editor changes the notebook.
    await page.locator('.cell').nth(1).locator('.monaco-editor').click();
    await page.keyboard.insertText('// edited\n');
    const edited = await page.evaluate(() => (window as unknown as { trailbook: { toNotebook(): Notebook } }).trailbook.toNotebook().cells[1]!.source);
    if (!String(edited).startsWith('// edited') && !String(edited).includes('// edited')) throw new Error('the editor did not accept typing');
    if (run > 0) timings.push(ms); // run 0 warms the HTTP cache and the JIT, as a returning user has
    else console.log(`first (cold cache) load: ${ms.toFixed(0)} ms`);
    await page.evaluate(() => window.onbeforeunload = null);
  }
  await context.close();
} finally {
  await browser.close();
  await wb.close();
  await rm(dir, { recursive: true, force: true });
}
const sorted = [...timings].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(`navigation → editable ${cellCount}-cell notebook: median ${median.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms over ${runs} warm runs (target < 1500 ms)`);
