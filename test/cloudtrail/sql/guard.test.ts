import { describe, expect, it } from 'vitest';
import { firstKeyword, hasSeveralStatements, requireSelect } from '../../../cloudtrail/sql/guard.ts';

describe('the plain-text SELECT guard', () => {
  it('finds the first keyword past comments and parentheses', () => {
    expect(firstKeyword('  -- note\n /* block */ ((select 1))')).toBe('SELECT');
    expect(firstKeyword('with t as (select 1) select * from t')).toBe('WITH');
    expect(firstKeyword('PRAGMA version')).toBe('PRAGMA');
    expect(firstKeyword('-- only a comment')).toBe('');
  });

  it('refuses anything that does not start with SELECT or WITH', () => {
    expect(() => requireSelect('SELECT 1')).not.toThrow();
    for (const q of ['DELETE FROM cloudtrail', 'SHOW TABLES', 'UNLOAD (SELECT 1) TO x', ''] as const) expect(() => requireSelect(q), q).toThrow(/only SELECT/);
  });

  it('sees a second statement only outside strings and comments', () => {
    expect(hasSeveralStatements("SELECT ';' AS x")).toBe(false);
    expect(hasSeveralStatements('SELECT 1; -- done')).toBe(false);
    expect(hasSeveralStatements('SELECT 1;')).toBe(false);
    expect(hasSeveralStatements('SELECT 1; DROP TABLE cloudtrail')).toBe(true);
    expect(hasSeveralStatements('SELECT "a;b" FROM t; SELECT 2')).toBe(true);
  });
});
