import { describe, expect, it } from 'vitest';
import type { Notebook } from '../../../notebook/format.ts';
import { applyServerMessage, mergeCells, moveBlock, newCell, removeCells, restoreCells, type CellModel } from '../../../workbench/ui/cell-ops.ts';
import { NotebookModel } from '../../../workbench/ui/notebook-model.ts';

/** The notebook model without a browser: the cell operations behind the command-mode keys, and kernel messages. */

const code = (id: string, source: string, extra: Partial<CellModel> = {}): CellModel => ({ ...newCell('code', source, id), ...extra });
const notebook = (...sources: [string, 'code' | 'markdown'][]): Notebook => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kept: true },
  cells: sources.map(([source, type], i) =>
    type === 'code'
      ? { id: `c${i}`, cell_type: 'code', source, metadata: {}, execution_count: i, outputs: [{ output_type: 'stream', name: 'stdout', text: `out ${i}\n` }] }
      : { id: `c${i}`, cell_type: 'markdown', source, metadata: {} },
  ),
});
const sources = (m: NotebookModel) => m.cells.map((c) => c.source);
const model = (...cells: [string, 'code' | 'markdown'][]) => {
  const m = new NotebookModel();
  m.load(notebook(...cells));
  return m;
};

describe('cell operations', () => {
  it('remove and restore put cells back where they were', () => {
    const cells = ['a', 'b', 'c', 'd'].map((s) => code(s, s));
    const { cells: left, removed } = removeCells(cells, new Set(['b', 'd']));
    expect(left.map((c) => c.id)).toEqual(['a', 'c']);
    expect(restoreCells(left, removed).map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('moves a block and refuses to move it off either end', () => {
    const cells = ['a', 'b', 'c', 'd'].map((s) => code(s, s));
    expect(moveBlock(cells, 1, 2, -1).map((c) => c.id)).toEqual(['b', 'c', 'a', 'd']);
    expect(moveBlock(cells, 1, 2, 1).map((c) => c.id)).toEqual(['a', 'd', 'b', 'c']);
    expect(moveBlock(cells, 0, 1, -1)).toBe(cells);
    expect(moveBlock(cells, 3, 3, 1)).toBe(cells);
  });

  it("merges as JupyterLab does: sources joined by a blank line, the first cell's type, no outputs", () => {
    const cells = [code('a', 'let x = 1', { outputs: [{ output_type: 'stream', name: 'stdout', text: 'old' }], executionCount: 3 }), code('b', 'x + 1'), code('c', 'other')];
    const result = mergeCells(cells, ['a', 'b'])!;
    expect(result.cells.map((c) => c.source)).toEqual(['let x = 1\n\nx + 1', 'other']);
    expect(result.merged).toMatchObject({ type: 'code', outputs: [], executionCount: null });
    expect(result.merged.id).not.toBe('a');
    expect(mergeCells(cells, ['a'])).toBeUndefined();
  });

  it('follows a run through kernel messages, sharing untouched cells', () => {
    let cells: readonly CellModel[] = [code('a', '1'), code('b', '2')];
    const b = cells[1];
    const step = (m: Parameters<typeof applyServerMessage>[1]) => {
      const t = applyServerMessage(cells, m);
      cells = t.cells;
      return t.contentChanged;
    };
    expect(step({ type: 'queued', cellId: 'a' })).toBe(true);
    expect(cells[0]!.run).toBe('queued');
    expect(step({ type: 'started', cellId: 'a', at: 5 })).toBe(false);
    step({ type: 'output', cellId: 'a', output: { output_type: 'stream', name: 'stdout', text: 'one ' } });
    step({ type: 'output', cellId: 'a', output: { output_type: 'stream', name: 'stdout', text: ['two', '\n'] } });
    step({ type: 'output', cellId: 'a', output: { output_type: 'stream', name: 'stderr', text: 'warn' } });
    expect(cells[0]!.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'one two\n' },
      { output_type: 'stream', name: 'stderr', text: 'warn' },
    ]);
    step({ type: 'reply', cellId: 'a', status: 'ok', executionCount: 7, durationMs: 12 });
    expect(cells[0]).toMatchObject({ run: 'idle', executionCount: 7, result: { status: 'ok', durationMs: 12, notRun: false } });
    expect(cells[1]).toBe(b);
    // A message for a cell deleted meanwhile changes nothing.
    expect(applyServerMessage(cells, { type: 'reply', cellId: 'gone', status: 'ok', executionCount: 1, durationMs: 1 }).cells).toBe(cells);
  });

  it('a dead kernel aborts the running cell and marks queued ones "not run"', () => {
    const cells = [code('a', '1', { run: 'running' }), code('b', '2', { run: 'queued' }), code('c', '3')];
    const { cells: after } = applyServerMessage(cells, { type: 'status', status: 'dead', detail: 'out of memory' });
    expect(after.map((c) => [c.run, c.result?.notRun])).toEqual([['idle', false], ['idle', true], ['idle', undefined]]);
    expect(after[2]).toBe(cells[2]);
  });
});

describe('NotebookModel', () => {
  it('deletes the selection and Z puts it back; an emptied notebook keeps one blank cell, which Z takes away again', () => {
    const m = model(['a', 'code'], ['b', 'code'], ['c', 'code']);
    m.select(1);
    m.delete();
    expect(sources(m)).toEqual(['a', 'c']);
    expect(m.active).toBe(1);
    m.select(0);
    m.select(1, { extend: true });
    m.delete();
    expect(sources(m)).toEqual(['']);
    expect(m.undo()).toBe(true);
    expect(sources(m)).toEqual(['a', 'c']);
    expect(m.undo()).toBe(true);
    expect(sources(m)).toEqual(['a', 'b', 'c']);
    expect(m.cells[1]!.outputs).toHaveLength(1); // outputs come back too
    expect(m.undo()).toBe(false);
  });

  it('copies, cuts and pastes below and above with new ids', () => {
    const m = model(['a', 'code'], ['b', 'code'], ['c', 'code']);
    m.select(0);
    m.copy();
    m.select(2);
    m.paste('below');
    expect(sources(m)).toEqual(['a', 'b', 'c', 'a']);
    expect(new Set(m.cells.map((c) => c.id)).size).toBe(4);
    m.select(1);
    m.cut();
    expect(sources(m)).toEqual(['a', 'c', 'a']);
    m.select(0);
    m.paste('above');
    expect(sources(m)).toEqual(['b', 'a', 'c', 'a']);
    expect(m.active).toBe(0);
  });

  it('extends the selection, moves the block, and merges it (Shift+M); with one cell, merges the one below; Z undoes a merge', () => {
    const m = model(['a', 'code'], ['b', 'code'], ['c', 'markdown'], ['d', 'code']);
    m.select(1);
    m.select(2, { extend: true });
    expect(m.selected().map((c) => c.source)).toEqual(['b', 'c']);
    m.move(-1);
    expect(sources(m)).toEqual(['b', 'c', 'a', 'd']);
    expect(m.selected().map((c) => c.source)).toEqual(['b', 'c']);
    expect(m.merge()).toBe(true);
    expect(sources(m)).toEqual(['b\n\nc', 'a', 'd']);
    m.select(1);
    m.merge();
    expect(sources(m)).toEqual(['b\n\nc', 'a\n\nd']);
    m.undo();
    m.undo();
    expect(sources(m)).toEqual(['b', 'c', 'a', 'd']);
  });

  it('counts saved-content revisions, not selection or mode changes', () => {
    const m = model(['a', 'code']);
    const start = m.revision;
    let notified = 0;
    m.onChange(() => notified++);
    m.select(0, { mode: 'edit' });
    m.setMode('command');
    expect(m.revision).toBe(start);
    m.setSource(m.cells[0]!.id, 'a + 1');
    m.setSource(m.cells[0]!.id, 'a + 1'); // unchanged: no revision, no notification
    expect(m.revision).toBe(start + 1);
    expect(notified).toBe(3);
    expect(m.toNotebook()).toMatchObject({ nbformat: 4, metadata: { kept: true }, cells: [{ source: 'a + 1', execution_count: 0 }] });
  });

  it('changes the type of the selection: M makes markdown (outputs dropped), Y code', () => {
    const m = model(['a', 'code'], ['b', 'code']);
    m.select(0);
    m.select(1, { extend: true });
    m.setType('markdown');
    expect(m.cells.map((c) => [c.type, c.outputs.length])).toEqual([['markdown', 0], ['markdown', 0]]);
    m.setType('code', [m.cells[0]!.id]);
    expect(m.cells.map((c) => c.type)).toEqual(['code', 'markdown']);
  });
});
