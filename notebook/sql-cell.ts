/**
 * SQL cells: a code cell whose first line is `%%sql` runs the rest as SQL over the `cloudtrail` table and binds
 * the rows to a variable, as jupysql / ipython-sql do in Python notebooks:
 *
 *     %%sql                   → rows in `_sql`
 *     %%sql top               → rows in `top`
 *     %%sql top <<            → the same (jupysql's spelling)
 *
 * This module only reads the header, so the kernel, the type checker, the Jupyter front door and the browser
 * editor agree on what a SQL cell is without loading anything heavy.
 */

export const SQL_MAGIC = '%%sql';
/** The variable a `%%sql` cell without a name binds: the `_` of IPython's last result, for SQL. */
export const DEFAULT_SQL_VARIABLE = '_sql';

export interface SqlCell {
  /** The variable the rows are bound to. */
  name: string;
  /** The SQL: everything after the header line (line 2 of the cell is line 1 of the body). */
  body: string;
}

export class SqlCellHeaderError extends Error {
  override name = 'SyntaxError';
  constructor(
    message: string,
    /** 1-based column in the header line. */
    readonly column: number,
  ) {
    super(message);
  }
}

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
/** Words a variable cannot be named (the rows are bound with `const name = ...`). */
const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(' '),
);

/** Whether the cell's first line is the `%%sql` magic (leading blank lines are not allowed, as in IPython). */
export function isSqlCell(code: string): boolean {
  return code.startsWith(SQL_MAGIC) && (code.length === SQL_MAGIC.length || /\s/.test(code[SQL_MAGIC.length]!));
}

/** The cell's variable and SQL, or undefined for a TypeScript cell. Throws SqlCellHeaderError for a header it cannot read. */
export function parseSqlCell(code: string): SqlCell | undefined {
  if (!isSqlCell(code)) return undefined;
  const newline = code.indexOf('\n');
  const header = (newline < 0 ? code : code.slice(0, newline)).replace(/\r$/, '');
  const body = newline < 0 ? '' : code.slice(newline + 1);
  const words = header.slice(SQL_MAGIC.length).trim().split(/\s+/).filter(Boolean);
  if (words.at(-1) === '<<') words.pop();
  const column = (word: string) => header.indexOf(word, SQL_MAGIC.length) + 1;
  if (words.length > 1) throw new SqlCellHeaderError(`%%sql takes one variable name (\`%%sql rows\` or \`%%sql rows <<\`), then the SQL on the next lines; got "${words.join(' ')}"`, column(words[1]!));
  const name = words[0] ?? DEFAULT_SQL_VARIABLE;
  if (!IDENTIFIER.test(name) || RESERVED.has(name)) throw new SqlCellHeaderError(`%%sql ${name}: the variable name must be a TypeScript identifier`, column(name));
  return { name, body };
}

/**
 * What later cells see of a cell, for type checking and completion: a SQL cell declares its variable (the
 * `SqlRows` of the kernel's `sql` global); a TypeScript cell is itself. A SQL cell with a bad header declares nothing.
 */
export function cellForTypes(code: string): string {
  if (!isSqlCell(code)) return code;
  try {
    const cell = parseSqlCell(code)!;
    return `declare var ${cell.name}: SqlRows;\n`;
  } catch {
    return '';
  }
}
