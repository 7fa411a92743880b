import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { joinSource, loadNotebook, serialiseNotebook, type Notebook, type Output } from '../notebook/format.ts';
import { injectParameters, type ParameterValue } from '../notebook/parameters.ts';
import { createKernelHost } from './host.ts';
import type { KernelHost } from './protocol.ts';

/**
 * Headless execution (`trailbook run`): every code cell in order in a fresh kernel, outputs stored
 * in the notebook. Stops at the first failing cell (like `jupyter nbconvert --execute`), still
 * writing the outputs up to and including it; later cells keep what they had.
 */

export interface RunNotebookOptions {
  /** Where to write the executed notebook (default: overwrite the input). */
  out?: string;
  /** Reuse a host (tests, the workbench); otherwise one is created and shut down. */
  host?: KernelHost;
  /** Kernel working directory (default: the notebook's directory). */
  cwd?: string;
  env?: Record<string, string>;
  /** Keep going after a failing cell; the run still reports the first failure. */
  allowErrors?: boolean;
  /** Interrupt a cell that runs longer than this and count it as failed. */
  cellTimeoutMs?: number;
  /** Values for the cell tagged `parameters`, injected after it as papermill does (notebook/parameters.ts). */
  parameters?: Record<string, ParameterValue>;
  onCell?: (progress: CellProgress) => void;
}

export interface CellProgress {
  index: number;
  id: string;
  /** 1-based position among code cells, and how many there are. */
  position: number;
  total: number;
  status: 'ok' | 'error' | 'aborted';
  durationMs: number;
}

export interface CellFailure {
  index: number;
  id: string;
  ename: string;
  evalue: string;
  traceback: string[];
}

export interface RunNotebookResult {
  ok: boolean;
  outPath: string;
  notebook: Notebook;
  executed: number;
  failed?: CellFailure;
  durationMs: number;
  /** What reading the notebook changed (nbformat upgrade, replaced kernelspec), one line each. */
  notices: string[];
}

/** Jupyter stores a cell's consecutive stream chunks of one name as one output. */
export function mergeStreams(outputs: Output[]): Output[] {
  const merged: Output[] = [];
  for (const o of outputs) {
    const last = merged[merged.length - 1];
    if (o.output_type === 'stream' && last?.output_type === 'stream' && last.name === o.name) {
      merged[merged.length - 1] = { ...last, text: joinSource(last.text) + joinSource(o.text) };
    } else merged.push(o);
  }
  return merged;
}

export function describeFailure(f: CellFailure): string {
  return `cell ${f.index} (id ${f.id}) failed: ${f.ename}: ${f.evalue}`;
}

export async function runNotebook(path: string, options: RunNotebookOptions = {}): Promise<RunNotebookResult> {
  const started = performance.now();
  const inPath = resolve(path);
  const outPath = resolve(options.out ?? inPath);
  const { notebook, notices } = loadNotebook(await readFile(inPath, 'utf8'), path);
  if (options.parameters) notices.push(...injectParameters(notebook, options.parameters));
  const host = options.host ?? createKernelHost();
  const kernel = await host.start({ name: inPath, cwd: options.cwd ?? dirname(inPath), env: options.env });

  const codeCells = notebook.cells.map((c, index) => ({ c, index })).filter(({ c }) => c.cell_type === 'code');
  let failed: CellFailure | undefined;
  let executed = 0;
  try {
    for (const [i, { c: cell, index }] of codeCells.entries()) {
      if (cell.cell_type !== 'code') continue;
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      if (options.cellTimeoutMs) {
        timer = setTimeout(() => {
          timedOut = true;
          kernel.interrupt().catch(() => {}); // a restart cut short by the shutdown below is no news
        }, options.cellTimeoutMs);
      }
      // A saved notebook gets every type warning, even from the cells that run while TypeScript loads.
      const reply = await kernel.execute({ code: joinSource(cell.source), cellId: cell.id, waitForTypecheck: true }).finally(() => clearTimeout(timer));
      executed++;
      const outputs = mergeStreams(reply.outputs);
      if (timedOut) {
        outputs.push({ output_type: 'error', ename: 'CellTimeout', evalue: `The cell ran longer than ${options.cellTimeoutMs} ms and was interrupted`, traceback: [] });
      }
      cell.outputs = outputs;
      cell.execution_count = reply.executionCount;
      options.onCell?.({ index, id: cell.id, position: i + 1, total: codeCells.length, status: reply.status, durationMs: reply.durationMs });
      if (reply.status !== 'ok' && !failed) {
        const err = [...outputs].reverse().find((o) => o.output_type === 'error');
        failed = {
          index,
          id: cell.id,
          ename: err?.output_type === 'error' ? err.ename : reply.status,
          evalue: err?.output_type === 'error' ? err.evalue : `the cell ended with status ${reply.status}`,
          traceback: err?.output_type === 'error' ? err.traceback : [],
        };
        if (!options.allowErrors) break;
      }
    }
  } finally {
    await kernel.shutdown();
    if (!options.host) await host.shutdownAll();
    // Written even after a failure: the outputs up to the failing cell are the useful part.
    const tmp = `${outPath}.${process.pid}.tmp`;
    await writeFile(tmp, serialiseNotebook(notebook));
    await rename(tmp, outPath);
  }
  return { ok: !failed, outPath, notebook, executed, failed, durationMs: Math.round(performance.now() - started), notices };
}
