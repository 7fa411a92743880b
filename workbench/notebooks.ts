import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { emptyNotebook, parseNotebook, serialiseNotebook, type Notebook } from '../notebook/format.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { KeyedLock } from './keyed-lock.ts';
import { versionOf, withNotebookId, type EncodeResult, type InspectResult, type ReportOptions } from './notebook-codec.ts';
import {
  ancestorsOf,
  checkFolderPath,
  checkNotebookPath,
  folderKey,
  movedWith,
  PathError,
  walkTree,
  type FolderEntry,
  type SkippedEntry,
} from './notebook-paths.ts';
import { notebookWorkers, type NotebookWorkers } from './notebook-pool.ts';

export { versionOf } from './notebook-codec.ts';

/**
 * The notebooks directory: list, open, create, rename, duplicate, delete, save, upload; folders
 * (create, move, delete) with notebooks in them, named by path (`folder/x.ipynb`).
 * - Every name is checked part by part to stay inside the directory (notebook-paths.ts), and every
 *   folder on the way must be a real directory, not a link.
 * - One writer per notebook: save, rename, duplicate, delete and create of a name run one at a time
 *   (a rename holds both names), so a save racing a rename either lands before it and moves with the
 *   file, or finds the name gone and is refused; it never re-creates the old name. Each also holds
 *   the keys of the folders above it, which a folder move or delete takes.
 * - Saves are atomic and refuse stale versions.
 * - Files are parsed, validated and serialised in worker threads (notebook-pool.ts), and files over
 *   the size limit are refused before they are read, so a huge notebook never blocks other requests.
 * - Each notebook carries a stable id (metadata.trailbook.id) that share links point at: assigned on
 *   create or first save or first share, kept by a rename, new for a duplicate.
 */

export class NotebookError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 410 | 413 | 422,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface NotebookEntry {
  name: string;
  size: number;
  modified: string;
  /** The notebook's stable id, when it has one. */
  id?: string;
  /** Present when the file is not a valid notebook (or too large to open); the file is left untouched. */
  error?: string;
}

export interface OpenedNotebook {
  name: string;
  /** Hash of the file bytes; the client sends it back when saving. */
  version: string;
  notebook: Notebook;
  /** What reading changed that the user should be told (nbformat upgrade, foreign kernelspec replaced). */
  notices?: string[];
}

/** The whole directory: notebooks (by path), folders, and what is not listed with the reason. */
export interface Listing {
  notebooks: NotebookEntry[];
  folders: FolderEntry[];
  skipped: SkippedEntry[];
}

export interface StoreOptions {
  /** Files larger than this are not opened, parsed or saved (413). Default 100 MB. */
  maxNotebookBytes?: number;
  workers?: NotebookWorkers;
}

export const DEFAULT_MAX_NOTEBOOK_MB = 100;
const MB = 1024 * 1024;
const formatMb = (bytes: number) => `${(bytes / MB).toFixed(1).replace(/\.0$/, '')} MB`;

/** A notebook name (`x.ipynb` or `folder/x.ipynb`), checked; 400 otherwise. */
export function checkName(name: string): string {
  return asNotebookError(() => checkNotebookPath(name));
}

/** A folder path (`a` or `a/b`), checked; 400 otherwise. */
export function checkFolder(path: string): string {
  return asNotebookError(() => checkFolderPath(path));
}

function asNotebookError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof PathError ? new NotebookError(err.message, 400) : err;
  }
}

/** What the store knows of a file, keyed by its identity (inode, size, mtime) so an unchanged file is not read again. */
interface FileState {
  key: string;
  size: number;
  tooLarge?: boolean;
  version?: string;
  id?: string;
  error?: string;
  issues?: string[];
}

export class NotebookStore {
  private realDir?: string;
  private readonly locks = new KeyedLock();
  private readonly files = new Map<string, FileState>();
  /** Old name → new name of recent renames, so a save to the old name can say where the notebook went. */
  private readonly renamed = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<InspectResult>>();
  readonly maxNotebookBytes: number;
  private readonly workers: NotebookWorkers;

  constructor(
    readonly dir: string,
    options: StoreOptions = {},
  ) {
    this.maxNotebookBytes = options.maxNotebookBytes ?? DEFAULT_MAX_NOTEBOOK_MB * MB;
    this.workers = options.workers ?? notebookWorkers();
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.realDir = await realpath(this.dir);
  }

  /** The directory's real path. */
  private async root(): Promise<string> {
    if (!this.realDir) await this.init();
    return this.realDir!;
  }

  /**
   * Checks that each folder of a path is a real directory inside the notebooks directory: 404 when one
   * is missing, 400 when one is a link or a file.
   */
  private async checkFolders(folders: string[], shown: string): Promise<void> {
    const root = await this.root();
    for (const folder of folders) {
      let info;
      try {
        info = await lstat(join(root, ...folder.split('/')));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotebookError(`Folder "${folder}" not found (for "${shown}")`, 404, { folder });
        throw err;
      }
      if (info.isSymbolicLink()) throw new NotebookError(`Folder "${folder}" is a link: folders must be real directories inside the notebooks directory`, 400);
      if (!info.isDirectory()) throw new NotebookError(`"${folder}" is not a folder`, 400);
    }
  }

  /** The lock keys of a notebook operation on these names: the names and every folder above them. */
  private keys(...names: string[]): string[] {
    return [...names, ...names.flatMap((n) => ancestorsOf(n).map(folderKey))];
  }

  /** Resolves a checked name; refuses folders that are links, and file links that lead outside the directory. */
  private async pathOf(name: string, mustExist: boolean): Promise<string> {
    checkName(name);
    await this.checkFolders(ancestorsOf(name), name);
    const path = join(await this.root(), ...name.split('/'));
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
        if (mustExist) throw this.notFound(name);
      } else throw err;
    }
    return path;
  }

  private notFound(name: string): NotebookError {
    const to = this.renamed.get(name);
    return new NotebookError(to ? `Notebook "${name}" was renamed to "${to}"` : `Notebook "${name}" not found`, 404, to ? { renamedTo: to } : {});
  }

  private tooLarge(name: string, size: number): NotebookError {
    return new NotebookError(`Notebook "${name}" is ${this.tooLargeText(size)}`, 413, { size, limit: this.maxNotebookBytes });
  }

  private tooLargeText(size: number): string {
    return `too large to open (${formatMb(size)}, limit ${formatMb(this.maxNotebookBytes)})`;
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.pathOf(name, true); // lstat (and realpath for links) already proves the file is there
      return true;
    } catch (err) {
      if (err instanceof NotebookError && err.status === 404) return false; // the file or its folder is missing
      throw err;
    }
  }

  /** The file's state (size, version, id, validity), reading it in a worker only when it changed. Undefined: no file. */
  private async state(name: string, path: string): Promise<FileState | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    const cached = this.files.get(name);
    if (cached?.key === key) return cached;
    if (info.size > this.maxNotebookBytes) return this.remember(name, { key, size: info.size, tooLarge: true });
    const result = await this.workers.inspect({ path, name, maxBytes: this.maxNotebookBytes, output: 'none' });
    return this.fromInspection(name, key, result);
  }

  private fromInspection(name: string, key: string, result: InspectResult): FileState | undefined {
    switch (result.status) {
      case 'missing':
        this.files.delete(name);
        return undefined;
      case 'tooLarge':
        return this.remember(name, { key, size: result.size, tooLarge: true });
      case 'invalid':
        return this.remember(name, { key, size: result.size, version: result.version, error: result.message, issues: result.issues });
      case 'ok':
        return this.remember(name, { key, size: result.size, version: result.version, id: result.id });
    }
  }

  private remember(name: string, state: FileState): FileState {
    this.files.set(name, state);
    return state;
  }

  /** Records what was just written, so the next save or listing need not read it back. */
  private async wrote(name: string, path: string, bytes: Uint8Array, id: string): Promise<string> {
    const info = await stat(path);
    const version = versionOf(bytes);
    this.remember(name, { key: `${info.ino}:${info.size}:${info.mtimeMs}`, size: bytes.length, version, id });
    return version;
  }

  /** Every notebook, in every folder. */
  async list(): Promise<NotebookEntry[]> {
    return (await this.listing()).notebooks;
  }

  /** Notebooks, folders and what is not listed (with the reason), for the file browser. */
  async listing(): Promise<Listing> {
    const tree = await walkTree(await this.root());
    const names = tree.notebooks;
    const entries = await Promise.all(
      names.map(async (file): Promise<NotebookEntry> => {
        try {
          const path = await this.pathOf(file, true);
          const info = await stat(path);
          const entry: NotebookEntry = { name: file, size: info.size, modified: info.mtime.toISOString() };
          const state = await this.state(file, path);
          if (state?.tooLarge) entry.error = this.tooLargeText(state.size);
          else if (state?.error !== undefined) entry.error = state.error;
          if (state?.id) entry.id = state.id;
          return entry;
        } catch (err) {
          return { name: file, size: 0, modified: new Date(0).toISOString(), error: (err as Error).message };
        }
      }),
    );
    const seen = new Set(names);
    for (const name of this.files.keys()) if (!seen.has(name)) this.files.delete(name);
    return { notebooks: entries, folders: tree.folders, skipped: tree.skipped };
  }

  /** The name of the notebook with this id (the hinted name first, then every file), or undefined. */
  async findById(id: string, hint?: string): Promise<string | undefined> {
    if (hint) {
      try {
        if ((await this.state(hint, await this.pathOf(hint, true)))?.id === id) return hint;
      } catch {
        // the hint is only a shortcut
      }
    }
    return (await this.list()).find((e) => e.id === id)?.name;
  }

  /**
   * Reads and checks a notebook in a worker; throws 404, 413 or 422 as the API answers them. Identical
   * requests for an unchanged file while one is being read share that read (six tabs opening the same
   * 90 MB notebook cost one parse, not six).
   */
  private async inspect(name: string, output: 'object' | 'body' | 'report', report?: ReportOptions) {
    const path = await this.pathOf(name, true);
    const info = await stat(path);
    if (info.size > this.maxNotebookBytes) throw this.tooLarge(name, info.size);
    const key = `${info.ino}:${info.size}:${info.mtimeMs}`;
    // Parsed objects are not shared: each caller may change its own.
    const flightKey = output === 'object' ? undefined : JSON.stringify([name, key, output, report ?? null]);
    let pending = flightKey ? this.inFlight.get(flightKey) : undefined;
    if (!pending) {
      pending = this.workers.inspect({ path, name, maxBytes: this.maxNotebookBytes, output, report });
      if (flightKey) {
        this.inFlight.set(flightKey, pending);
        const forget = () => this.inFlight.delete(flightKey);
        pending.then(forget, forget);
      }
    }
    const result = await pending;
    this.fromInspection(name, key, result);
    if (result.status === 'missing') throw this.notFound(name);
    if (result.status === 'tooLarge') throw this.tooLarge(name, result.size);
    if (result.status === 'invalid') throw new NotebookError(result.message, 422, { issues: result.issues });
    return result;
  }

  async open(name: string): Promise<OpenedNotebook> {
    const result = await this.inspect(name, 'object');
    return { name, version: result.version, notebook: result.notebook!, notices: result.notices ?? [] };
  }

  /** The API's answer to opening a notebook, as JSON bytes made in a worker (`{ name, version, notebook, notices }`). */
  async openBody(name: string): Promise<{ version: string; body: Buffer }> {
    const result = await this.inspect(name, 'body');
    return { version: result.version, body: toBuffer(result.payload!) };
  }

  /** The read-only report HTML of a notebook, rendered in a worker. */
  async report(name: string, options: ReportOptions): Promise<Buffer> {
    return toBuffer((await this.inspect(name, 'report', options)).payload!);
  }

  async currentVersion(name: string): Promise<string | undefined> {
    return (await this.state(name, await this.pathOf(name, false)))?.version;
  }

  /**
   * The notebook's stable id, assigning one (a save of the file with only the id added) when it has
   * none yet. Returns the version after that save, so an editor holding the file can carry on.
   */
  async ensureId(name: string): Promise<{ id: string; version: string; assigned: boolean }> {
    return this.locks.run(this.keys(name), async () => {
      const path = await this.pathOf(name, true);
      const current = await this.state(name, path);
      if (!current) throw this.notFound(name);
      if (current.tooLarge) throw this.tooLarge(name, current.size);
      if (current.error !== undefined) throw new NotebookError(current.error, 422, { issues: current.issues ?? [] });
      if (current.id) return { id: current.id, version: current.version!, assigned: false };
      const id = randomUUID();
      const encoded = await this.workers.encode({ name, id, source: { kind: 'file', path, maxBytes: this.maxNotebookBytes } });
      if (encoded.status === 'missing') throw this.notFound(name);
      if (encoded.status === 'tooLarge') throw this.tooLarge(name, encoded.size);
      if (encoded.status === 'invalid') throw new NotebookError(encoded.message, 422, { issues: encoded.issues });
      await writeFileAtomic(path, encoded.bytes);
      return { id, version: await this.wrote(name, path, encoded.bytes, id), assigned: true };
    });
  }

  /**
   * Saves only if the file is still at `baseVersion` (what the client loaded). The notebook keeps the
   * id of the file it replaces (ids are the server's, whatever the client sends).
   */
  async save(name: string, notebook: Notebook, baseVersion: string | null): Promise<string> {
    return this.write(name, async (id) => {
      const text = serialiseNotebook(withNotebookId(notebook, id));
      return { bytes: Buffer.from(text, 'utf8'), baseVersion };
    });
  }

  /** `save` for a raw API body (`{ notebook, version }` JSON), parsed, validated and serialised in a worker. */
  async saveBody(name: string, body: Uint8Array): Promise<string> {
    checkName(name);
    if (body.length > this.maxNotebookBytes) throw this.tooLarge(name, body.length);
    return this.write(name, async (id) => {
      const encoded = await this.workers.encode({ name, id, source: { kind: 'body', bytes: body } });
      if (encoded.status !== 'ok') {
        throw encoded.status === 'invalid' ? new NotebookError(encoded.message, 400, { issues: encoded.issues }) : new Error(`unexpected ${encoded.status}`);
      }
      return encoded;
    });
  }

  private async write(name: string, produce: (id: string) => Promise<{ bytes: Uint8Array; baseVersion: string | null }>): Promise<string> {
    return this.locks.run(this.keys(name), async () => {
      const path = await this.pathOf(name, false);
      const current = await this.state(name, path);
      if (current?.tooLarge) throw this.tooLarge(name, current.size);
      const id = current?.id ?? randomUUID();
      const { bytes, baseVersion } = await produce(id);
      if (current?.version !== (baseVersion ?? undefined)) {
        const to = this.renamed.get(name);
        throw new NotebookError(
          current === undefined
            ? to
              ? `Notebook "${name}" was renamed to "${to}" since you opened it`
              : `Notebook "${name}" was deleted since you opened it`
            : `Notebook "${name}" changed on disk since you opened it; reload it or save under another name`,
          409,
          { currentVersion: current?.version ?? null, ...(to && current === undefined ? { renamedTo: to } : {}) },
        );
      }
      if (bytes.length > this.maxNotebookBytes) throw this.tooLarge(name, bytes.length);
      await writeFileAtomic(path, bytes);
      this.renamed.delete(name);
      return this.wrote(name, path, bytes, id);
    });
  }

  /** Creates `name`, or a free `Untitled…` name in `folder` (default: the top of the directory). */
  async create(name?: string, notebook: Notebook = emptyNotebook(), folder = ''): Promise<OpenedNotebook> {
    if (folder) checkFolder(folder);
    return this.claimName(name, folder ? `${folder}/Untitled` : 'Untitled', async (chosen, path) => {
      const id = randomUUID();
      const text = serialiseNotebook(withNotebookId(notebook, id));
      await writeFileAtomic(path, text);
      const bytes = Buffer.from(text, 'utf8');
      return { name: chosen, version: await this.wrote(chosen, path, bytes, id), notebook: parseNotebook(text, chosen) };
    });
  }

  /**
   * Runs `fn` holding the lock of a name that does not exist yet: `name` (409 if taken) or a free
   * name from `stem` (retried if another writer takes it first). `extra` names are locked too.
   */
  private async claimName<T>(name: string | undefined, stem: string, fn: (name: string, path: string) => Promise<T>, extra: string[] = []): Promise<T> {
    if (name) checkName(name);
    for (let attempt = 0; attempt < 20; attempt++) {
      const chosen = name ?? (await this.freeName(stem));
      const outcome = await this.locks.run(this.keys(chosen, ...extra), async () => {
        const path = await this.pathOf(chosen, false);
        if (await this.exists(chosen)) {
          if (name) throw new NotebookError(`Notebook "${chosen}" already exists`, 409);
          return { retry: true as const };
        }
        return { retry: false as const, value: await fn(chosen, path) };
      });
      if (!outcome.retry) return outcome.value;
    }
    throw new NotebookError('No free notebook name', 409);
  }

  async freeName(stem: string): Promise<string> {
    for (let i = 0; i < 10_000; i++) {
      const candidate = `${stem}${i === 0 ? '' : `-${i}`}.ipynb`;
      if (!(await this.exists(candidate))) return candidate;
    }
    throw new NotebookError('No free notebook name', 409);
  }

  async rename(from: string, to: string): Promise<void> {
    checkName(from);
    checkName(to);
    await this.locks.run(this.keys(from, to), async () => {
      const source = await this.pathOf(from, true);
      const target = await this.pathOf(to, false);
      if (from === to) return;
      if (await this.exists(to)) throw new NotebookError(`Notebook "${to}" already exists`, 409);
      await rename(source, target);
      const state = this.files.get(from);
      this.files.delete(from);
      if (state) this.files.set(to, state); // same inode, size and mtime: the same file
      this.noteRename(from, to);
    });
  }

  /** Remembers where a notebook went, so a save to its old name can say so. */
  private noteRename(from: string, to: string): void {
    this.renamed.delete(to);
    this.renamed.set(from, to);
    for (const [old, now] of this.renamed) if (now === from) this.renamed.set(old, to);
    if (this.renamed.size > 1000) this.renamed.delete(this.renamed.keys().next().value!);
  }

  /** Copies a notebook under a new name with a new id (a copy is a different notebook: share links do not follow it). */
  async duplicate(from: string, to?: string): Promise<{ name: string; version: string; id: string }> {
    checkName(from);
    return this.claimName(
      to,
      from.replace(/\.ipynb$/, '') + '-copy',
      async (chosen, path) => {
        const source = await this.pathOf(from, true);
        const id = randomUUID();
        const encoded = await this.workers.encode({ name: from, id, source: { kind: 'file', path: source, maxBytes: this.maxNotebookBytes } });
        if (encoded.status === 'missing') throw this.notFound(from);
        if (encoded.status === 'tooLarge') throw this.tooLarge(from, encoded.size);
        if (encoded.status === 'invalid') throw new NotebookError(encoded.message, 422, { issues: encoded.issues });
        await writeFileAtomic(path, encoded.bytes);
        return { name: chosen, version: await this.wrote(chosen, path, encoded.bytes, id), id };
      },
      [from],
    );
  }

  /**
   * Adds a notebook file sent by the browser under `name` (409 if taken). It is read by the same loader
   * as an open (nbformat 4.0-4.5, a foreign kernelspec replaced) and the notices say what changed; a
   * file that is not a notebook is refused (422) with the reason, and nothing is written. It gets a new
   * id: an uploaded file is a new notebook, which share links of the original do not follow.
   */
  async upload(name: string, bytes: Uint8Array): Promise<{ name: string; version: string; notices: string[] }> {
    checkName(name);
    if (bytes.length > this.maxNotebookBytes) throw this.tooLarge(name, bytes.length);
    return this.claimName(name, '', async (chosen, path) => {
      const id = randomUUID();
      const encoded = await this.workers.encode({ name, id, source: { kind: 'upload', bytes } });
      if (encoded.status !== 'ok') throw this.encodeFailure(name, encoded);
      if (encoded.bytes.length > this.maxNotebookBytes) throw this.tooLarge(name, encoded.bytes.length);
      await writeFileAtomic(path, encoded.bytes);
      return { name: chosen, version: await this.wrote(chosen, path, encoded.bytes, id), notices: encoded.notices ?? [] };
    });
  }

  private encodeFailure(name: string, encoded: Exclude<EncodeResult, { status: 'ok' }>): NotebookError {
    if (encoded.status === 'missing') return this.notFound(name);
    if (encoded.status === 'tooLarge') return this.tooLarge(name, encoded.size);
    return new NotebookError(encoded.message, 422, { issues: encoded.issues });
  }

  /** The file of a notebook as it is on disk, for download (valid or not, whatever its size). */
  async file(name: string): Promise<{ path: string; size: number }> {
    const path = await this.pathOf(name, true);
    return { path, size: (await stat(path)).size };
  }

  /** The lock keys of a folder operation: the folder and those above it. */
  private folderKeys(...paths: string[]): string[] {
    return paths.flatMap((p) => [p, ...ancestorsOf(p)].map(folderKey));
  }

  private async existsOnDisk(path: string): Promise<boolean> {
    try {
      await lstat(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async createFolder(path: string): Promise<FolderEntry> {
    checkFolder(path);
    return this.locks.run(this.folderKeys(path), async () => {
      await this.checkFolders(ancestorsOf(path), path);
      const full = join(await this.root(), ...path.split('/'));
      if (await this.existsOnDisk(full)) throw new NotebookError(`"${path}" already exists`, 409);
      await mkdir(full);
      return { path, modified: (await lstat(full)).mtime.toISOString() };
    });
  }

  /**
   * Moves or renames a folder with everything in it. Holds the keys of both paths, so no notebook in it
   * is being written meanwhile. Returns the notebooks' old and new names (for kernel sessions).
   */
  async renameFolder(from: string, to: string): Promise<[from: string, to: string][]> {
    checkFolder(from);
    checkFolder(to);
    if (to === from) return [];
    if (to.startsWith(`${from}/`)) throw new NotebookError(`Cannot move folder "${from}" into itself ("${to}")`, 400);
    return this.locks.run(this.folderKeys(from, to), async () => {
      await this.checkFolders([...ancestorsOf(from), from], from);
      await this.checkFolders(ancestorsOf(to), to);
      const root = await this.root();
      const source = join(root, ...from.split('/'));
      const target = join(root, ...to.split('/'));
      if (await this.existsOnDisk(target)) throw new NotebookError(`"${to}" already exists`, 409);
      const inside = (await walkTree(source)).notebooks.map((n) => `${from}/${n}`);
      await rename(source, target);
      const moved = inside.map((name): [string, string] => [name, movedWith(name, from, to)!]);
      for (const [old, now] of moved) {
        const state = this.files.get(old);
        this.files.delete(old);
        if (state) this.files.set(now, state);
        this.noteRename(old, now);
      }
      return moved;
    });
  }

  /**
   * Deletes a folder with its notebooks and folders. Anything else in it (data files, hidden files) is
   * the user's to move or delete first: the folder is then refused (409), naming what is in the way.
   */
  async removeFolder(path: string): Promise<string[]> {
    checkFolder(path);
    return this.locks.run(this.folderKeys(path), async () => {
      await this.checkFolders([...ancestorsOf(path), path], path);
      const full = join(await this.root(), ...path.split('/'));
      const { notebooks, others } = await notebooksAndOthers(full);
      if (others.length) {
        const shown = others.slice(0, 5).map((o) => `${path}/${o}`).join(', ');
        throw new NotebookError(`Folder "${path}" holds files that are not notebooks (${shown}${others.length > 5 ? `, and ${others.length - 5} more` : ''}): move or delete them first`, 409, { others: others.length });
      }
      await rm(full, { recursive: true });
      const removed = notebooks.map((n) => `${path}/${n}`);
      for (const name of removed) this.files.delete(name);
      return removed;
    });
  }

  async remove(name: string): Promise<void> {
    checkName(name);
    await this.locks.run(this.keys(name), async () => {
      await unlink(await this.pathOf(name, true));
      this.files.delete(name);
    });
  }
}

/** Every entry under a folder: notebook files (relative paths), and anything that is neither a notebook nor a folder. */
async function notebooksAndOthers(dir: string, prefix = ''): Promise<{ notebooks: string[]; others: string[] }> {
  const found = { notebooks: [] as string[], others: [] as string[] };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = `${prefix}${entry.name}`;
    if (entry.isDirectory()) {
      const inner = await notebooksAndOthers(join(dir, entry.name), `${relative}/`);
      found.notebooks.push(...inner.notebooks);
      found.others.push(...inner.others);
    } else if (entry.isFile() && entry.name.endsWith('.ipynb') && !entry.name.startsWith('.')) found.notebooks.push(relative);
    else found.others.push(relative);
  }
  return found;
}

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
