import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { GitCredentials } from './credentials.ts';
import type { Author, RemoteOptions } from './repository.ts';

/**
 * Git settings from the environment (README "Configuration"):
 * - TRAILBOOK_GIT_REMOTE set: the workbench keeps a working copy of that repository's TRAILBOOK_GIT_BRANCH in
 *   TRAILBOOK_GIT_CHECKOUT (default `repository` inside the notebook dir) and serves its TRAILBOOK_GIT_PATH
 *   folder; it pulls at start, fetches every TRAILBOOK_GIT_FETCH_SECONDS and pushes each Commit.
 * - Unset: the notebook dir, when inside a git working copy (the project's own notebooks/), shows states and
 *   commits, but never pulls or pushes. TRAILBOOK_GIT=off turns git off altogether.
 * - TRAILBOOK_SEED_DIR (no remote): notebooks copied into a fresh notebook dir, never over an existing file.
 */

const GitEnv = z.object({
  TRAILBOOK_GIT: z.enum(['on', 'off']).default('on'),
  TRAILBOOK_GIT_REMOTE: z
    .string()
    .regex(/^(https?|ssh|file):\/\/\S+$|^[\w.-]+@[\w.-]+:\S+$/, 'TRAILBOOK_GIT_REMOTE must be an https://, ssh://, file:// or user@host:path URL')
    .optional(),
  TRAILBOOK_GIT_BRANCH: z.string().regex(/^(?!-)[\w./-]+$/, 'not a branch name').default('main'),
  TRAILBOOK_GIT_PATH: z
    .string()
    .regex(/^(?![/.])[\w ./-]*$/, 'TRAILBOOK_GIT_PATH is a folder inside the repository, e.g. notebooks')
    .refine((path) => !path.split('/').includes('..'), 'TRAILBOOK_GIT_PATH must stay inside the repository')
    .default('notebooks'),
  TRAILBOOK_GIT_CHECKOUT: z.string().optional(),
  TRAILBOOK_GIT_TOKEN: z.string().optional(),
  TRAILBOOK_GIT_USERNAME: z.string().default('x-access-token'),
  TRAILBOOK_GIT_SSH_KEY: z.string().optional(),
  TRAILBOOK_GIT_SSH_KNOWN_HOSTS: z.string().optional(),
  TRAILBOOK_GIT_COMMITTER_NAME: z.string().default('Trailbook workbench'),
  TRAILBOOK_GIT_COMMITTER_EMAIL: z.string().email().default('workbench@trailbook.invalid'),
  TRAILBOOK_GIT_FETCH_SECONDS: z.coerce.number().int().min(5).default(60),
  TRAILBOOK_SEED_DIR: z.string().optional(),
});

export type GitConfig =
  | { mode: 'off' }
  | { mode: 'local'; notebookDir: string; seedDir?: string }
  | {
      mode: 'managed';
      /** The working copy's root, and the notebooks folder inside it (what the store serves). */
      checkout: string;
      path: string;
      notebookDir: string;
      remote: RemoteOptions;
      committer: Author;
      fetchIntervalMs: number;
    };

export function loadGitConfig(notebookDir: string, env: NodeJS.ProcessEnv = process.env): GitConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('TRAILBOOK_') && value !== ''));
  const parsed = GitEnv.safeParse(present);
  if (!parsed.success) throw new Error(`Invalid git configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  if (e.TRAILBOOK_GIT === 'off') return { mode: 'off' };
  if (!e.TRAILBOOK_GIT_REMOTE) return { mode: 'local', notebookDir, seedDir: e.TRAILBOOK_SEED_DIR ? resolve(e.TRAILBOOK_SEED_DIR) : undefined };
  if (e.TRAILBOOK_GIT_TOKEN && e.TRAILBOOK_GIT_SSH_KEY) throw new Error('Invalid git configuration: give TRAILBOOK_GIT_TOKEN or TRAILBOOK_GIT_SSH_KEY, not both');
  const credentials: GitCredentials = e.TRAILBOOK_GIT_TOKEN
    ? { kind: 'token', token: e.TRAILBOOK_GIT_TOKEN, username: e.TRAILBOOK_GIT_USERNAME }
    : e.TRAILBOOK_GIT_SSH_KEY
      ? { kind: 'sshKey', privateKey: e.TRAILBOOK_GIT_SSH_KEY, knownHosts: e.TRAILBOOK_GIT_SSH_KNOWN_HOSTS }
      : { kind: 'none' };
  const checkout = resolve(e.TRAILBOOK_GIT_CHECKOUT ?? join(notebookDir, 'repository'));
  const path = e.TRAILBOOK_GIT_PATH.replace(/\/+$/, '');
  return {
    mode: 'managed',
    checkout,
    path,
    notebookDir: join(checkout, path),
    remote: { url: e.TRAILBOOK_GIT_REMOTE, branch: e.TRAILBOOK_GIT_BRANCH, credentials },
    committer: { name: e.TRAILBOOK_GIT_COMMITTER_NAME, email: e.TRAILBOOK_GIT_COMMITTER_EMAIL },
    fetchIntervalMs: e.TRAILBOOK_GIT_FETCH_SECONDS * 1000,
  };
}
