import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { emptyNotebook, NotebookFormatError, parseNotebook, serialiseNotebook, type Notebook } from '../notebook/format.ts';

/**
 * The notebooks directory: list, open, create, rename, duplicate, delete, save.
 * Every name is checked to stay inside the directory; saves are atomic and refuse stale versions.
 */

export class NotebookError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 422,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface NotebookEntry {
  name: string;
  size: number;
  modified: string;
  /** Present when the file is not a valid notebook; the file is left untouched. */
  error?: string;
}

export interface OpenedNotebook {
  name: string;
  /** Hash of the file bytes; the client sends it back when saving. */
  version: string;
  notebook: Notebook;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,120}\.ipynb$/;

/** Version = content hash: it changes whenever the bytes change, whoever wrote them. */
export const versionOf = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex').slice(0, 20);

export function checkName(name: string): string {
  if (typeof name !== 'string' || name.includes('/') || name.includes('\\') || name.includes('\0') || name.includes('..')) {
    throw new NotebookError(`Invalid notebook name "${String(name)}": it must be a file name inside the notebooks directory`, 400);
  }
  if (!NAME.test(name)) {
    throw new NotebookError(`Invalid notebook name "${name}": use letters, digits, spaces, . _ ( ) - and end with .ipynb`, 400);
  }
  return name;
}

export class NotebookStore {
  private realDir?: string;
  private readonly saving = new Map<string, Promise<unknown>>();
  /** list()'s parse results keyed by file identity (inode, size, mtime): listing stays cheap with large notebooks. */
  private readonly checked = new Map<string, { key: string; error?: string }>();
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.realDir = await realpath(this.dir);
  }

  /** Resolves a checked name; refuses symlinks that lead outside the directory. */
  private async pathOf(name: string, mustExist: boolean): Promise<string> {
    checkName(name);
    if (!this.realDir) await this.init();
    const path = join(this.realDir!, name);
    try {
      const info = await lstat(path);
      if (info.isSymbolicLink()) {
        const target = await realpath(path);
        if (dirname(target) !== this.realDir && !target.startsWith(this.realDir + sep)) {
          throw new NotebookError(`Notebook "${name}" is a link outside the notebooks directory`, 400);
        }
      } else if (!info.isFile()) {
        throw new NotebookError(`"${name}" is not a file`, 400);
      }
    } catch (err) {
      if (err instanceof NotebookError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (mustExist) throw new NotebookError(`Notebook "${name}" not found`, 404);
      } else throw err;
    }
    return path;
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.pathOf(name, true); // lstat (and realpath for links) already proves the file is there
      return true;
    } catch (err) {
      if (err instanceof NotebookError && err.status === 404) return false;
      throw err;
    }
  }

  async list(): Promise<NotebookEntry[]> {
    if (!this.realDir) await this.init();
    const entries: NotebookEntry[] = [];
    const seen = new Set<string>();
    for (const file of (await readdir(this.realDir!)).sort((a, b) => a.localeCompare(b))) {
      if (!file.endsWith('.ipynb') || !NAME.test(file)) continue;
      seen.add(file);
      try {
        const path = await this.pathOf(file, true);
        const info = await stat(path);
        const entry: NotebookEntry = { name: file, size: info.size, modified: info.mtime.toISOString() };
        const error = await this.validity(file, path, `${info.ino}:${info.size}:${info.mtimeMs}`);
        if (error !== undefined) entry.error = error;
        entries.push(entry);
      } catch (err) {
        entries.push({ name: file, size: 0, modified: new Date(0).toISOString(), error: (err as Error).message });
      }
    }
    for (const name of this.checked.keys()) if (!seen.has(name)) this.checked.delete(name);
    return entries;
  }

  /** Why a notebook file is invalid (undefined if valid); files unchanged since the last listing are not read again. */
  private async validity(name: string, path: string, key: string): Promise<string | undefined> {
    const cached = this.checked.get(name);
    if (cached?.key === key) return cached.error;
    const text = await readFile(path, 'utf8'); // read errors are the caller's (not cached)
    let error: string | undefined;
    try {
      parseNotebook(text, name);
    } catch (err) {
      error = (err as Error).message;
    }
    this.checked.set(name, { key, error });
    return error;
  }

  async open(name: string): Promise<OpenedNotebook> {
    const path = await this.pathOf(name, true);
    const text = await readFile(path, 'utf8');
    try {
      return { name, version: versionOf(text), notebook: parseNotebook(text, name) };
    } catch (err) {
      if (err instanceof NotebookFormatError) throw new NotebookError(err.message, 422, { issues: err.issues.slice(0, 20) });
      throw err;
    }
  }

  async currentVersion(name: string): Promise<string | undefined> {
    return this.versionAt(await this.pathOf(name, false));
  }

  /** The version of the file at a resolved path, or undefined when there is none. */
  private async versionAt(path: string): Promise<string | undefined> {
    try {
      return versionOf(await readFile(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Saves only if the file is still at `baseVersion` (what the client loaded). Writes a temp file,
   * fsyncs it and renames it over the old one, so a crash never leaves a half-written notebook.
   */
  async save(name: string, notebook: Notebook, baseVersion: string | null): Promise<string> {
    // One save per name at a time, so two racing saves cannot both pass the version check.
    const previous = this.saving.get(name) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(() => this.saveNow(name, notebook, baseVersion));
    const tail = run.catch(() => {});
    this.saving.set(name, tail);
    void tail.then(() => this.saving.get(name) === tail && this.saving.delete(name));
    return run;
  }

  private async saveNow(name: string, notebook: Notebook, baseVersion: string | null): Promise<string> {
    const path = await this.pathOf(name, false);
    const current = await this.versionAt(path);
    if (current !== (baseVersion ?? undefined)) {
      throw new NotebookError(
        current === undefined
          ? `Notebook "${name}" was deleted since you opened it`
          : `Notebook "${name}" changed on disk since you opened it; reload it or save under another name`,
        409,
        { currentVersion: current ?? null },
      );
    }
    const text = serialiseNotebook(notebook);
    await this.writeAtomic(path, text);
    return versionOf(text);
  }

  private async writeAtomic(path: string, text: string): Promise<void> {
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
    // fsync the directory so the rename itself survives a crash (best effort: not every FS allows it).
    const dirHandle = await open(dirname(path), constants.O_RDONLY).catch(() => undefined);
    await dirHandle?.sync().catch(() => {});
    await dirHandle?.close();
  }

  async create(name?: string, notebook: Notebook = emptyNotebook()): Promise<OpenedNotebook> {
    const chosen = name ? checkName(name) : await this.freeName('Untitled');
    const path = await this.pathOf(chosen, false);
    if (await this.exists(chosen)) throw new NotebookError(`Notebook "${chosen}" already exists`, 409);
    const text = serialiseNotebook(notebook);
    await this.writeAtomic(path, text);
    return { name: chosen, version: versionOf(text), notebook: parseNotebook(text, chosen) };
  }

  async freeName(stem: string): Promise<string> {
    for (let i = 0; i < 10_000; i++) {
      const candidate = `${stem}${i === 0 ? '' : `-${i}`}.ipynb`;
      if (!(await this.exists(candidate))) return candidate;
    }
    throw new NotebookError('No free notebook name', 409);
  }

  async rename(from: string, to: string): Promise<void> {
    const source = await this.pathOf(from, true);
    const target = await this.pathOf(to, false);
    if (from === to) return;
    if (await this.exists(to)) throw new NotebookError(`Notebook "${to}" already exists`, 409);
    await rename(source, target);
  }

  async duplicate(from: string, to?: string): Promise<OpenedNotebook> {
    const source = await this.pathOf(from, true);
    const text = await readFile(source, 'utf8');
    let notebook: Notebook;
    try {
      notebook = parseNotebook(text, from);
    } catch (err) {
      throw new NotebookError((err as Error).message, 422);
    }
    return this.create(to ?? (await this.freeName(from.replace(/\.ipynb$/, '') + '-copy')), notebook);
  }

  async remove(name: string): Promise<void> {
    await unlink(await this.pathOf(name, true));
  }
}
