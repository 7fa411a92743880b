import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Git } from './git.ts';

/**
 * What changed where, read from git's machine formats (`-z` everywhere, so any file name parses).
 * Paths are repository-relative with forward slashes, as git prints them.
 */

/** An uncommitted change of one path, relative to HEAD. */
export type LocalChange = 'new' | 'modified' | 'deleted' | 'conflict' | 'ignored';

/** `git status --porcelain=v2 -z` of the pathspec: tracked changes, untracked and ignored files. */
export async function localChanges(git: Git, pathspec: string[] = []): Promise<Map<string, LocalChange>> {
  const fields = await git.list(['status', '--porcelain=v2', '-z', '--untracked-files=all', '--ignored=matching', '--no-renames', '--', ...pathspec]);
  const changes = new Map<string, LocalChange>();
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i];
    const kind = entry[0];
    if (kind === '?') changes.set(entry.slice(2), 'new');
    else if (kind === '!') changes.set(entry.slice(2), 'ignored');
    else if (kind === '1') {
      // 1 XY sub mH mI mW hH hI path
      const parts = entry.split(' ');
      const [x, y] = parts[1];
      const path = parts.slice(8).join(' ');
      changes.set(path, x === 'A' ? 'new' : x === 'D' || y === 'D' ? 'deleted' : 'modified');
    } else if (kind === '2') {
      // 2 XY sub mH mI mW hH hI Xscore path \0 origPath (a staged rename; --no-renames makes it rare)
      const parts = entry.split(' ');
      changes.set(parts.slice(9).join(' '), 'new');
      i++;
    } else if (kind === 'u') {
      // u XY sub m1 m2 m3 mW h1 h2 h3 path
      changes.set(entry.split(' ').slice(10).join(' '), 'conflict');
    }
  }
  return changes;
}

const isNull = (id: string) => /^0+$/.test(id);

/** Blob id of each path changed from `from` to `to` (null: deleted in `to`); every file of `to` when `from` is undefined. */
export async function changedBetween(git: Git, from: string | undefined, to: string, pathspec: string[] = []): Promise<Map<string, string | null>> {
  const changed = new Map<string, string | null>();
  if (!from) {
    for (const line of await git.list(['ls-tree', '-r', '-z', '--full-tree', to, '--', ...pathspec])) {
      // <mode> SP <type> SP <object> TAB <file>
      const tab = line.indexOf('\t');
      const [, type, id] = line.slice(0, tab).split(' ');
      if (type === 'blob') changed.set(line.slice(tab + 1), id);
    }
    return changed;
  }
  const fields = await git.list(['diff', '--raw', '-z', '--no-renames', '--no-abbrev', '--no-ext-diff', from, to, '--', ...pathspec]);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    // :<old mode> <new mode> <old id> <new id> <status> \0 <path>
    const [, , , next] = fields[i].split(' ');
    changed.set(fields[i + 1], isNull(next) ? null : next);
  }
  return changed;
}

/** The blob id the working-tree file would have (null: no file). */
export async function worktreeBlob(git: Git, path: string): Promise<string | null> {
  try {
    await access(join(git.cwd, path));
  } catch {
    return null;
  }
  return git.text(['hash-object', '--', path]);
}
