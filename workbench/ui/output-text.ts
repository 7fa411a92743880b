import type { Output } from '../../notebook/format.ts';

/**
 * Plain-text helpers shared by the two output renderers (the browser UI and the server-side report).
 * Dependency-free and kept under ui/ on purpose: the browser bundle imports it (and ui/ changes trigger a rebuild).
 */

/** A MIME bundle value as text: nbformat multiline strings are joined, anything else is shown as JSON. */
export const mimeText = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? v.join('') : JSON.stringify(v, null, 2));

// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

/**
 * Tracebacks start with "Name: message" (Jupyter front ends print only the traceback): the heading is
 * shown once, in bold, and the traceback without it. The message may span lines (a setup error that
 * explains the fix), so the whole heading is matched, not just the first line.
 */
export function errorText(output: Extract<Output, { output_type: 'error' }>): { heading: string; rest: string } {
  const heading = `${output.ename}: ${output.evalue}`;
  let body = stripAnsi(output.traceback.join('\n'));
  const first = body.split('\n', 1)[0]!.trim();
  if (body.startsWith(heading) && /^\s*(\n|$)/.test(body.slice(heading.length))) body = body.slice(heading.length);
  // Older outputs shortened the message in their first line ("KernelDied: reason" under "reason, and what it means").
  else if (first && heading.startsWith(first)) body = body.slice(body.indexOf(first) + first.length);
  body = body.replace(/^\s*\n/, '');
  return { heading, rest: body.trim() ? `\n${body}` : '' };
}
