import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadNotebook, NotebookFormatError, parseNotebook, serialiseNotebook, TYPESCRIPT_METADATA } from '../../notebook/format.ts';

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

/** As Jupyter 4.0 (IPython 3 era) wrote it: no cell ids, a Python kernel. */
const NB40 = `{
 "cells": [
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": ["# Title\\n", "Some text"]
  },
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {"collapsed": false},
   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["hello\\n"]}],
   "source": ["print('hello')"]
  },
  {"cell_type": "raw", "metadata": {}, "source": ["raw text"]}
 ],
 "metadata": {
  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
  "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py", "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python", "pygments_lexer": "ipython3", "version": "3.4.3"}
 },
 "nbformat": 4,
 "nbformat_minor": 0
}`;

/** nbformat 4.4 from another TypeScript kernel (tslab): no ids, attachments on a markdown cell. */
const NB44 = JSON.stringify({
  cells: [
    { cell_type: 'markdown', metadata: {}, attachments: { 'a.png': { 'image/png': 'iVBORw0KGgo=' } }, source: ['![a](attachment:a.png)'] },
    { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: ['const x: number = 1;\n', 'x + 1'] },
    { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: ['x * 2'] },
  ],
  metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' }, title: 'kept' },
  nbformat: 4,
  nbformat_minor: 4,
});

const withMinor = (text: string, cells: (c: Record<string, unknown>[]) => Record<string, unknown>[]) => {
  const nb = JSON.parse(text);
  return JSON.stringify({ ...nb, cells: cells(nb.cells) });
};

describe('reading nbformat 4.0-4.4', () => {
  it('upgrades a 4.0 notebook to 4.5: every cell gets a valid, unique id and nothing else changes', () => {
    const { notebook, notices } = loadNotebook(NB40, '4.0.ipynb');
    expect(notebook.nbformat_minor).toBe(5);
    const ids = notebook.cells.map((c) => c.id);
    for (const id of ids) expect(id).toMatch(CELL_ID);
    expect(new Set(ids).size).toBe(ids.length);
    expect(notebook.cells.map(({ id: _id, ...rest }) => rest)).toEqual(JSON.parse(NB40).cells);
    expect(notices[0]).toBe('upgraded from nbformat 4.0 to 4.5 (3 cell ids added); it is saved as 4.5');
  });

  it('derives the ids from the cells, not from where the file lives or what its outputs are', () => {
    const ids = (text: string, name: string) => loadNotebook(text, name).notebook.cells.map((c) => c.id);
    const first = ids(NB40, 'a.ipynb');
    expect(ids(NB40, '/elsewhere/b.ipynb')).toEqual(first);
    const rerun = withMinor(NB40, (cells) => cells.map((c) => (c.cell_type === 'code' ? { ...c, execution_count: 7, outputs: [] } : c)));
    expect(ids(rerun, 'a.ipynb')).toEqual(first);
    const edited = withMinor(NB40, (cells) => cells.map((c, i) => (i === 0 ? { ...c, source: '# Another title' } : c)));
    expect(ids(edited, 'a.ipynb')).not.toEqual(first);
  });

  it('keeps the valid ids a 4.4 notebook already has and never repeats one', () => {
    const generated = loadNotebook(NB44).notebook.cells[0]!.id;
    const mixed = withMinor(NB44, (cells) => cells.map((c, i) => (i === 1 ? { ...c, id: generated } : i === 2 ? { ...c, id: 'not valid!' } : c)));
    const ids = loadNotebook(mixed).notebook.cells.map((c) => c.id);
    expect(ids[1]).toBe(generated);
    expect(ids[0]).not.toBe(generated);
    expect(ids[2]).toMatch(CELL_ID);
    expect(new Set(ids).size).toBe(3);
  });

  it('switches a foreign kernelspec to Trailbook\'s with a notice, and says when the code is not TypeScript', () => {
    const tslab = loadNotebook(NB44);
    expect(tslab.notebook.metadata).toEqual({ ...TYPESCRIPT_METADATA, title: 'kept' });
    expect(tslab.notices).toEqual([
      'upgraded from nbformat 4.4 to 4.5 (3 cell ids added); it is saved as 4.5',
      'kernel "tslab" (TypeScript) replaced by "trailbook-typescript": Trailbook runs every notebook in its TypeScript kernel',
    ]);
    expect(loadNotebook(NB40).notices[1]).toBe(
      'kernel "python3" (Python 3) replaced by "trailbook-typescript": Trailbook runs every notebook in its TypeScript kernel; its python code will not run as it is',
    );
  });

  it('saves an upgraded notebook as 4.5 with Trailbook\'s language metadata, and reads that back without notices', () => {
    const text = serialiseNotebook(parseNotebook(NB44));
    const saved = JSON.parse(text);
    expect(saved.nbformat_minor).toBe(5);
    expect(saved.metadata.kernelspec).toEqual({ display_name: 'TypeScript (Trailbook)', language: 'typescript', name: 'trailbook-typescript' });
    expect(saved.metadata.language_info).toEqual({
      codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
      file_extension: '.ts',
      mimetype: 'text/typescript',
      name: 'typescript',
      pygments_lexer: 'typescript',
      version: TYPESCRIPT_METADATA.language_info.version,
    });
    expect(saved.cells[0].attachments).toEqual({ 'a.png': { 'image/png': 'iVBORw0KGgo=' } });
    const again = loadNotebook(text);
    expect(again.notices).toEqual([]);
    expect(again.notebook.cells.map((c) => c.id)).toEqual(saved.cells.map((c: { id: string }) => c.id));
    expect(serialiseNotebook(again.notebook)).toBe(text);
  });

  it('keeps attachments of raw cells (nbformat 4.1+)', () => {
    const nb = withMinor(NB44, (cells) => [{ cell_type: 'raw', metadata: {}, source: 'r', attachments: { 'b.txt': { 'text/plain': 'eA==' } } }, ...cells]);
    expect(JSON.parse(serialiseNotebook(parseNotebook(nb))).cells[0].attachments).toEqual({ 'b.txt': { 'text/plain': 'eA==' } });
  });
});

describe('reading nbformat 4.5', () => {
  const NB45 = withMinor(NB44, (cells) => cells.map((c, i) => ({ ...c, id: `cell-${i}` }))).replace('"nbformat_minor":4', '"nbformat_minor":5');

  it('leaves ids alone and only notes a foreign kernelspec', () => {
    const { notebook, notices } = loadNotebook(NB45);
    expect(notebook.cells.map((c) => c.id)).toEqual(['cell-0', 'cell-1', 'cell-2']);
    expect(notices).toEqual([expect.stringMatching(/^kernel "tslab"/)]);
  });

  it('has nothing to say about a Trailbook notebook', () => {
    const text = serialiseNotebook(parseNotebook(NB45));
    expect(loadNotebook(text).notices).toEqual([]);
  });

  it('still requires ids in 4.5, as the nbformat schema does', () => {
    const missing = withMinor(NB45, (cells) => cells.map(({ id, ...c }) => (id === 'cell-1' ? c : { ...c, id })));
    expect(() => parseNotebook(missing, 'x.ipynb')).toThrow(NotebookFormatError);
    expect(() => parseNotebook(missing, 'x.ipynb')).toThrow(/cells\.1\.id/);
  });

  it('refuses nbformat 3', () => {
    expect(() => parseNotebook(JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] }))).toThrow(/not a valid nbformat 4 notebook/);
  });
});

it('declares the TypeScript language level of the kernel: the typescript package major.minor', () => {
  const require = createRequire(import.meta.url);
  const installed = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version as string;
  expect(TYPESCRIPT_METADATA.language_info.version).toBe(installed.split('.').slice(0, 2).join('.'));
});
