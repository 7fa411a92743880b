import { mkdir, stat } from 'node:fs/promises';
import { loadGitConfig } from './config.ts';
import { NotebookRepository } from './repository.ts';
import { describeSeed, seedNotebooks } from './seed.ts';

export interface PreparedNotebooks {
  /** The folder the store serves (inside the working copy when a remote is configured). */
  notebookDir: string;
  /** Undefined when git is off, or the folder is in no working copy. */
  repository?: NotebookRepository;
}

/**
 * Makes the notebook folder ready before the server starts (README "Configuration"): with TRAILBOOK_GIT_REMOTE,
 * the working copy is cloned or pulled; otherwise a fresh folder is seeded from TRAILBOOK_SEED_DIR (never over a
 * file), and the folder's own working copy, if any, gives states and Commit. A git failure is logged and the
 * notebooks are served without git rather than not at all.
 */
export async function prepareNotebooks(notebookDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<PreparedNotebooks> {
  const config = loadGitConfig(notebookDir, env);
  if (config.mode === 'off') return { notebookDir };
  if (config.mode === 'managed') {
    try {
      const repository = await NotebookRepository.managed({ root: config.checkout, path: config.path, remote: config.remote, committer: config.committer, log });
      repository.startFetching(config.fetchIntervalMs);
      log(`git: notebooks from ${config.remote.url} (${config.remote.branch}) in ${repository.notebookDir}`);
      return { notebookDir: config.notebookDir, repository };
    } catch (err) {
      log(`git: cannot use ${config.remote.url}, serving ${config.notebookDir} without git: ${(err as Error).message}`);
      return { notebookDir: config.notebookDir };
    }
  }
  await mkdir(notebookDir, { recursive: true });
  if (config.seedDir) {
    if (await stat(config.seedDir).then((info) => info.isDirectory(), () => false)) log(describeSeed(config.seedDir, await seedNotebooks(config.seedDir, notebookDir)));
    else log(`no notebooks seeded: TRAILBOOK_SEED_DIR ${config.seedDir} is not a folder`);
  }
  try {
    const repository = await NotebookRepository.local(notebookDir, log);
    if (repository) log(`git: ${notebookDir} is in a working copy: notebook states and Commit (no pull or push)`);
    return { notebookDir, repository };
  } catch (err) {
    log(`git: not used for ${notebookDir}: ${(err as Error).message}`);
    return { notebookDir };
  }
}
