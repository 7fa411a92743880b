import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbJwtVerifier } from '../../../workbench/identity/alb-jwt.ts';
import { prepareNotebooks, type PreparedNotebooks } from '../../../workbench/git/start.ts';
import { startWorkbench, type Workbench } from '../../../workbench/server.ts';
import { DATASET } from '../helpers.ts';
import { ALB_ARN, AlbBrowser, OTHER_ALB_ARN, startFakeAlb, type FakeAlb } from '../identity/fake-alb.ts';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.ts';
import { git, notebookText, remoteFile, scratchRemote, type Scratch } from './repos.ts';

/**
 * Issue #13's "done when": a person signed in through Cognito (the ALB's signed header) saves a notebook,
 * commits it from the workbench, and finds the commit, under their name, in the repository — here served
 * over smart HTTP with a token, as from GitHub. Everything but the ALB itself is real. (cognito-file.test.ts
 * does the same through `trailbook serve` and a file:// repository.)
 */

const GIT_TOKEN = 'ghp_team0123456789';

let scratch: Scratch;
let gitServer: GitHttpServer;
let alb: FakeAlb;
let ADA: string;
let notebooks: PreparedNotebooks;
let workbench: Workbench;
let volume: string;

beforeAll(async () => {
  scratch = scratchRemote({ 'notebooks/errors.ipynb': notebookText('Errors report, as committed'), 'README.md': '# team\n' });
  gitServer = await startGitHttpServer(scratch.dir, GIT_TOKEN);
  alb = await startFakeAlb();
  ADA = alb.token({ claims: { sub: 'ada-sub', email: 'ada@example.com', email_verified: 'true', name: 'Ada Lovelace' } });
  volume = mkdtempSync(join(tmpdir(), 'trailbook-volume-'));
  const logs: string[] = [];
  // As `trailbook serve` does in the task: the git settings from the environment, then the server.
  notebooks = await prepareNotebooks(volume, { TRAILBOOK_GIT_REMOTE: `${gitServer.url}/remote.git`, TRAILBOOK_GIT_TOKEN: GIT_TOKEN }, (line) => logs.push(line));
  expect(notebooks.repository, logs.join('\n')).toBeDefined();
  process.env.TRAILBOOK_DATA_DIR = DATASET;
  process.env.TRAILBOOK_SOURCE = 'files';
  workbench = await startWorkbench({
    host: '127.0.0.1',
    port: 0,
    token: 'never-used-token-0123456789',
    tokenGenerated: false,
    notebookDir: notebooks.notebookDir,
    kernelIdleMs: 60_000,
    stateDir: join(volume, '.state'),
    git: notebooks.repository,
    identity: new AlbJwtVerifier({ loadBalancerArn: ALB_ARN, keyEndpoint: alb.keyEndpoint }),
  });
}, 120_000);

afterAll(async () => {
  await workbench?.close();
  await notebooks?.repository?.close();
  await gitServer?.close();
  await alb?.close();
  scratch?.cleanup();
  rmSync(volume, { recursive: true, force: true });
});

const browser = (token: string) => new AlbBrowser(workbench.url, token);

describe('a team member signed in through Cognito, notebooks in a git repository', { timeout: 120_000 }, () => {
  it('saves a notebook, commits it from the workbench, and the commit is in the repository under their name', async () => {
    const ada = browser(ADA);
    expect((await ada.request('/')).status).toBe(200); // the page starts the workbench session
    expect(ada.csrf).not.toBe('');
    expect(await (await ada.request('/api/me')).json()).toEqual({ person: { email: 'ada@example.com', name: 'Ada Lovelace', subject: 'ada-sub' } });

    const opened = await (await ada.request('/api/notebooks/errors.ipynb')).json();
    const notebook = { ...opened.notebook, cells: [...opened.notebook.cells, { cell_type: 'markdown', id: 'ada1', metadata: {}, source: 'Checked by Ada.' }] };
    const saved = await ada.request('/api/notebooks/errors.ipynb', { method: 'PUT', body: { notebook, version: opened.version } });
    expect(saved.status, await saved.clone().text()).toBe(200);

    const listed = await (await ada.request('/api/notebooks')).json();
    expect(listed.notebooks.find((n: { name: string }) => n.name === 'errors.ipynb').git).toEqual({ status: 'modified', behind: false });
    expect(listed.git).toMatchObject({ managed: true, branch: 'main', remote: `${gitServer.url}/remote.git`, ahead: 0 });

    // The body cannot choose the author: the verified person is.
    const committed = await ada.request('/api/notebooks/errors.ipynb/commit', { method: 'POST', body: { message: 'Errors report: checked', author: { name: 'Mallory', email: 'mallory@example.com' } } });
    expect(committed.status, await committed.clone().text()).toBe(200);
    expect(await committed.json()).toMatchObject({ pushed: true });
    expect(git(scratch.bare, ['log', '-1', '--format=%an <%ae>|%s', 'main'])).toBe('Ada Lovelace <ada@example.com>|Errors report: checked');
    expect(remoteFile(scratch.bare, 'notebooks/errors.ipynb')).toContain('Checked by Ada.');
    const after = await (await ada.request('/api/notebooks')).json();
    expect(after.notebooks.find((n: { name: string }) => n.name === 'errors.ipynb').git).toEqual({ status: 'clean', behind: false });

    // Share links record who made them.
    const shared = await ada.request('/api/notebooks/errors.ipynb/share', { method: 'POST', body: {} });
    expect((await shared.json()).createdBy).toBe('ada@example.com');
  });

  it('answers nothing without the load balancer\'s token, a token from another load balancer, or a forged request', async () => {
    const ada = browser(ADA);
    await ada.request('/');
    expect((await ada.request('/api/notebooks', { alb: null })).status).toBe(401);
    expect((await ada.request('/', { alb: null })).status).toBe(401);
    const foreign = alb.token({ claims: { sub: 'x', email: 'ada@example.com' }, signer: OTHER_ALB_ARN });
    expect((await ada.request('/api/notebooks', { alb: foreign })).status).toBe(401);
    // A cross-site POST rides the ALB cookie but has no CSRF token: refused before anything is committed.
    expect((await ada.request('/api/notebooks/errors.ipynb/commit', { method: 'POST', body: { message: 'forged' }, csrf: false })).status).toBe(403);
    // No token form: /login starts a session for the signed-in person and goes back.
    const fresh = browser(ADA);
    const login = await fresh.request('/login?next=/tree/x');
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/tree/x');
    expect(fresh.csrf).not.toBe('');
    expect((await fresh.request('/login', { method: 'POST', body: {} })).status).toBe(404);
  });

  it('says there is nothing to commit for an unchanged notebook (409)', async () => {
    const ada = browser(ADA);
    await ada.request('/');
    const res = await ada.request('/api/notebooks/errors.ipynb/commit', { method: 'POST', body: { message: 'again' } });
    expect(res.status).toBe(409);
    expect((await res.json()).error).toMatch(/no changes to commit/);
  });
});
