import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, servedUrl } from '../cli-process.ts';
import { DATASET } from '../helpers.ts';
import { ALB_ARN, AlbBrowser, startFakeAlb, type FakeAlb } from '../identity/fake-alb.ts';
import { git, notebookText, remoteFile, scratchRemote, type Scratch } from './repos.ts';

/**
 * Issue #13's "done when", end to end as deployed with auth=cognito: `trailbook serve` configured by the
 * environment the stack gives the task (TRAILBOOK_AUTH=alb, the load balancer's ARN, the Cognito domain and
 * client, a git remote), behind a load balancer played by a local key endpoint and real ES256 tokens. A person
 * saves a notebook through the API, commits it with the workbench's Commit action, and `git log` in the bare
 * repository (over file://) shows the commit under their name and email.
 */

let alb: FakeAlb;
let scratch: Scratch;
let volume: string;
let server: ReturnType<typeof runCli>;
let url: string;

beforeAll(async () => {
  alb = await startFakeAlb();
  scratch = scratchRemote({ 'notebooks/errors.ipynb': notebookText('Errors report, as committed'), 'README.md': '# team\n' });
  volume = mkdtempSync(join(tmpdir(), 'trailbook-cognito-volume-'));
  server = runCli(['serve', '--port', '0', '--host', '127.0.0.1', '--notebook-dir', join(volume, 'notebooks'), '--no-sample-data'], {
    TRAILBOOK_AUTH: 'alb',
    TRAILBOOK_ALB_ARN: ALB_ARN,
    TRAILBOOK_ALB_KEY_ENDPOINT: alb.keyEndpoint,
    TRAILBOOK_COGNITO_DOMAIN: 'trailbook-123456789012.auth.eu-west-1.amazoncognito.com',
    TRAILBOOK_COGNITO_CLIENT_ID: '4tq2n7example0client',
    TRAILBOOK_TRUST_PROXY: 'true',
    TRAILBOOK_GIT_REMOTE: scratch.fileUrl,
    TRAILBOOK_STATE_DIR: join(volume, 'state'),
    TRAILBOOK_SOURCE: 'files',
    TRAILBOOK_DATA_DIR: DATASET,
    // Never the settings of the shell running the tests.
    TRAILBOOK_TOKEN: '',
    TRAILBOOK_SHARE_SECRET: '',
    TRAILBOOK_PUBLIC_URL: '',
    TRAILBOOK_ALLOWED_HOSTS: '',
    TRAILBOOK_MCP_URL: '',
    TRAILBOOK_GIT: '',
    TRAILBOOK_GIT_TOKEN: '',
    TRAILBOOK_GIT_SSH_KEY: '',
    TRAILBOOK_SEED_DIR: '',
  });
  const match = await servedUrl(server, 120_000);
  if (!match) throw new Error(`trailbook serve did not start:\n${server.output()}`);
  url = match[1]!;
}, 150_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await alb?.close();
  scratch?.cleanup();
  if (volume) rmSync(volume, { recursive: true, force: true });
});

describe('a person signed in through Cognito, `trailbook serve` keeping the notebooks in a file:// repository', { timeout: 120_000 }, () => {
  it('saves a notebook, commits it from the workbench, and finds the commit under their name in the repository', async () => {
    expect(server.output()).toMatch(/sign-in by the load balancer/);
    const grace = new AlbBrowser(url, alb.token({ claims: { sub: 'grace-sub', email: 'grace@example.com', email_verified: 'true', name: 'Grace Hopper' } }));
    expect((await grace.request('/')).status).toBe(200);
    expect(await (await grace.request('/api/me')).json()).toEqual({ person: { email: 'grace@example.com', name: 'Grace Hopper', subject: 'grace-sub' } });

    // A new notebook, saved with a cell, through the same API the UI uses.
    expect((await grace.request('/api/notebooks', { method: 'POST', body: { name: 'findings.ipynb' } })).status).toBe(201);
    const opened = await (await grace.request('/api/notebooks/findings.ipynb')).json();
    const notebook = { ...opened.notebook, cells: [{ cell_type: 'markdown', id: 'g1', metadata: {}, source: 'Findings by Grace.' }] };
    const saved = await grace.request('/api/notebooks/findings.ipynb', { method: 'PUT', body: { notebook, version: opened.version } });
    expect(saved.status, await saved.clone().text()).toBe(200);
    const listed = await (await grace.request('/api/notebooks')).json();
    expect(listed.notebooks.find((n: { name: string }) => n.name === 'findings.ipynb').git).toEqual({ status: 'new', behind: false });

    const committed = await grace.request('/api/notebooks/findings.ipynb/commit', { method: 'POST', body: { message: 'Findings: first pass' } });
    expect(committed.status, await committed.clone().text()).toBe(200);
    expect(await committed.json()).toMatchObject({ pushed: true });

    // In the repository: authored by the signed-in person, committed by the workbench, with the saved cell.
    expect(git(scratch.bare, ['log', '-1', '--format=%an <%ae>|%cn <%ce>|%s', 'main'])).toBe(
      'Grace Hopper <grace@example.com>|Trailbook workbench <workbench@trailbook.invalid>|Findings: first pass',
    );
    expect(git(scratch.bare, ['log', '-1', '--name-only', '--format=', 'main'])).toBe('notebooks/findings.ipynb');
    expect(remoteFile(scratch.bare, 'notebooks/findings.ipynb')).toContain('Findings by Grace.');
  });

  it('refuses the same calls without the load balancer token, and logs out of Cognito', async () => {
    const grace = new AlbBrowser(url, alb.token({ claims: { sub: 'grace-sub', email: 'grace@example.com', name: 'Grace Hopper' } }));
    await grace.request('/');
    expect((await grace.request('/api/notebooks', { alb: null })).status).toBe(401);
    const out = await grace.request('/logout', { method: 'POST' });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toMatch(/^https:\/\/trailbook-123456789012\.auth\.eu-west-1\.amazoncognito\.com\/logout\?client_id=4tq2n7example0client&logout_uri=/);
  });
});
