import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Output } from '../../notebook/format.ts';
import { CellSyntaxError, type CompiledCell } from './compile.ts';

/** Compiled cells by filename, so a stack frame in any earlier cell maps back to its TypeScript. */
const cells = new Map<string, CompiledCell>();
const MAX_CELLS = 2000;

export function rememberCell(cell: CompiledCell) {
  cells.set(cell.filename, cell);
  if (cells.size > MAX_CELLS) cells.delete(cells.keys().next().value!);
}

const kernelFile = (() => {
  try {
    return fileURLToPath(import.meta.url);
  } catch {
    return '';
  }
})();
const kernelDir = kernelFile.slice(0, kernelFile.lastIndexOf('/') + 1);

/** Rewrites `<cell N>:line:col` frames to the cell's TypeScript positions and drops kernel/Node internals. */
export function mapStack(stack: string): string[] {
  const lines = stack.split('\n');
  const frames: string[] = [];
  for (const line of lines) {
    if (!/^\s+at /.test(line)) continue;
    if ((kernelDir && line.includes(kernelDir)) || /\(?node:(internal|vm|async_hooks)/.test(line)) continue;
    let wrapper = false;
    const mapped = line.replace(/(<cell \d+>):(\d+):(\d+)/g, (whole, file: string, l: string, c: string) => {
      const cell = cells.get(file);
      const pos = cell?.locate(Number(l), Number(c));
      if (cell && !pos) wrapper = true;
      return pos ? `${file}:${pos.line}:${pos.column}` : whole;
    });
    if (!wrapper) frames.push(mapped);
  }
  return frames;
}

export function errorOutput(err: unknown): Extract<Output, { output_type: 'error' }> {
  if (err instanceof CellSyntaxError) {
    const traceback = [`SyntaxError: ${err.message}`, `    at ${err.filename}:${err.line}:${err.column}`];
    if (err.lineText) traceback.push('', `    ${err.lineText}`, `    ${' '.repeat(Math.max(err.column - 1, 0))}^`);
    return { output_type: 'error', ename: 'SyntaxError', evalue: err.message, traceback };
  }
  if (err instanceof Error) {
    const ename = err.name || 'Error';
    const evalue = err.message;
    const frames = typeof err.stack === 'string' ? mapStack(err.stack) : [];
    const traceback = [`${ename}: ${evalue}`, ...frames];
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined) traceback.push(`Caused by: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : inspect(cause)}`);
    return { output_type: 'error', ename, evalue, traceback };
  }
  const evalue = inspect(err, { depth: 2, colors: false });
  return { output_type: 'error', ename: 'Uncaught', evalue, traceback: [`Uncaught ${evalue}`] };
}
