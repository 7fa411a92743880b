import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { emptyNotebook, serialiseNotebook } from '../../../notebook/format.ts';

/** Real repositories for the git tests: a bare "remote" and a teammate's clone that pushes to it. */

/** A notebook whose only cell says `text`: real nbformat JSON as the workbench writes it. */
export function notebookText(text: string): string {
  return serialiseNotebook({ ...emptyNotebook(), cells: [{ cell_type: 'markdown', id: 'c1', metadata: {}, source: text }] });
}

/** git with a clean environment (no GIT_DIR from a hook, no global identity needed). */
export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH!,
      HOME: cwd, // no ~/.gitconfig of whoever runs the tests
      GIT_CONFIG_NOSYSTEM: '1',
      LC_ALL: 'C',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).replace(/\n$/, '');
}

export interface Scratch {
  dir: string;
  /** The bare repository (the "server" side). */
  bare: string;
  fileUrl: string;
  cleanup(): void;
}

/** A temp dir with a bare repository seeded on `main` with `files` (path → content) by the Seeder. */
export function scratchRemote(files: Record<string, string>): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'trailbook-git-'));
  const bare = join(dir, 'remote.git');
  git(dir, ['init', '-q', '--bare', '-b', 'main', bare]);
  const teammate = new Teammate(bare, join(dir, 'seeder'), { name: 'Seeder', email: 'seeder@example.com' });
  teammate.commit(files, 'Saved reports');
  return { dir, bare, fileUrl: `file://${bare}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Someone else working on the same repository from their own clone. */
export class Teammate {
  constructor(
    readonly remote: string,
    readonly dir: string,
    readonly who: { name: string; email: string },
  ) {
    mkdirSync(dirname(dir), { recursive: true });
    git(dirname(dir), ['clone', '-q', remote, dir]);
  }

  private env(): Record<string, string> {
    const { name, email } = this.who;
    return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
  }

  /** Pulls, writes the files (null deletes), commits and pushes. */
  commit(files: Record<string, string | null>, message: string): string {
    // An empty remote has no branch to pull yet.
    if (git(this.dir, ['ls-remote', '--heads', 'origin', 'main'])) git(this.dir, ['pull', '-q', '--ff-only', 'origin', 'main'], this.env());
    for (const [path, content] of Object.entries(files)) {
      const file = join(this.dir, path);
      if (content === null) rmSync(file);
      else {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
    }
    git(this.dir, ['add', '-A'], this.env());
    git(this.dir, ['commit', '-q', '-m', message], this.env());
    git(this.dir, ['push', '-q', 'origin', 'HEAD:main'], this.env());
    return git(this.dir, ['rev-parse', 'HEAD']);
  }
}

/** `path` as it is on the remote's main branch (undefined when absent). */
export function remoteFile(bare: string, path: string): string | undefined {
  try {
    return execFileSync('git', ['show', `main:${path}`], { cwd: bare, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return undefined;
  }
}

export const read = (path: string) => readFileSync(path, 'utf8');
