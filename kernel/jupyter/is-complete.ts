import { CellSyntaxError, compileCell } from '../child/compile.ts';
import { isSqlCell } from '../../notebook/sql-cell.ts';

/**
 * `is_complete_request`: consoles ask whether Enter should run the code or open a new line. The
 * answer comes from the kernel's own cell compiler, so "complete" means the kernel would accept it.
 */

export type Completeness = { status: 'complete' } | { status: 'invalid' } | { status: 'incomplete'; indent: string };

/** esbuild's messages for input that stops in the middle of something (a block, a call, a comment). */
const UNFINISHED = [/end of file/i, /to terminate multi-line comment/i];

export async function isComplete(code: string): Promise<Completeness> {
  // A %%sql cell goes on until a blank line, as IPython's cell magics do in a console.
  if (isSqlCell(code) && !/\n[ \t]*$/.test(code)) return { status: 'incomplete', indent: '' };
  try {
    await compileCell(code, '<is_complete>');
    return { status: 'complete' };
  } catch (err) {
    if (!(err instanceof CellSyntaxError)) throw err;
    const unfinished = UNFINISHED.some((re) => re.test(err.message)) || (/Unterminated string literal/.test(err.message) && inTemplateLiteral(code));
    return unfinished ? { status: 'incomplete', indent: nextIndent(code) } : { status: 'invalid' };
  }
}

/**
 * esbuild names an open template literal like an open string; only the template may go on to the
 * next line. An odd number of unescaped backticks means one is still open.
 */
function inTemplateLiteral(code: string): boolean {
  return (code.match(/(?<!\\)`/g)?.length ?? 0) % 2 === 1;
}

/** The indentation of the last line, one level (two spaces) deeper after an opening bracket or arrow. */
function nextIndent(code: string): string {
  const last = code.split('\n').filter((l) => l.trim()).at(-1) ?? '';
  const indent = /^\s*/.exec(last)![0];
  return /([{([]|=>)\s*$/.test(last) ? `${indent}  ` : indent;
}
