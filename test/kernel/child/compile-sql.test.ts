import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CellSyntaxError, compileCell } from '../../../kernel/child/compile.ts';

/** Runs a compiled %%sql cell with a runtime whose `sql` tag records what it was given. */
async function run(code: string, globals: Record<string, unknown> = {}) {
  const cell = await compileCell(code, '<cell 1>');
  const calls: { strings: string[]; values: unknown[] }[] = [];
  const runtime = {
    check: <T>(v: T) => v,
    tick: () => {},
    sql: async (strings: TemplateStringsArray, ...values: unknown[]) => {
      calls.push({ strings: [...strings], values });
      return [{ n: 1 }];
    },
  };
  const context = { __trailbook: runtime, Promise, ...globals };
  const result = await runInNewContext(cell.script, context);
  return { result, calls, context: context as Record<string, unknown> };
}

describe('compiling a %%sql cell', () => {
  it('runs the SQL through the kernel tag and binds the rows to the variable and the result', async () => {
    const { result, calls, context } = await run('%%sql top <<\nSELECT eventname\nFROM cloudtrail');
    expect(result).toEqual([{ n: 1 }]);
    expect(context.top).toEqual([{ n: 1 }]);
    // Line 2 of the cell is line 2 of the SQL text, so the engine's positions are the cell's.
    expect(calls).toEqual([{ strings: ['\nSELECT eventname\nFROM cloudtrail'], values: [] }]);
    expect((await run('%%sql\nSELECT 1')).context._sql).toEqual([{ n: 1 }]);
  });

  it('keeps backslashes and backticks as written, and binds ${} values as parameters', async () => {
    const { calls } = await run("%%sql\nSELECT regexp_matches(eventname, '^\\w+`$') AS m FROM cloudtrail WHERE eventtime > ${since} AND errorcode = ${code}", {
      since: '2026-10-01T00:00:00Z',
      code: 'AccessDenied',
    });
    expect(calls[0]!.strings).toEqual(["\nSELECT regexp_matches(eventname, '^\\w+`$') AS m FROM cloudtrail WHERE eventtime > ", ' AND errorcode = ', '']);
    expect(calls[0]!.values).toEqual(['2026-10-01T00:00:00Z', 'AccessDenied']);
  });

  it('refuses a bad header or an empty cell as a syntax error on line 1', async () => {
    for (const [code, message, column] of [
      ['%%sql a b\nSELECT 1', /one variable name/, 9],
      ['%%sql\n  \n', /no SQL/, 1],
    ] as const) {
      const err = await compileCell(code, '<cell 4>').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CellSyntaxError);
      expect(err).toMatchObject({ line: 1, column, message: expect.stringMatching(message), lineText: code.split('\n')[0] });
    }
  });
});
