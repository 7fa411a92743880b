import { describe, expect, it } from 'vitest';
import { typeErrorOutput, typeWarningOutput } from '../../../kernel/typecheck/outputs.ts';
import { typecheckMode } from '../../../kernel/typecheck/session.ts';

const assignment = { line: 1, column: 7, code: 2322, message: "Type 'number' is not assignable to type 'string'." };
const chained = { line: 3, column: 1, code: 2345, message: "Argument of type 'X' is not assignable to parameter of type 'Y'.\n  Property 'a' is missing." };

describe('type warning outputs', () => {
  it('say where and what, one line per diagnostic, in text and sanitisable HTML', () => {
    const out = typeWarningOutput([assignment, chained]);
    expect(out.output_type).toBe('display_data');
    if (out.output_type !== 'display_data') return;
    expect(out.data['text/plain']).toBe(
      "Type warning (line 1, col 7): Type 'number' is not assignable to type 'string'.\n" +
        "Type warning (line 3, col 1): Argument of type 'X' is not assignable to parameter of type 'Y'.\n    Property 'a' is missing.",
    );
    const html = String(out.data['text/html']);
    expect(html).toContain('2 type warnings');
    expect(html).toContain('line 1, col 7');
    expect(html).toContain('&#39;number&#39;');
    expect(html).not.toContain("'number'");
    expect(out.metadata).toEqual({ trailbook: { typeWarnings: 2 } });
  });

  it('make an error that says the cell did not run in block mode', () => {
    expect(typeErrorOutput([assignment])).toEqual({
      output_type: 'error',
      ename: 'TypeCheckError',
      evalue: '1 type error: the cell was not run (TRAILBOOK_TYPECHECK=block)',
      traceback: ['TypeCheckError: 1 type error: the cell was not run (TRAILBOOK_TYPECHECK=block)', "Type error (line 1, col 7): Type 'number' is not assignable to type 'string'."],
    });
  });
});

describe('TRAILBOOK_TYPECHECK', () => {
  it('defaults to warn, accepts block/warn/off in any case, and names the variable when wrong', () => {
    expect(typecheckMode(undefined)).toBe('warn');
    expect(typecheckMode('')).toBe('warn');
    expect(typecheckMode('BLOCK')).toBe('block');
    expect(typecheckMode(' off ')).toBe('off');
    expect(() => typecheckMode('strict')).toThrow('TRAILBOOK_TYPECHECK must be block, warn or off, not "strict"');
  });
});
