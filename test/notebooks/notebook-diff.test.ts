import { describe, expect, it } from 'vitest';
import { describeNotebookDiff } from './notebook-diff.ts';

const nb = (cells: unknown[], metadata: Record<string, unknown> = {}) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata, cells }, null, 1) + '\n';
const code = (id: string, text: string) => ({ id, cell_type: 'code', source: [], metadata: {}, execution_count: 1, outputs: [{ output_type: 'stream', name: 'stdout', text: [text] }] });

describe('describeNotebookDiff', () => {
  it('says nothing for identical files', () => {
    const text = nb([code('a', 'x')]);
    expect(describeNotebookDiff(text, text)).toBeUndefined();
  });

  it('names the first differing cell and shows the changed lines', () => {
    const diff = describeNotebookDiff(nb([code('a', 'same'), code('b', 'read_only: 5532'), code('c', 'other')]), nb([code('a', 'same'), code('b', 'read_only: 6401'), code('c', 'changed too')]));
    expect(diff).toContain('cell 1 (id b, code) differs');
    expect(diff).toMatch(/^- +"read_only: 5532"$/m);
    expect(diff).toMatch(/^\+ +"read_only: 6401"$/m);
    expect(diff).not.toContain('changed too');
  });

  it('cuts long lines to the part around the difference', () => {
    const long = (n: number) => `<table>${'<td>cell</td>'.repeat(200)}<td>${n}</td>${'<td>tail</td>'.repeat(200)}</table>`;
    const diff = describeNotebookDiff(nb([code('t', long(1))]), nb([code('t', long(2))]))!;
    expect(diff).toContain('<td>1</td>');
    expect(diff).toContain('<td>2</td>');
    expect(Math.max(...diff.split('\n').map((l) => l.length))).toBeLessThan(200);
  });

  it('reports notebook-level and cell-count differences, and formatting-only ones', () => {
    expect(describeNotebookDiff(nb([], { title: 'a' }), nb([], { title: 'b' }))).toMatch(/^the notebook metadata or format version differs/);
    expect(describeNotebookDiff(nb([code('a', 'x')]), nb([code('a', 'x'), code('b', 'y')]))).toBe('cell 1 (id b, code) is only in the re-run notebook (1 vs 2 cells)');
    expect(describeNotebookDiff(nb([code('a', 'x')]), JSON.stringify(JSON.parse(nb([code('a', 'x')]))))).toMatch(/^same content, different bytes/);
  });
});
