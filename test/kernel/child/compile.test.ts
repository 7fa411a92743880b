import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CellSyntaxError, compileCell } from '../../../kernel/child/compile.ts';

/** Runs a compiled cell's script with a stub runtime and returns what the cell's promise resolves to. */
async function evaluate(code: string): Promise<unknown> {
  const cell = await compileCell(code, '<cell 1>');
  const runtime = { check: <T>(v: T) => v, tick: () => {}, import: (s: string) => import(s), pick: (m: Record<string, unknown>, n: string) => m[n] };
  return runInNewContext(cell.script, { __trailbook: runtime, Promise });
}

describe('compileCell', () => {
  it.each([
    ['an empty cell', ''],
    ['a whitespace-only cell', '  \n\t\n  '],
    ['a line comment', '// nothing to run yet'],
    ['a block comment', '/* TODO:\n   query the trail */'],
    ['several comments', '// a\n\n/** b */\n// c\n'],
    ['a type-only cell', 'type Row = { id: string };\ninterface Other { n: number }'],
  ])('compiles %s to a script that does nothing', async (_label, code) => {
    await expect(evaluate(code)).resolves.toBeUndefined();
  });

  it('still returns the last expression of a cell that ends with a comment', async () => {
    await expect(evaluate('const a = 20;\na + 22 // the answer\n// trailing note')).resolves.toBe(42);
  });

  it('maps a position in the generated script back to the TypeScript line and column', async () => {
    const cell = await compileCell('// header\nconst x: number = 1;\nthrow new Error("x" + x)', '<cell 2>');
    const lines = cell.script.split('\n');
    const line = lines.findIndex((l) => l.includes('throw')) + 1;
    const column = lines[line - 1]!.indexOf('throw') + 1;
    expect(cell.locate(line, column)).toEqual({ line: 3, column: 1 });
  });

  it('reports a syntax error with the line and column of the cell', async () => {
    const err = await compileCell('const a = 1;\nconst = 2', '<cell 3>').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CellSyntaxError);
    expect(err).toMatchObject({ line: 2, column: 7 });
  });
});
