import type { Output } from '../../notebook/format.ts';

/**
 * Plain-text helpers shared by the two output renderers (the browser UI and the server-side report).
 * Dependency-free and kept under ui/ on purpose: the browser bundle imports it (and ui/ changes trigger a rebuild).
 */

/** A MIME bundle value as text: nbformat multiline strings are joined, anything else is shown as JSON. */
export const mimeText = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? v.join('') : JSON.stringify(v, null, 2));

// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

/** Tracebacks usually repeat "Name: message" as their first line: the heading is shown once, in bold. */
export function errorText(output: Extract<Output, { output_type: 'error' }>): { heading: string; rest: string } {
  const heading = `${output.ename}: ${output.evalue}`;
  const lines = stripAnsi(output.traceback.join('\n')).split('\n');
  if (lines[0]?.trim() === heading.trim()) lines.shift();
  const body = lines.join('\n');
  return { heading, rest: body.trim() ? `\n${body}` : '' };
}
