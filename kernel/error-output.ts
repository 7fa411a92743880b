import type { Output } from '../notebook/format.ts';

export type ErrorOutput = Extract<Output, { output_type: 'error' }>;

/**
 * The one way the kernel builds an error output. Jupyter front ends (JupyterLab, nbconvert) print only
 * the traceback, so it starts with "ename: evalue" — the message, once, however many lines it has —
 * followed by `detail` (stack frames, a cause), which must not repeat the message. The workbench shows
 * the same thing: the traceback's leading "ename: evalue" as the heading, the detail under it.
 */
export function kernelErrorOutput(ename: string, evalue: string, detail: string[] = []): ErrorOutput {
  return { output_type: 'error', ename, evalue, traceback: [`${ename}: ${evalue}`, ...detail] };
}
