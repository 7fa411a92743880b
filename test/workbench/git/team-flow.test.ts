import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlbJwtVerifier } from '../../../workbench/identity/alb-jwt.ts';
import { prepareNotebooks, type PreparedNotebooks } from '../../../workbench/git/start.ts';
import { startWorkbench, type Workbench } from '../../../workbench/server.ts';
import { DATASET } from '../helpers.ts';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.ts';
import { git, notebookText, remoteFile, scratchRemote, type Scratch } from './repos.ts';

/**
 * Issue #13's "done when": a person signed in through Cognito (the ALB's signed header) saves a notebook,
 * commits it from the workbench, and finds the commit, under their name, in the repository — here served
 * over smart HTTP with a token, as from GitHub. Everything but the ALB itself is real.
 */

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/trailbook-workbench/0123456789abcdef';
const GIT_TOKEN = 'ghp_team0123456789';
const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const KID = randomUUID();

/** What the ALB adds after Cognito signed the person in (base64url with ALB's padding kept). */
function albHeader(claims: Record<string, unknown>, signer = ARN): string {
  const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  const exp = Math.floor(Date.now() / 1000) + 120;
  const signed = `${segment({ alg: 'ES256', kid: KID, signer, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x', client: 'c', exp })}.${segment({ exp, ...claims })}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), { key: keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
const ADA = albHeader({ sub: 'ada-sub', email: 'ada@example.com', email_verified: 'true', name: 'Ada Lovelace' });

let scratch: Scratch;
let gitServer: GitHttpServer;
let keyServer: Server;
let notebooks: PreparedNotebooks;
let workbench: Workbench;
let volume: string;

beforeAll(async () => {
  scratch = scratchRemote({ 'notebooks/errors.ipynb': notebookText('Errors report, as committed'), 'README.md': '# team\n' });
  gitServer = await startGitHttpServer(scratch.dir, GIT_TOKEN);
  keyServer = createServer((req, res) => {
    if (req.url === `/${KID}`) res.writeHead(200).end(keys.publicKey.export({ type: 'spki', format: 'pem' }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
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
    identity: new AlbJwtVerifier({ loadBalancerArn: ARN, keyEndpoint: `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}` }),
  });
}, 120_000);

afterAll(async () => {
  await workbench?.close();
  await notebooks?.repository?.close();
  await gitServer?.close();
  await new Promise<void>((resolve) => keyServer.close(() => resolve()));
  scratch?.cleanup();
  rmSync(volume, { recursive: true, force: true });
});

/** A browser behind the ALB: every request carries the signed header; the workbench session comes from the first page. */
class Browser {
  cookie = '';
  csrf = '';
  constructor(private readonly alb: string) {}

  async request(path: string, init: { method?: string; body?: unknown; csrf?: boolean; alb?: string | null } = {}) {
    const headers: Record<string, string> = { origin: workbench.url };
    if (this.cookie) headers.cookie = this.cookie;
    const alb = init.alb === undefined ? this.alb : init.alb;
    if (alb) headers['x-amzn-oidc-data'] = alb;
    if (init.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${workbench.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), redirect: 'manual' });
    const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
    if (set.length) {
      this.cookie = set.join('; ');
      this.csrf = set.find((c) => c.startsWith('trailbook_csrf='))?.split('=')[1] ?? this.csrf;
    }
    return res;
  }
}

describe('a team member signed in through Cognito, notebooks in a git repository', { timeout: 120_000 }, () => {
  it('saves a notebook, commits it from the workbench, and the commit is in the repository under their name', async () => {
    const ada = new Browser(ADA);
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
    const ada = new Browser(ADA);
    await ada.request('/');
    expect((await ada.request('/api/notebooks', { alb: null })).status).toBe(401);
    expect((await ada.request('/', { alb: null })).status).toBe(401);
    const foreign = albHeader({ sub: 'x', email: 'ada@example.com' }, ARN.replace('trailbook-workbench', 'elsewhere'));
    expect((await ada.request('/api/notebooks', { alb: foreign })).status).toBe(401);
    // A cross-site POST rides the ALB cookie but has no CSRF token: refused before anything is committed.
    expect((await ada.request('/api/notebooks/errors.ipynb/commit', { method: 'POST', body: { message: 'forged' }, csrf: false })).status).toBe(403);
    // No token form: /login starts a session for the signed-in person and goes back.
    const fresh = new Browser(ADA);
    const login = await fresh.request('/login?next=/tree/x');
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/tree/x');
    expect(fresh.csrf).not.toBe('');
    expect((await fresh.request('/login', { method: 'POST', body: {} })).status).toBe(404);
  });

  it('says there is nothing to commit for an unchanged notebook (409)', async () => {
    const ada = new Browser(ADA);
    await ada.request('/');
    const res = await ada.request('/api/notebooks/errors.ipynb/commit', { method: 'POST', body: { message: 'again' } });
    expect(res.status).toBe(409);
    expect((await res.json()).error).toMatch(/no changes to commit/);
  });
});
