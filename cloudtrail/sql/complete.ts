import { athenaType, CLOUDTRAIL_COLUMNS, PARTITION_COLUMNS, type Field } from './schema.ts';

/**
 * Completion of the table and column names in SQL over `cloudtrail`, from the schema itself: the workbench
 * editor (Monaco, in %%sql cells) and the Jupyter front door (complete_request) both ask here. After a dotted
 * path (`useridentity.sessioncontext.`) it offers that struct's fields; an alias in front (`c.useridentity.`) is
 * skipped, and an index (`resources[1].`) reaches into the array's element.
 */

export const TABLE = 'cloudtrail';

export interface SqlCompletion {
  label: string;
  kind: 'table' | 'column' | 'field';
  /** The Athena type (`STRING`, `STRUCT<...>`) or what the table is. */
  detail: string;
  doc?: string;
}

const WORD = /[A-Za-z0-9_]/;
const COLUMNS = [...CLOUDTRAIL_COLUMNS, ...PARTITION_COLUMNS];

/** What to offer at `cursor` (a UTF-16 offset) of `text`: the items, and where the word they replace starts. */
export function completeSql(text: string, cursor: number): { from: number; items: SqlCompletion[] } {
  let from = cursor;
  while (from > 0 && WORD.test(text[from - 1]!)) from--;
  const prefix = text.slice(from, cursor).toLowerCase();
  if (insideLiteralOrComment(text.slice(0, from))) return { from, items: [] };
  const path = dottedPath(text, from);
  const items = path ? fieldsAt(path) : [{ label: TABLE, kind: 'table' as const, detail: "CloudTrail events (Athena's CloudTrail table)" }, ...COLUMNS.map((f) => item(f, 'column'))];
  return { from, items: items.filter((i) => i.label.startsWith(prefix)) };
}

function item(f: Field, kind: 'column' | 'field'): SqlCompletion {
  return { label: f.name, kind, detail: athenaType(f), ...(f.doc ? { doc: f.doc } : {}) };
}

/** `a.b[1].` before `at` → ['a', 'b']; undefined when the word is not after a dot. */
function dottedPath(text: string, at: number): string[] | undefined {
  if (text[at - 1] !== '.') return undefined;
  const m = /((?:[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\.)+)$/.exec(text.slice(0, at));
  if (!m) return [];
  return m[1]!
    .slice(0, -1)
    .split('.')
    .map((s) => s.replace(/\[[^\]]*\]$/, '').toLowerCase());
}

/** The fields under a path of column and struct names; a leading name that is no column is taken as an alias. */
function fieldsAt(path: string[]): SqlCompletion[] {
  const resolve = (names: string[]): Field[] | undefined => {
    let fields: Field[] = COLUMNS;
    for (const name of names) {
      const f = fields.find((x) => x.name === name);
      if (!f || f.type === 'string' || f.type === 'map') return undefined;
      fields = Array.isArray(f.type) ? f.type : f.type.array;
    }
    return fields;
  };
  if (!path.length) return [];
  // A first name that is no column is the table or an alias (`cloudtrail.`, `c.`, `c.useridentity.`).
  const aliased = !COLUMNS.some((c) => c.name === path[0]);
  const fields = aliased ? resolve(path.slice(1)) : resolve(path);
  if (!fields) return [];
  return fields.map((f) => item(f, fields === COLUMNS ? 'column' : 'field'));
}

/** Whether `before` ends inside a '…' string, a "…" name or a comment (no completion there). */
function insideLiteralOrComment(before: string): boolean {
  let i = 0;
  while (i < before.length) {
    const c = before[i]!;
    const close = c === "'" || c === '"' ? c : before.startsWith('--', i) ? '\n' : before.startsWith('/*', i) ? '*/' : undefined;
    if (!close) {
      i++;
      continue;
    }
    const end = before.indexOf(close, i + (close === '*/' ? 2 : 1));
    if (end < 0) return true;
    i = end + close.length;
  }
  return false;
}
