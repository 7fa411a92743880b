import { describe, expect, it } from 'vitest';
import { ancestorsOf, checkFolderPath, checkNotebookPath, MAX_FOLDER_DEPTH, movedWith, PathError } from '../../workbench/notebook-paths.ts';

/** Notebook and folder names, part by part: a checked name can only join to a path inside the directory. */

describe('notebook paths', () => {
  it('accepts notebooks at the top and in folders', () => {
    for (const name of ['x.ipynb', 'sub/x.ipynb', 'a b/c (1)/d-e_f.ipynb', `${Array(MAX_FOLDER_DEPTH).fill('d').join('/')}/x.ipynb`]) {
      expect(checkNotebookPath(name)).toBe(name);
    }
  });

  it('refuses every way out of the directory and every odd part', () => {
    const bad = [
      '../x.ipynb', 'a/../x.ipynb', 'a/./x.ipynb', './x.ipynb', '/x.ipynb', 'a/', 'a//x.ipynb', 'a\\x.ipynb', 'a/x.ipynb\0', '.git/x.ipynb',
      'sub/.x.ipynb', 'x.txt', 'a.ipynb/x.ipynb', '', `${Array(MAX_FOLDER_DEPTH + 1).fill('d').join('/')}/x.ipynb`, 'a/-x.ipynb', 'a:b/x.ipynb',
    ];
    for (const name of bad) expect(() => checkNotebookPath(name), JSON.stringify(name)).toThrow(PathError);
    expect(() => checkNotebookPath(42)).toThrow(PathError);
  });

  it('checks folders the same way, and a folder never ends in .ipynb', () => {
    expect(checkFolderPath('a/b c')).toBe('a/b c');
    for (const path of ['', '..', 'a/..', 'a/', '/a', 'x.ipynb', '.hidden', 'a\\b']) expect(() => checkFolderPath(path), path).toThrow(PathError);
  });

  it('names the folders above a path and moves names with their folder', () => {
    expect(ancestorsOf('a/b/c.ipynb')).toEqual(['a', 'a/b']);
    expect(ancestorsOf('c.ipynb')).toEqual([]);
    expect(movedWith('a/b/c.ipynb', 'a', 'z/a')).toBe('z/a/b/c.ipynb');
    expect(movedWith('ab/c.ipynb', 'a', 'z')).toBeUndefined();
  });
});
