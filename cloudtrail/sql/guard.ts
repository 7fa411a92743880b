import { SqlError } from './result.ts';

/**
 * The first keyword of a statement, past comments and opening parentheses. The engines decide what a statement
 * does; this is the plain-text half of "a single SELECT or WITH", which also refuses statements an engine
 * rewrites into a SELECT (DuckDB's PRAGMA, SHOW, DESCRIBE, SUMMARIZE) and is all the Athena path can check locally.
 */
export function firstKeyword(sql: string): string {
  let i = 0;
  for (;;) {
    while (i < sql.length && /[\s(]/.test(sql[i])) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else break;
  }
  return (/^[A-Za-z_]+/.exec(sql.slice(i))?.[0] ?? '').toUpperCase();
}

export function requireSelect(sql: string): void {
  const kw = firstKeyword(sql);
  if (kw !== 'SELECT' && kw !== 'WITH') throw new SqlError(`only SELECT (or WITH … SELECT) queries are allowed: the table is read-only${kw ? ` (this one starts with ${kw})` : ''}`, 'refused');
}

/** Whether `sql` holds more than one statement: a `;` outside strings, quoted names and comments, followed by more than blanks. */
export function hasSeveralStatements(sql: string): boolean {
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      // A doubled quote inside continues the literal: the scan resumes after it either way.
      i = end < 0 ? sql.length : end;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === ';') {
      const rest = sql.slice(i + 1);
      return firstKeyword(rest) !== '' || /[^\s;]/.test(rest.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ''));
    }
  }
  return false;
}
