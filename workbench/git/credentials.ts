import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configEnv } from './git.ts';

/**
 * How the workbench proves itself to the remote (in AWS both come from Secrets Manager):
 * - `token`: an HTTPS token (GitHub, GitLab, CodeCommit HTTPS credentials...), sent as HTTP Basic auth in an
 *   `http.<remote>.extraHeader` given through the environment, so it never lands in .git/config, the remote
 *   URL, a command line or a log line, and is sent to that remote only.
 * - `sshKey`: an SSH deploy key, written 0600 into a private temp directory (never onto the notebook volume).
 */
export type GitCredentials =
  | { kind: 'none' }
  | { kind: 'token'; token: string; username: string }
  | { kind: 'sshKey'; privateKey: string; knownHosts?: string };

export interface PreparedCredentials {
  env: Record<string, string>;
  /** Removes the key file, if any. */
  dispose(): Promise<void>;
}

export async function prepareCredentials(remote: string, credentials: GitCredentials): Promise<PreparedCredentials> {
  if (credentials.kind === 'none') return { env: {}, dispose: async () => {} };
  if (credentials.kind === 'token') {
    if (!/^https?:\/\//.test(remote)) throw new Error('an HTTPS token needs an https:// remote (TRAILBOOK_GIT_REMOTE)');
    if (new URL(remote).username) throw new Error('put the token in TRAILBOOK_GIT_TOKEN, not in the remote URL');
    const basic = Buffer.from(`${credentials.username}:${credentials.token}`).toString('base64');
    return { env: configEnv([[`http.${remote}.extraHeader`, `Authorization: Basic ${basic}`]]), dispose: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), 'trailbook-git-ssh-'));
  const keyFile = join(dir, 'deploy-key');
  // ssh refuses a key without a final newline, and one readable by others.
  await writeFile(keyFile, credentials.privateKey.replace(/\r\n/g, '\n').replace(/\n?$/, '\n'), { mode: 0o600 });
  await chmod(keyFile, 0o600);
  const options = ['-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'];
  if (credentials.knownHosts) {
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, credentials.knownHosts.replace(/\n?$/, '\n'), { mode: 0o600 });
    options.push('-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes');
  } else {
    // Without pinned host keys, trust the first key seen for the host in this task's life (and say so in the README).
    options.push('-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=accept-new');
  }
  return {
    env: { GIT_SSH_COMMAND: ['ssh', ...options].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`)).join(' ') },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
