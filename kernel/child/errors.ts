import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { kernelErrorOutput, type ErrorOutput } from '../error-output.ts';
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

export function errorOutput(err: unknown): ErrorOutput {
  if (err instanceof CellSyntaxError) {
    const detail = [`    at ${err.filename}:${err.line}:${err.column}`];
    if (err.lineText) detail.push('', `    ${err.lineText}`, `    ${' '.repeat(Math.max(err.column - 1, 0))}^`);
    return kernelErrorOutput('SyntaxError', err.message, detail);
  }
  if (err instanceof Error) {
    const detail = typeof err.stack === 'string' ? mapStack(err.stack) : [];
    const cause = (err as { cause?: unknown }).cause;
    // A cause whose message the error already gives (the engine's, with a position added) is not said twice.
    const causeHead = cause instanceof Error ? cause.message.split('\n')[0]!.trim() : '';
    const said = causeHead !== '' && err.message.includes(causeHead);
    if (cause !== undefined && !said) detail.push(`Caused by: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : inspect(cause)}`);
    return kernelErrorOutput(err.name || 'Error', err.message, detail);
  }
  return kernelErrorOutput('Uncaught', inspect(err, { depth: 2, colors: false }));
}

/** Cell code stopped by an interrupt. */
export const interruptedOutput = (): ErrorOutput => kernelErrorOutput('KeyboardInterrupt', 'Execution interrupted');
