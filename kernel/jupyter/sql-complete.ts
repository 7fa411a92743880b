import { completeSql } from '../../cloudtrail/sql/complete.ts';
import type { CompleteReply } from './language.ts';

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
