import { describe, expect, it } from 'vitest';
import { CellHistory } from '../../../kernel/jupyter/language.ts';

/** The cells completion reads after: in run order, a re-run moved to the end, bounded in size. */

describe('CellHistory', () => {
  it('keeps cells in run order, a re-run cell once at the end, a %%sql cell as its declaration', () => {
    const history = new CellHistory();
    for (const cell of ['const a = 1;', 'const b = 2;', 'const a = 1;', '%%sql top\nSELECT 1']) history.add(cell);
    expect(history.cells.slice(0, 2)).toEqual(['const b = 2;', 'const a = 1;']);
    expect(history.cells[2]).toContain('top');
    history.clear();
    expect(history.cells).toEqual([]);
  });

  it('drops the oldest cells beyond 500,000 characters, counting re-runs once', () => {
    const history = new CellHistory();
    const big = (c: string) => c.repeat(200_000);
    history.add(big('a'));
    history.add(big('b'));
    history.add(big('a')); // moved, not added twice: 400,000 characters
    expect(history.cells).toEqual([big('b'), big('a')]);
    history.add(big('c'));
    expect(history.cells).toEqual([big('a'), big('c')]);
    history.add('x');
    expect(history.cells).toEqual([big('a'), big('c'), 'x']);
  });
});
