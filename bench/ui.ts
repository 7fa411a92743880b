/**
 * Workbench UI figures in headless Chromium, for a 50-cell notebook (markdown, code with stream, table
 * and SVG outputs):
 * - editable: from navigation until a character typed into the first code cell shows in it (the page
 *   clicked and typed into as a person would, as soon as the cell is painted; the time is the page's
 *   own clock at the first frame after the character reached the cell). Cells take plain typing before
 *   Monaco arrives, so the figure also says which editor took the character, when the first cells were
 *   painted and when Monaco had loaded. Each open is of a notebook of its own (bench-1.ipynb, …): the
 *   autosave of the typed character never leaks into the next open;
 *   cold = a new browser profile each run (empty HTTP cache), warm = the same profile opening it again;
 * - bytes on the wire (response headers + bodies as received, compressed; 304s and cache hits count
 *   what they cost): the first open and a reopen, both until the editor takes typing and after the
 *   network settles (the TypeScript worker loads after the first idle moment).
 * Prints the machine's load average with the figures: on two shared cores they move with it.
 * JupyterLab beside it: only where it is installed (not here: Debian does not package it); the bench says which.
 * Run: npx tsx bench/ui.ts [--cells 50] [--runs 5] [--rebuild]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { newCellId, type Cell, type Notebook } from '../notebook/format.ts';
import { buildUi, ensureUiBuild } from '../workbench/build.ts';
import { startWorkbench } from '../workbench/server.ts';
import { launchChromium } from '../test/workbench/browser.ts';

const { values } = parseArgs({ options: { cells: { type: 'string', default: '50' }, runs: { type: 'string', default: '5' }, rebuild: { type: 'boolean', default: false } } });
const cellCount = Number(values.cells);
const runs = Number(values.runs);
const GOALS = { warmMs: 700, coldMs: 1200, firstBytes: 3 * 1024 * 1024, reopenBytes: 200 * 1024 };

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

interface Open {
  /** Navigation start → the typed character shows in the first code cell. */
  ms: number;
  /** Navigation start → the first code cell is painted (as plain text, before Monaco). */
  cellsMs: number;
  /** Navigation start → Monaco has loaded (editors can mount). */
  monacoMs: number;
  /** The character went into Monaco (else into the plain-text cell that precedes it). */
  intoMonaco: boolean;
  bytesEditable: number;
  bytesSettled: number;
  requests: number;
  tsWorker: boolean;
}

/** Counts what the page receives: each finished GET's response headers and (encoded) body. */
function meter(context: BrowserContext) {
  let bytes = 0;
  let requests = 0;
  let inFlight = 0;
  let lastActivity = Date.now();
  let tsWorker = false;
  const sizes: Promise<void>[] = [];
  const started = (request: Request) => {
    if (request.method() !== 'GET') return; // the autosave after typing is not part of opening
    inFlight++;
    lastActivity = Date.now();
    if (/ts\.worker/.test(request.url())) tsWorker = true;
  };
  const ended = (request: Request) => {
    if (request.method() !== 'GET') return;
    inFlight--;
    lastActivity = Date.now();
    sizes.push(
      (async () => {
        const s = await request.sizes();
        let body = s.responseBodySize;
        // Scripts a worker loads (the editor and TypeScript workers) report no body size: their
        // Content-Length is what crossed the wire (encoded), the same figure for a compressed response.
        const response = await request.response();
        if (body === 0 && response?.status() === 200) body = Number(response.headers()['content-length'] ?? 0);
        bytes += s.responseHeadersSize + body;
        requests++;
      })().catch(() => {}),
    );
  };
  context.on('request', started);
  context.on('requestfinished', ended);
  context.on('requestfailed', ended);
  return {
    async total() {
      // A size that never comes (a request cut off with its page) must not hold the figure up.
      await Promise.race([Promise.all(sizes), new Promise((r) => setTimeout(r, 5000))]);
      return { bytes, requests, tsWorker };
    },
    /** Waits until nothing has been in flight for `quietMs` (at most `maxMs`). */
    async settle(quietMs = 3000, maxMs = 30_000) {
      const deadline = Date.now() + maxMs;
      while (Date.now() < deadline && (inFlight > 0 || Date.now() - lastActivity < quietMs)) await new Promise((r) => setTimeout(r, 100));
    },
    stop() {
      context.off('request', started);
      context.off('requestfinished', ended);
      context.off('requestfailed', ended);
    },
  };
}

/**
 * Runs in the page (a string, as the bundler's helpers do not exist there): records by the page's clock
 * when the first code cell is painted, when the typed marker reaches it (the frame after) and into which
 * editor, and when Monaco has loaded (the page marks itself ready).
 */
const PAGE_CLOCK = `
  const bench = (window.bench = {});
  const firstCode = () => document.querySelectorAll('.cell')[1]?.querySelector('.editor-host');
  const check = () => {
    const host = firstCode();
    if (bench.cellsAt === undefined && host?.querySelector('.placeholder, .view-lines')) requestAnimationFrame(() => (bench.cellsAt ??= performance.now()));
    if (bench.readyAt === undefined && document.querySelector('.notebook-page[data-ready="true"]')) bench.readyAt = performance.now();
    const text = (host?.querySelector('.view-lines') ?? host?.querySelector('.placeholder'))?.textContent;
    if (bench.typed === undefined && text?.startsWith('Z')) {
      bench.typed = { monaco: Boolean(host.querySelector('.view-lines')) };
      requestAnimationFrame(() => (bench.typed.at = performance.now()));
    }
  };
  document.addEventListener('DOMContentLoaded', () =>
    new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-ready'] }),
  );
`;

async function openAndType(context: BrowserContext, url: string): Promise<Open> {
  const m = meter(context);
  const page = await context.newPage();
  await page.addInitScript({ content: PAGE_CLOCK });
  await page.goto(url, { waitUntil: 'commit' });
  const host = page.locator('.cell').nth(1).locator('.editor-host');
  await host.click({ position: { x: 40, y: 12 }, timeout: 60_000 });
  await page.keyboard.press('Control+Home');
  await page.keyboard.type('Z');
  type Clock = { cellsAt: number; readyAt?: number; typed?: { monaco: boolean; at?: number } };
  const clock = () => page.evaluate(() => (window as unknown as { bench: Clock }).bench);
  const shown = await page.waitForFunction(() => (window as unknown as { bench: Clock }).bench.typed?.at !== undefined, null, { timeout: 60_000 }).then(
    () => true,
    () => false,
  );
  if (!shown) throw new Error(`the typed character never showed in the first code cell (${JSON.stringify(await clock())}): a lost keystroke`);
  await page.waitForFunction(() => (window as unknown as { bench: Clock }).bench.readyAt !== undefined, null, { timeout: 60_000 });
  const { cellsAt: cellsMs, readyAt: monacoMs, typed } = await clock();
  const { at: ms, monaco: intoMonaco } = typed as { at: number; monaco: boolean };
  const editable = await m.total();
  await page.keyboard.press('Escape'); // leave the cell: its Monaco editor may now replace the plain text
  await m.settle();
  m.stop();
  const settled = await m.total();
  await page.close(); // runBeforeUnload is off: the unsaved character does not hold the page
  return { ms, cellsMs, monacoMs: monacoMs!, intoMonaco, bytesEditable: editable.bytes, bytesSettled: settled.bytes, requests: settled.requests, tsWorker: settled.tsWorker };
}

/** The comparison with JupyterLab needs it installed; where it is not, say so rather than leave it out. */
function jupyterLabLine(): string {
  try {
    const version = execFileSync('jupyter-lab', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `JupyterLab ${version} is installed, but this bench does not drive it yet: no side-by-side ratio`;
  } catch {
    return 'JupyterLab: not installed on this machine (Debian does not package it, PyPI is unreachable here): no side-by-side ratio';
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(0)} KB`);
const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');

const dir = await mkdtemp(join(tmpdir(), 'trailbook-bench-ui-'));
const token = 'bench-token-0123456789';
const wb = await startWorkbench({ host: '127.0.0.1', port: 0, token, tokenGenerated: false, notebookDir: dir, kernelIdleMs: 60_000, stateDir: dir });
// A notebook per open: the character typed in one is autosaved, and must not be in the next one already.
let opened = 0;
const nextUrl = async () => {
  const name = `bench-${++opened}.ipynb`;
  await wb.store.create(name, sampleNotebook(cellCount));
  return `${wb.url}/notebooks/${name}`;
};
// The same Chromium as the browser tests: CHROMIUM_PATH, /usr/bin/chromium, else the one npm delivers.
const chromium = await launchChromium();
const browser: Browser = chromium.browser;
console.log(`Chromium ${browser.version()} from ${chromium.choice.source}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (1/5/15 min)`);

const cold: Open[] = [];
const warm: Open[] = [];
try {
  const login = await browser.newContext();
  await login.request.post(`${wb.url}/login`, { form: { token, next: '/' }, headers: { origin: wb.url }, maxRedirects: 0 });
  const storageState = await login.storageState();
  // The server's first parse of the notebook starts its worker threads: not part of a browser's cold start.
  await login.request.get((await nextUrl()).replace('/notebooks/', '/api/notebooks/'));
  await login.close();
  const viewport = { width: 1280, height: 900 };

  const show = (kind: string, o: Open) =>
    console.log(
      `  ${kind}: ${o.ms.toFixed(0)} ms (${o.intoMonaco ? 'Monaco' : 'plain-text cell'}; cells painted at ${o.cellsMs.toFixed(0)} ms, Monaco loaded at ${o.monacoMs.toFixed(0)} ms), ${kb(o.bytesSettled)} in ${o.requests} requests`,
    );
  for (let run = 0; run < runs; run++) {
    const context = await browser.newContext({ storageState, viewport });
    cold.push(await openAndType(context, await nextUrl()));
    show('cold', cold.at(-1)!);
    await context.close();
  }
  const context = await browser.newContext({ storageState, viewport });
  await openAndType(context, await nextUrl()); // the first open fills the cache; the runs below are reopens
  for (let run = 0; run < runs; run++) {
    warm.push(await openAndType(context, await nextUrl()));
    show('warm', warm.at(-1)!);
  }
  await context.close();
} finally {
  await browser.close();
  await wb.close();
  await rm(dir, { recursive: true, force: true });
}

const line = (label: string, xs: Open[], goal: number) => {
  const ms = xs.map((o) => o.ms);
  const med = median(ms);
  const into = xs.filter((o) => o.intoMonaco).length;
  return (
    `${label}: median ${med.toFixed(0)} ms (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}, ${xs.length} runs) — goal < ${goal} ms: ${verdict(med < goal)}; ` +
    `typed into Monaco in ${into} of ${xs.length} runs, the plain-text cell in the others; cells painted at median ${median(xs.map((o) => o.cellsMs)).toFixed(0)} ms, Monaco loaded at median ${median(xs.map((o) => o.monacoMs)).toFixed(0)} ms`
  );
};
console.log(`${cellCount}-cell notebook, navigation → a typed character visible in the first code cell:`);
console.log(`  ${line('cold (new profile, empty cache)', cold, GOALS.coldMs)}`);
console.log(`  ${line('warm (same profile, reopened)  ', warm, GOALS.warmMs)}`);
const first = { editable: median(cold.map((o) => o.bytesEditable)), settled: median(cold.map((o) => o.bytesSettled)), requests: median(cold.map((o) => o.requests)) };
const again = { editable: median(warm.map((o) => o.bytesEditable)), settled: median(warm.map((o) => o.bytesSettled)), requests: median(warm.map((o) => o.requests)) };
console.log('bytes on the wire (response headers + bodies as received):');
console.log(
  `  first open: ${kb(first.editable)} until editable, ${kb(first.settled)} once the network settles (${first.requests} requests${cold.every((o) => o.tsWorker) ? ', TypeScript worker included' : ''}) — goal < ${kb(GOALS.firstBytes)}: ${verdict(first.settled < GOALS.firstBytes)}`,
);
console.log(`  reopen:     ${kb(again.editable)} until editable, ${kb(again.settled)} once settled (${again.requests} requests) — goal < ${kb(GOALS.reopenBytes)}: ${verdict(again.settled < GOALS.reopenBytes)}`);
console.log(jupyterLabLine());
console.log(`load average after the runs: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
// Chromium's pipes and the server's parser workers can keep the event loop alive after closing: the figures are out, so end here.
process.exit(0);
