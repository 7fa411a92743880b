import { describe, expect, it } from 'vitest';
import { cellForTypes, DEFAULT_SQL_VARIABLE, isSqlCell, parseSqlCell, SqlCellHeaderError } from '../../notebook/sql-cell.ts';

describe('%%sql cells', () => {
  it('are cells whose first line is the magic, and nothing else', () => {
    expect(isSqlCell('%%sql\nSELECT 1')).toBe(true);
    expect(isSqlCell('%%sql rows <<\nSELECT 1')).toBe(true);
    expect(isSqlCell('%%sql')).toBe(true);
    for (const code of ['', 'const a = 1', ' %%sql\nSELECT 1', '\n%%sql\nSELECT 1', '%%sqlite\nSELECT 1', '// %%sql\nSELECT 1']) expect(isSqlCell(code), code).toBe(false);
  });

  it('bind their rows to _sql, or to the name given (jupysql spells it `name <<`)', () => {
    expect(parseSqlCell('%%sql\nSELECT 1\nFROM x')).toEqual({ name: DEFAULT_SQL_VARIABLE, body: 'SELECT 1\nFROM x' });
    expect(parseSqlCell('%%sql top\r\nSELECT 1')).toEqual({ name: 'top', body: 'SELECT 1' });
    expect(parseSqlCell('%%sql  top  <<\nSELECT 1')).toEqual({ name: 'top', body: 'SELECT 1' });
    expect(parseSqlCell('%%sql <<\nSELECT 1')?.name).toBe(DEFAULT_SQL_VARIABLE);
    expect(parseSqlCell('const x = 1')).toBeUndefined();
  });

  it('refuse a header they cannot read, saying where', () => {
    const err = (code: string) => {
      try {
        parseSqlCell(code);
      } catch (e) {
        return e as SqlCellHeaderError;
      }
      throw new Error(`no error for ${code}`);
    };
    expect(err('%%sql a b\nSELECT 1')).toMatchObject({ name: 'SyntaxError', column: 9, message: expect.stringMatching(/one variable name/) });
    expect(err('%%sql 2rows\nSELECT 1')).toMatchObject({ column: 7, message: expect.stringMatching(/identifier/) });
    expect(err('%%sql const\nSELECT 1').message).toMatch(/identifier/);
  });

  it('count for later cells as the declaration of their variable', () => {
    expect(cellForTypes('%%sql top\nSELECT 1')).toBe('declare var top: SqlRows;\n');
    expect(cellForTypes('%%sql\nSELECT 1')).toBe('declare var _sql: SqlRows;\n');
    expect(cellForTypes('%%sql a b\nSELECT 1')).toBe('');
    expect(cellForTypes('const a = 1')).toBe('const a = 1');
  });
});
