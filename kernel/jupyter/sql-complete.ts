import { completeSql } from '../../cloudtrail/sql/complete.ts';
import type { CompleteReply, InspectReply } from './language.ts';

/**
 * `complete_request` in a %%sql cell: the table and column names of `cloudtrail` (TypeScript's language
 * service has nothing to say about SQL). Nothing on the header line. Jupyter counts in code points.
 */
export function sqlCompleteReply(code: string, cursor: number): CompleteReply {
  const at = [...code].slice(0, cursor).join('').length;
  const headerEnd = code.indexOf('\n');
  const { from, items } = headerEnd < 0 || at <= headerEnd ? { from: at, items: [] } : completeSql(code, at);
  const start = [...code.slice(0, from)].length;
  return {
    matches: items.map((i) => i.label),
    cursor_start: start,
    cursor_end: cursor,
    metadata: { _jupyter_types_experimental: items.map((i) => ({ start, end: cursor, text: i.label, type: i.kind === 'table' ? 'module' : 'property' })) },
  };
}

/** `inspect_request` (Shift+Tab) in a %%sql cell: the type and doc of the column or field under the cursor. */
export function sqlInspectReply(code: string, cursor: number): InspectReply {
  let end = [...code].slice(0, cursor).join('').length;
  while (end < code.length && /[A-Za-z0-9_]/.test(code[end]!)) end++;
  const headerEnd = code.indexOf('\n');
  if (headerEnd < 0 || end <= headerEnd) return { found: false, data: {} };
  const { from, items } = completeSql(code, end);
  const hit = items.find((i) => i.label === code.slice(from, end).toLowerCase());
  if (!hit) return { found: false, data: {} };
  const text = [`${hit.label}: ${hit.detail}`, hit.doc].filter(Boolean).join('\n\n');
  return { found: true, data: { 'text/plain': text, 'text/markdown': [`\`${hit.label}\` ${hit.kind}: \`${hit.detail}\``, hit.doc].filter(Boolean).join('\n\n') } };
}
