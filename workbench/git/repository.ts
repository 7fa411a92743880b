import { mkdir, readFile, readdir, realpath, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '../atomic-file.ts';
import { changedBetween, localChanges, worktreeBlob } from './changes.ts';
import { prepareCredentials, type GitCredentials, type PreparedCredentials } from './credentials.ts';
import { Git, GitError } from './git.ts';

/**
 * The notebooks folder as part of a git working copy: each notebook's state, Commit (author = the signed-in
 * person) and, when the workbench manages the working copy (a configured remote), fetch, pull and push.
 *
 * Pulling never loses a local edit. A file changed both here (saved or committed but not pushed) and upstream
 * keeps the local version under its name, and the upstream version is written beside it as a copy,
 * `<name> (incoming <commit>).ipynb`. Notebooks are JSON, so git's line merge is never trusted with one that
 * changed on both sides. Local edits that a pull must move out of git's way are first copied under
 * .git/trailbook-pull/, and put back at the next start if the process died in between.
 *
 * One git operation runs at a time (a queue), so a commit never races a pull.
 */

export interface Author {
  name: string;
  email: string;
}

export type GitFileStatus = 'clean' | 'new' | 'modified' | 'deleted' | 'conflict' | 'ignored';

export interface GitFileState {
  status: GitFileStatus;
  /** Upstream has a change to this notebook that a pull would bring. */
  behind: boolean;
}

export interface GitSummary {
  /** True when the workbench pulls and pushes (a configured remote); false for your own working copy. */
  managed: boolean;
  branch: string;
  /** The remote's URL (never with credentials), when there is one. */
  remote?: string;
  /** Local commits not pushed yet, and upstream commits not pulled yet (as of the last fetch). */
  ahead: number;
  behind: number;
  /** Notebooks upstream that are not here yet. */
  incoming: string[];
  lastFetch?: string;
  /** The last fetch, pull or push problem, until one succeeds. */
  lastError?: string;
}

export interface GitStates {
  summary: GitSummary;
  /** By notebook name (its path inside the notebooks folder, as the store lists it); absent: tracked and unchanged. */
  files: Record<string, GitFileState>;
}

export interface PullResult {
  upToDate: boolean;
  /** A merge commit was needed (local commits and upstream ones). */
  merged: boolean;
  /** Files in the notebooks folder that the pull changed, added or removed. */
  updated: string[];
  /** Conflicts: the local version kept its name, upstream's went to `copy`. */
  copies: Array<{ name: string; copy: string }>;
}

export interface CommitResult {
  commit: string;
  pushed: boolean;
  /** Why it was not pushed (your own working copy, or the push failed: it is retried with the next sync). */
  notPushed?: string;
  pull?: PullResult;
}

/** A request the repository cannot do, with the HTTP status the API answers it with. */
export class RepositoryError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 502,
  ) {
    super(message);
  }
}

export interface RemoteOptions {
  url: string;
  branch: string;
  credentials?: GitCredentials;
}

export interface ManagedOptions {
  /** The working copy's root (created and cloned into when empty or missing). */
  root: string;
  /** The notebooks folder inside it, e.g. `notebooks` ('' for the root). */
  path: string;
  remote: RemoteOptions;
  /** Who commits merges, and the committer of every commit (the author is the person). */
  committer: Author;
  log?: (line: string) => void;
}

const PULL_BACKUP = 'trailbook-pull';
const COPY_NAME = /[^A-Za-z0-9 ._()-]/g;
const MAX_STEM = 121;

/** Paths in git are always `/`-separated. */
const posix = (path: string) => path.split(sep).join('/');

export class NotebookRepository {
  private queue: Promise<unknown> = Promise.resolve();
  private lastFetch?: Date;
  private lastError?: string;
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly git: Git,
    /** Notebooks folder relative to the root, '' or ending in '/'. */
    private readonly prefix: string,
    private readonly branch: string,
    private readonly remote: RemoteOptions | undefined,
    private readonly committer: Author | undefined,
    private readonly credentials: PreparedCredentials | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Your own working copy (local use: the project's notebooks/): states and Commit, but no pull or push —
   * the workbench does not move your branches. Undefined when the folder is not inside a git working copy.
   */
  static async local(notebookDir: string, log: (line: string) => void = () => {}): Promise<NotebookRepository | undefined> {
    const dir = await realpath(notebookDir);
    const probe = new Git(dir);
    let root: string;
    try {
      root = await probe.text(['rev-parse', '--show-toplevel']);
    } catch (err) {
      if (err instanceof GitError) return undefined;
      throw err;
    }
    const git = new Git(root);
    const branch = (await git.run(['symbolic-ref', '--short', '-q', 'HEAD'], { ok: [1] })).stdout.toString().trim() || 'HEAD';
    const path = posix(relative(await realpath(root), dir));
    return new NotebookRepository(git, path ? `${path}/` : '', branch, undefined, undefined, undefined, log);
  }

  /**
   * The working copy the workbench manages: created (init + fetch, never overwriting a file already in the
   * folder) or reused, recovered from an interrupted pull, then pulled. A network failure does not stop the
   * start: the notebooks are served and `lastError` says why the pull failed.
   */
  static async managed(options: ManagedOptions): Promise<NotebookRepository> {
    const { root, remote } = options;
    await mkdir(root, { recursive: true });
    const credentials = await prepareCredentials(remote.url, remote.credentials ?? { kind: 'none' });
    const git = new Git(root, credentials.env);
    const prefix = options.path ? `${posix(options.path).replace(/\/+$/, '')}/` : '';
    const repo = new NotebookRepository(git, prefix, remote.branch, remote, options.committer, credentials, options.log ?? (() => {}));
    await repo.prepare();
    try {
      await repo.pull();
    } catch (err) {
      repo.log(`git: first pull from ${remote.url} failed, serving the local copy: ${(err as Error).message}`);
    }
    return repo;
  }

  /** Where the notebooks are: the store's directory. */
  get notebookDir(): string {
    return join(this.git.cwd, this.prefix);
  }

  get managed(): boolean {
    return this.remote !== undefined;
  }

  /** Fetches every `intervalMs` (never touching the working tree), so "behind" shows without a pull. */
  startFetching(intervalMs: number): void {
    if (!this.remote || this.timer) return;
    this.timer = setInterval(() => void this.fetch().catch(() => {}), intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.queue.catch(() => {});
    await this.credentials?.dispose();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private get upstream(): string {
    return `refs/remotes/origin/${this.branch}`;
  }

  /** Makes the root a working copy of the remote's branch, and puts back what an interrupted pull set aside. */
  private async prepare(): Promise<void> {
    const { git, remote } = this;
    const inside = await git.run(['rev-parse', '--show-toplevel'], { ok: [128] });
    const isRoot = inside.code === 0 && (await realpath(inside.stdout.toString().trim())) === (await realpath(git.cwd));
    if (!isRoot) {
      await git.run(['init', '-q', '-b', this.branch]);
      this.log(`git: new working copy of ${remote!.url} (${this.branch}) in ${git.cwd}`);
    }
    const current = await git.run(['remote', 'get-url', 'origin'], { ok: [2] });
    if (current.code === 2) await git.run(['remote', 'add', 'origin', remote!.url]);
    else if (current.stdout.toString().trim() !== remote!.url) await git.run(['remote', 'set-url', 'origin', remote!.url]);
    const head = (await git.run(['symbolic-ref', '--short', '-q', 'HEAD'], { ok: [1] })).stdout.toString().trim();
    if (head !== this.branch) {
      throw new RepositoryError(`the working copy in ${git.cwd} is on branch "${head}", not "${this.branch}" (TRAILBOOK_GIT_BRANCH): switch it or point TRAILBOOK_GIT_CHECKOUT elsewhere`, 409);
    }
    await this.restoreSetAside();
  }

  private async gitDir(): Promise<string> {
    return join(this.git.cwd, await this.git.text(['rev-parse', '--git-dir']));
  }

  /** Fetches the branch; an empty remote (no such branch yet) is not an error. */
  async fetch(): Promise<void> {
    if (!this.remote) return;
    await this.exclusive(() => this.fetchNow());
  }

  private async fetchNow(): Promise<void> {
    try {
      const result = await this.git.run(['fetch', '-q', '--no-tags', 'origin', `+refs/heads/${this.branch}:${this.upstream}`], { ok: [128] });
      if (result.code === 128) {
        if (!/couldn't find remote ref/i.test(result.stderr)) throw new GitError(['fetch'], 128, result.stderr);
        // Nothing to pull yet; the first commit creates the branch.
        await this.git.run(['update-ref', '-d', this.upstream]);
      }
      this.lastFetch = new Date();
      this.lastError = undefined;
    } catch (err) {
      this.lastError = `fetch from ${this.remote!.url}: ${(err as Error).message}`;
      throw new RepositoryError(this.lastError, 502);
    }
  }

  /** Each notebook's state and the branch's, from git status and the last fetch. */
  async states(): Promise<GitStates> {
    return this.exclusive(async () => {
      const { git, prefix } = this;
      const local = await localChanges(git, [prefix || '.']);
      const upstream = this.remote ? this.upstream : await this.trackedUpstream();
      const head = await git.resolve('HEAD');
      const tip = upstream ? await git.resolve(upstream) : undefined;
      let ahead = 0;
      let behind = 0;
      let incoming = new Map<string, string | null>();
      if (tip && head) {
        [ahead, behind] = (await git.text(['rev-list', '--left-right', '--count', `${head}...${tip}`])).split(/\s+/).map(Number);
        const base = await this.mergeBase(head, tip);
        incoming = await changedBetween(git, base, tip, [prefix || '.']);
      } else if (tip) {
        behind = Number(await git.text(['rev-list', '--count', tip]));
        incoming = await changedBetween(git, undefined, tip, [prefix || '.']);
      } else if (head) {
        ahead = Number(await git.text(['rev-list', '--count', head]));
      }
      const files: Record<string, GitFileState> = {};
      // Notebook names are paths inside the notebooks folder (sub/x.ipynb), as the store lists them.
      const notebook = (path: string) => (path.startsWith(prefix) && path.endsWith('.ipynb') ? path.slice(prefix.length) : undefined);
      for (const [path, change] of local) {
        const name = notebook(path);
        if (name) files[name] = { status: change, behind: false };
      }
      const arriving: string[] = [];
      for (const path of incoming.keys()) {
        const name = notebook(path);
        if (!name) continue;
        if (files[name]) files[name].behind = true;
        else if (await worktreeBlob(git, path)) files[name] = { status: 'clean', behind: true };
        else arriving.push(name);
      }
      return {
        summary: {
          managed: this.managed,
          branch: this.branch,
          remote: this.remote?.url ?? (await this.remoteUrl()),
          ahead,
          behind,
          incoming: arriving.sort(),
          lastFetch: this.lastFetch?.toISOString(),
          lastError: this.lastError,
        },
        files,
      };
    });
  }

  /** The state of one notebook; 'clean' for tracked and unchanged. */
  async stateOf(name: string): Promise<GitFileState> {
    return (await this.states()).files[name] ?? { status: 'clean', behind: false };
  }

  private async trackedUpstream(): Promise<string | undefined> {
    const result = await this.git.run(['rev-parse', '--symbolic-full-name', '@{upstream}'], { ok: [128] });
    return result.code === 0 ? result.stdout.toString().trim() || undefined : undefined;
  }

  private async remoteUrl(): Promise<string | undefined> {
    const upstream = await this.git.run(['config', '--get', `branch.${this.branch}.remote`], { ok: [1] });
    const name = upstream.stdout.toString().trim();
    if (!name) return undefined;
    const url = (await this.git.run(['remote', 'get-url', name], { ok: [2, 128] })).stdout.toString().trim();
    return url ? redact(url) : undefined;
  }

  private async mergeBase(a: string, b: string): Promise<string | undefined> {
    const result = await this.git.run(['merge-base', a, b], { ok: [1] });
    return result.code === 0 ? result.stdout.toString().trim() : undefined;
  }

  private async isAncestor(ancestor: string, of: string): Promise<boolean> {
    return (await this.git.run(['merge-base', '--is-ancestor', ancestor, of], { ok: [1] })).code === 0;
  }

  /**
   * Commits one notebook (its new content, or its deletion) with the person as author. In a managed working
   * copy the commit is then pushed, pulling first when upstream moved on (conflicts keep both versions).
   */
  async commit(name: string, message: string, author: Author | undefined): Promise<CommitResult> {
    const text = message.trim();
    if (!text) throw new RepositoryError('a commit needs a message', 400);
    if (text.length > 5000) throw new RepositoryError('the commit message is longer than 5000 characters', 400);
    if (author && (!author.email.includes('@') || /[<>\n]/.test(author.name + author.email))) throw new RepositoryError(`not a usable author: ${author.name} <${author.email}>`, 400);
    return this.exclusive(async () => {
      const path = this.prefix + name;
      const change = (await localChanges(this.git, [path])).get(path);
      if (!change) throw new RepositoryError(`"${name}" has no changes to commit`, 409);
      if (change === 'ignored') throw new RepositoryError(`"${name}" is ignored by .gitignore`, 409);
      if (change === 'conflict') throw new RepositoryError(`"${name}" has an unresolved merge conflict`, 409);
      const env: Record<string, string> = {};
      if (author) Object.assign(env, { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email });
      if (this.committer) Object.assign(env, { GIT_COMMITTER_NAME: this.committer.name, GIT_COMMITTER_EMAIL: this.committer.email });
      // Neither (your own working copy, token sign-in): git's own user.name and user.email.
      await this.git.run(['add', '-A', '--', path]);
      // Only this path: anything else you staged stays staged and out of this commit.
      await this.git.run(['commit', '-q', '--no-edit', '-m', text, '--only', '--', path], { env });
      const commit = await this.git.text(['rev-parse', 'HEAD']);
      this.log(`git: ${name} committed as ${commit.slice(0, 7)}${author ? ` by ${author.email}` : ''}`);
      if (!this.remote) return { commit, pushed: false, notPushed: 'your own working copy: push it with git when you are ready' };
      try {
        const pull = await this.pushNow();
        return { commit, pushed: true, ...(pull ? { pull } : {}) };
      } catch (err) {
        return { commit, pushed: false, notPushed: (err as Error).message };
      }
    });
  }

  /** Fetches and brings upstream's commits in (keeping both versions of any conflict), then pushes what is ahead. */
  async pull(): Promise<PullResult> {
    if (!this.remote) throw new RepositoryError('the notebooks are in your own working copy: pull with git yourself', 409);
    return this.exclusive(async () => {
      await this.fetchNow();
      const result = await this.integrate();
      if (await this.aheadOfUpstream()) await this.pushNow().catch((err) => this.log(`git: push after pull failed: ${(err as Error).message}`));
      return result;
    });
  }

  private async aheadOfUpstream(): Promise<boolean> {
    const head = await this.git.resolve('HEAD');
    if (!head) return false;
    const tip = await this.git.resolve(this.upstream);
    return !tip || !(await this.isAncestor(head, tip));
  }

  /** Pushes HEAD to the branch; when upstream moved on, pulls (merging) and tries again. Returns that pull. */
  private async pushNow(): Promise<PullResult | undefined> {
    let pulled: PullResult | undefined;
    for (let attempt = 1; ; attempt++) {
      const result = await this.git.run(['push', '--porcelain', 'origin', `HEAD:refs/heads/${this.branch}`], { ok: [1, 128] });
      if (result.code === 0) {
        await this.git.run(['update-ref', this.upstream, 'HEAD']);
        this.lastError = undefined;
        return pulled;
      }
      const output = result.stdout.toString() + result.stderr;
      const rejected = /\[rejected\]|non-fast-forward|fetch first/.test(output);
      if (!rejected || attempt === 3) {
        this.lastError = `push to ${this.remote!.url}: ${output.trim().split('\n').slice(-3).join(' ')}`;
        throw new RepositoryError(this.lastError, 502);
      }
      await this.fetchNow();
      const again = await this.integrate();
      pulled = pulled ? { ...again, updated: [...pulled.updated, ...again.updated], copies: [...pulled.copies, ...again.copies] } : again;
    }
  }

  /**
   * Brings the fetched upstream into the working copy. Both-sided changes: the local side keeps the name and
   * upstream's version becomes a copy. A local delete of a file upstream changed, or upstream's delete of a
   * file changed here, is no conflict: the side with content wins, so no content is lost.
   */
  private async integrate(): Promise<PullResult> {
    const { git } = this;
    const tip = await git.resolve(this.upstream);
    const head = await git.resolve('HEAD');
    const unchanged: PullResult = { upToDate: true, merged: false, updated: [], copies: [] };
    if (!tip || (head && (head === tip || (await this.isAncestor(tip, head))))) return unchanged;

    const base = head ? await this.mergeBase(head, tip) : undefined;
    const theirs = await changedBetween(git, base, tip);
    const ours = head ? await changedBetween(git, base, head) : new Map<string, string | null>();
    const local = await localChanges(git);

    // Uncommitted local edits of files upstream changed: set aside (backed up first), put back after the merge.
    const aside: SetAside[] = [];
    const conflicts = new Map<string, string>(); // path → upstream blob to write as a copy
    const keepOurs: string[] = [];
    const takeTheirs: string[] = [];
    for (const [path, theirBlob] of theirs) {
      // The committed side: merged as ours (or theirs, if ours deleted it) instead of by git's line merge.
      let mine: string | null | undefined = ours.has(path) ? ours.get(path)! : undefined;
      if (mine !== undefined && mine !== theirBlob) (mine === null ? takeTheirs : keepOurs).push(path);
      const change = local.get(path);
      if (change && change !== 'ignored') {
        mine = await worktreeBlob(git, path);
        aside.push({ path, content: mine ? await readFile(join(git.cwd, path)) : null, tracked: change !== 'new' });
      }
      if (mine && theirBlob && mine !== theirBlob) conflicts.set(path, theirBlob);
    }
    await this.setAside(aside, head);

    const fastForward = !head || (await this.isAncestor(head, tip));
    try {
      if (fastForward) {
        await git.run(['merge', '-q', '--ff-only', tip]);
      } else {
        await git.run(['merge', '-q', '--no-ff', '--no-commit', '--no-edit', tip], { ok: [1] });
        if (!(await this.inMerge())) throw new RepositoryError('git refused the merge (files in the way); nothing was changed', 409);
        for (const path of keepOurs) {
          if (await git.resolve(`HEAD:${path}`)) await git.run(['checkout', 'HEAD', '--', path]);
          else await git.run(['rm', '-q', '-f', '--', path]);
        }
        for (const path of takeTheirs) await git.run(['checkout', tip, '--', path]);
        const unmerged = await git.list(['diff', '--name-only', '--diff-filter=U', '-z']);
        if (unmerged.length) throw new RepositoryError(`unexpected merge conflicts in ${unmerged.join(', ')}`, 409);
        const kept = [...conflicts.keys()].map((path) => path.split('/').pop());
        const message = `Merge origin/${this.branch} into the workbench${kept.length ? ` (both versions kept of ${kept.join(', ')})` : ''}`;
        await git.run(['commit', '-q', '--no-verify', '-m', message], { env: this.identityEnv() });
      }
    } catch (err) {
      if (await this.inMerge()) await git.run(['merge', '--abort'], { ok: [128] });
      await this.restoreSetAside();
      throw err instanceof RepositoryError ? err : new RepositoryError(`pull failed: ${(err as Error).message}`, 409);
    }

    // Put back every local edit, then write upstream's side of each conflict as a copy.
    const copies: PullResult['copies'] = [];
    await this.restoreSetAside();
    const short = tip.slice(0, 7);
    for (const [path, blob] of conflicts) {
      const copy = await this.freeCopyName(path, short);
      await writeFileAtomic(join(git.cwd, copy), (await git.run(['cat-file', 'blob', blob])).stdout);
      copies.push({ name: path.slice(this.prefix.length), copy: copy.slice(this.prefix.length) });
      this.log(`git: ${path} changed here and upstream: kept yours, upstream's is ${copy}`);
    }
    const inFolder = (path: string) => path.startsWith(this.prefix);
    const updated = [...theirs.keys()].filter((path) => inFolder(path) && !conflicts.has(path)).map((path) => path.slice(this.prefix.length));
    return { upToDate: false, merged: !fastForward, updated: updated.sort(), copies: copies.filter((c) => inFolder(this.prefix + c.name)) };
  }

  private identityEnv(): Record<string, string> {
    const who = this.committer!;
    return { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email };
  }

  private async inMerge(): Promise<boolean> {
    return (await this.git.resolve('MERGE_HEAD')) !== undefined;
  }

  /** `<stem> (incoming <commit>)<ext>` beside the file, numbered if taken, within the workbench's name rules. */
  private async freeCopyName(path: string, short: string): Promise<string> {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash + 1);
    const file = path.slice(slash + 1);
    const dot = file.endsWith('.ipynb') ? file.length - '.ipynb'.length : file.lastIndexOf('.') > 0 ? file.lastIndexOf('.') : file.length;
    const ext = file.slice(dot);
    const stem = file.slice(0, dot).replace(COPY_NAME, '-').replace(/^[^A-Za-z0-9]+/, '') || 'notebook';
    for (let n = 1; ; n++) {
      const suffix = ` (incoming ${short}${n > 1 ? ` ${n}` : ''})`;
      const candidate = `${dir}${stem.slice(0, MAX_STEM - suffix.length)}${suffix}${ext}`;
      if (!(await exists(join(this.git.cwd, candidate)))) return candidate;
    }
  }

  /** Backs up each file's bytes under .git, then hands the path back to git (HEAD's version, or no file). */
  private async setAside(items: SetAside[], head: string | undefined): Promise<void> {
    if (!items.length) return;
    const backup = join(await this.gitDir(), PULL_BACKUP);
    await mkdir(backup, { recursive: true });
    // One manifest, written last and atomically: a backup counts only once it is complete.
    const manifest: Array<{ path: string; file: string | null }> = [];
    for (const [i, item] of items.entries()) {
      let file: string | null = null;
      if (item.content) {
        file = `${i}`;
        await writeFileAtomic(join(backup, file), item.content);
      }
      manifest.push({ path: item.path, file });
    }
    await writeFileAtomic(join(backup, 'manifest.json'), JSON.stringify(manifest));
    for (const item of items) {
      if (item.tracked && head) {
        await this.git.run(['reset', '-q', head, '--', item.path]);
        if (await this.git.resolve(`HEAD:${item.path}`)) {
          await this.git.run(['checkout', '--', item.path]);
          continue;
        }
      } else if (item.tracked) {
        await this.git.run(['rm', '-q', '--cached', '--ignore-unmatch', '--', item.path]);
      }
      await unlink(join(this.git.cwd, item.path)).catch((err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      });
    }
  }

  /** Writes back every backed-up local edit (after a pull, or at start after an interrupted one). */
  private async restoreSetAside(): Promise<void> {
    const backup = join(await this.gitDir(), PULL_BACKUP);
    let manifest: Array<{ path: string; file: string | null }>;
    try {
      manifest = JSON.parse(await readFile(join(backup, 'manifest.json'), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // An incomplete backup (no manifest) was taken before anything was handed to git: nothing to restore.
        await rm(backup, { recursive: true, force: true });
        return;
      }
      throw err;
    }
    for (const entry of manifest) {
      if (!entry.file) continue;
      const target = join(this.git.cwd, entry.path);
      const content = await readFile(join(backup, entry.file));
      const present = await readFile(target).catch(() => undefined);
      if (present?.equals(content)) continue;
      await mkdir(dirname(target), { recursive: true });
      await writeFileAtomic(target, content);
    }
    await rm(backup, { recursive: true, force: true });
  }
}

interface SetAside {
  path: string;
  /** The local bytes (null: deleted locally). */
  content: Buffer | null;
  tracked: boolean;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** A URL as shown to people: without any user or password in it. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The notebooks in a folder (for tests and seeding). */
export async function notebookFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.ipynb')).sort();
}
