import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Names inside the notebooks directory, as the API and URLs spell them: `name.ipynb` or
 * `folder/sub/name.ipynb`, '/'-separated, relative to the directory. Every part is checked on its own
 * (no empty, `.` or `..` part, no backslash or NUL, a conservative character set), so a checked name
 * can only ever join to a path inside the directory. Folders on disk are checked too (store.ts):
 * a folder that is a symbolic link is refused, because two spellings of one notebook would defeat
 * the per-name write locks and could lead outside the directory.
 */

export class PathError extends Error {
  constructor(message: string) {
    super(message);
  }
}

/** How deep folders may nest; deeper folders are listed as skipped. */
export const MAX_FOLDER_DEPTH = 8;
const PART = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,120}$/;
const NOTEBOOK = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,120}\.ipynb$/;
const RULE = 'use letters, digits, spaces, . _ ( ) - (not first)';

function partsOf(path: unknown, what: 'notebook name' | 'folder name'): string[] {
  if (typeof path !== 'string' || path.includes('\\') || path.includes('\0') || path.includes('..') || path.startsWith('/') || path.endsWith('/')) {
    throw new PathError(`Invalid ${what} "${String(path)}": it must be a path inside the notebooks directory, parts separated by /`);
  }
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.')) throw new PathError(`Invalid ${what} "${path}": empty or "." parts are not allowed`);
  if (parts.length > MAX_FOLDER_DEPTH + (what === 'notebook name' ? 1 : 0)) {
    throw new PathError(`Invalid ${what} "${path}": folders nest at most ${MAX_FOLDER_DEPTH} deep`);
  }
  return parts;
}

function checkFolderParts(parts: string[], path: string, what: string): void {
  for (const part of parts) {
    if (!PART.test(part) || part.endsWith('.ipynb')) throw new PathError(`Invalid ${what} "${path}": folder "${part}": ${RULE}, and not ending in .ipynb`);
  }
}

/** A notebook's name (`x.ipynb` or `folder/x.ipynb`); throws PathError otherwise. */
export function checkNotebookPath(name: unknown): string {
  const parts = partsOf(name, 'notebook name');
  const file = parts.at(-1)!;
  if (!NOTEBOOK.test(file)) throw new PathError(`Invalid notebook name "${String(name)}": ${RULE} and end with .ipynb`);
  checkFolderParts(parts.slice(0, -1), name as string, 'notebook name');
  return name as string;
}

/** A folder's path (`a` or `a/b`; never empty: the directory itself is not a folder one can rename or delete). */
export function checkFolderPath(path: unknown): string {
  checkFolderParts(partsOf(path, 'folder name'), path as string, 'folder name');
  return path as string;
}

/** The folder a name is in: '' for the top of the directory. */
export const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/** 'a/b/c.ipynb' → ['a', 'a/b']. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split('/').slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** `name` moved along with its folder `from` → `to`, or undefined when it is not inside `from`. */
export function movedWith(name: string, from: string, to: string): string | undefined {
  return name.startsWith(`${from}/`) ? `${to}${name.slice(from.length)}` : undefined;
}

/**
 * The lock key of a folder. Notebook operations hold the keys of every folder above the notebook, and
 * folder operations the key of the folder itself: a folder is never moved or deleted under a save, and
 * a notebook is never created in a folder that is being moved. ('/' never starts a notebook name.)
 */
export const folderKey = (path: string): string => `/${path}`;

export interface FolderEntry {
  path: string;
  modified: string;
}

/** Something in the directory that is not listed, and why (shown to the user: nothing disappears silently). */
export interface SkippedEntry {
  path: string;
  reason: string;
}

export interface Tree {
  /** Notebook names (including links to files, which opening checks). */
  notebooks: string[];
  folders: FolderEntry[];
  skipped: SkippedEntry[];
}

/**
 * Walks the directory for notebooks and folders. Dot files and dot folders (.git, .ipynb_checkpoints)
 * are hidden, as Jupyter hides them; other files that are not notebooks are not listed; notebooks and
 * folders that cannot be used (names outside the rules, links to folders, nesting too deep) are
 * returned in `skipped` with the reason.
 */
export async function walkTree(root: string): Promise<Tree> {
  const tree: Tree = { notebooks: [], folders: [], skipped: [] };
  const walk = async (relative: string, depth: number): Promise<void> => {
    const entries = await readdir(relative ? join(root, relative) : root, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!PART.test(entry.name) || entry.name.endsWith('.ipynb') || entry.name.includes('..')) {
          tree.skipped.push({ path, reason: `folder name not supported: ${RULE}` });
        } else if (depth >= MAX_FOLDER_DEPTH) {
          tree.skipped.push({ path, reason: `folders nest at most ${MAX_FOLDER_DEPTH} deep` });
        } else {
          const info = await lstat(join(root, path));
          tree.folders.push({ path, modified: info.mtime.toISOString() });
          await walk(path, depth + 1);
        }
      } else if (entry.isSymbolicLink() && !entry.name.endsWith('.ipynb')) {
        const target = await stat(join(root, path)).catch(() => undefined);
        if (target?.isDirectory()) tree.skipped.push({ path, reason: 'a link to a folder: folders must be real directories inside the notebooks directory' });
      } else if (entry.name.endsWith('.ipynb')) {
        if (NOTEBOOK.test(entry.name) && !entry.name.includes('..')) tree.notebooks.push(path);
        else tree.skipped.push({ path, reason: `notebook name not supported: ${RULE} and end with .ipynb` });
      }
    }
  };
  await walk('', 0);
  const byPath = (a: string, b: string) => a.localeCompare(b);
  tree.notebooks.sort(byPath);
  tree.folders.sort((a, b) => byPath(a.path, b.path));
  tree.skipped.sort((a, b) => byPath(a.path, b.path));
  return tree;
}
