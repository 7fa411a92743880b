import { describe, expect, it } from 'vitest';
import { isComplete } from '../../../kernel/jupyter/is-complete.ts';

describe('is_complete', () => {
  it('says complete for code the kernel compiles, including top-level await and imports', async () => {
    expect(await isComplete('const a = 1')).toEqual({ status: 'complete' });
    expect(await isComplete('import { join } from "node:path";\nawait Promise.resolve(join("a", "b"))')).toEqual({ status: 'complete' });
  });

  it('says incomplete, with the indent of the next line, for an open block, call, array, comment or template', async () => {
    expect(await isComplete('for (const x of [1, 2]) {')).toEqual({ status: 'incomplete', indent: '  ' });
    expect(await isComplete('if (ready) {\n  const rows = [1,')).toEqual({ status: 'incomplete', indent: '  ' });
    expect(await isComplete('class A {\n  m() {')).toEqual({ status: 'incomplete', indent: '    ' });
    expect(await isComplete('const f = (x: number) =>')).toEqual({ status: 'incomplete', indent: '  ' });
    expect(await isComplete('/* a comment')).toMatchObject({ status: 'incomplete' });
    expect(await isComplete('const s = `first line')).toMatchObject({ status: 'incomplete' });
  });

  it('says invalid for code no further line can fix', async () => {
    expect(await isComplete('const a = )')).toEqual({ status: 'invalid' });
    expect(await isComplete('const s = "no end')).toEqual({ status: 'invalid' });
  });
});

describe('is_complete for %%sql cells', () => {
  it('waits for a blank line, as IPython does for cell magics', async () => {
    expect(await isComplete('%%sql')).toEqual({ status: 'incomplete', indent: '' });
    expect(await isComplete('%%sql\nSELECT eventname')).toEqual({ status: 'incomplete', indent: '' });
    expect(await isComplete('%%sql\nSELECT eventname\nFROM cloudtrail\n')).toEqual({ status: 'complete' });
    expect(await isComplete('%%sql a b\nSELECT 1\n')).toEqual({ status: 'invalid' });
  });
});
