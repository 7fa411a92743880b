import type { Output } from '../../notebook/format.ts';
import { escapeHtml } from '../child/display.ts';
import { kernelErrorOutput, type ErrorOutput } from '../error-output.ts';
import type { CellDiagnostic } from '../jupyter/language.ts';

/** How a cell's type errors are shown: a warning block under a cell that ran, or the error that kept it from running. */

/** "Type warning (line 1, col 7): Type 'number' is not assignable to type 'string'." (a long message's further lines indented). */
export function diagnosticLine(d: CellDiagnostic, kind = 'Type warning'): string {
  return `${kind} (line ${d.line}, col ${d.column}): ${d.message.replace(/\n/g, '\n  ')}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The warning block: text for any front end, HTML (sanitised downstream) that reads as a note, not an error. */
export function typeWarningOutput(diagnostics: CellDiagnostic[]): Output {
  const text = diagnostics.map((d) => diagnosticLine(d)).join('\n');
  const items = diagnostics
    .map((d) => `<li><code>line ${d.line}, col ${d.column}</code> ${escapeHtml(d.message).replace(/\n/g, '<br>')} <small>TS${d.code}</small></li>`)
    .join('');
  const html =
    `<div class="trailbook-type-warnings" role="note" style="border-left:3px solid #d4a72c;background:rgba(212,167,44,.12);padding:4px 10px;margin:2px 0">` +
    `<strong>${plural(diagnostics.length, 'type warning')}</strong> (the cell ran; TRAILBOOK_TYPECHECK=block stops such cells)` +
    `<ul style="margin:4px 0;padding-left:18px">${items}</ul></div>`;
  return { output_type: 'display_data', data: { 'text/plain': text, 'text/html': html }, metadata: { trailbook: { typeWarnings: diagnostics.length } } };
}

/** TRAILBOOK_TYPECHECK=block: the cell did not run. */
export function typeErrorOutput(diagnostics: CellDiagnostic[]): ErrorOutput {
  return kernelErrorOutput(
    'TypeCheckError',
    `${plural(diagnostics.length, 'type error')}: the cell was not run (TRAILBOOK_TYPECHECK=block)`,
    diagnostics.map((d) => diagnosticLine(d, 'Type error')),
  );
}
