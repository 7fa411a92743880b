import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotebookRepository } from '../../../workbench/git/repository.ts';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.ts';
import { git, notebookText, read, remoteFile, scratchRemote, Teammate, type Scratch } from './repos.ts';

const TOKEN = 'ghp_test0123456789abcdefTOKEN';
const ADA = { name: 'Ada Lovelace', email: 'ada@example.com' };

let scratch: Scratch;
let server: GitHttpServer;
const opened: NotebookRepository[] = [];
afterEach(async () => {
  for (const repo of opened.splice(0)) await repo.close();
  await server?.close();
  scratch?.cleanup();
});

async function start(token: string) {
  const repo = await NotebookRepository.managed({
    root: join(scratch.dir, 'checkout'),
    path: 'notebooks',
    remote: { url: `${server.url}/remote.git`, branch: 'main', credentials: { kind: 'token', token, username: 'x-access-token' } },
    committer: { name: 'Trailbook workbench', email: 'workbench@trailbook.invalid' },
  });
  opened.push(repo);
  return repo;
}

describe('git-backed notebooks over smart HTTP (git http-backend)', { timeout: 120_000 }, () => {
  it('clones, pulls with a conflict kept as a copy, commits as the person and pushes, with the token as Basic auth only', async () => {
    scratch = scratchRemote({ 'notebooks/a.ipynb': notebookText('A'), 'notebooks/b.ipynb': notebookText('B') });
    server = await startGitHttpServer(scratch.dir, TOKEN);
    const repo = await start(TOKEN);
    expect(read(join(repo.notebookDir, 'a.ipynb'))).toBe(notebookText('A'));

    const mine = notebookText('A, by Ada over HTTP');
    writeFileSync(join(repo.notebookDir, 'a.ipynb'), mine);
    const tip = new Teammate(scratch.bare, join(scratch.dir, 'grace'), { name: 'Grace Hopper', email: 'grace@example.com' }).commit(
      { 'notebooks/a.ipynb': notebookText('A, by Grace') },
      'Grace edits A',
    );
    const pulled = await repo.pull();
    const copy = `a (incoming ${tip.slice(0, 7)}).ipynb`;
    expect(pulled.copies).toEqual([{ name: 'a.ipynb', copy }]);
    expect(read(join(repo.notebookDir, copy))).toBe(notebookText('A, by Grace'));
    expect(read(join(repo.notebookDir, 'a.ipynb'))).toBe(mine);

    const result = await repo.commit('a.ipynb', 'Ada keeps her version of A', ADA);
    expect(result.pushed).toBe(true);
    expect(git(scratch.bare, ['log', '-1', '--format=%an <%ae>|%s', 'main'])).toBe('Ada Lovelace <ada@example.com>|Ada keeps her version of A');
    expect(remoteFile(scratch.bare, 'notebooks/a.ipynb')).toBe(mine);

    // Every request went over HTTP with the token; it is stored nowhere in the working copy.
    expect(server.requests.some((r) => r.path.endsWith('/git-receive-pack') && r.method === 'POST')).toBe(true);
    expect(server.requests.filter((r) => r.authorised).every((r) => r.user === 'x-access-token')).toBe(true);
    const config = readFileSync(join(scratch.dir, 'checkout', '.git', 'config'), 'utf8');
    expect(config).toContain(`url = ${server.url}/remote.git`);
    expect(config).not.toContain(TOKEN);
    expect(config).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
  });

  it('reports a refused token instead of prompting, and serves the local copy meanwhile', async () => {
    scratch = scratchRemote({ 'notebooks/a.ipynb': notebookText('A') });
    server = await startGitHttpServer(scratch.dir, TOKEN);
    const repo = await start('wrong-token');
    const { summary } = await repo.states();
    expect(summary.lastError).toMatch(/fetch from http:\/\/127\.0\.0\.1:\d+\/remote\.git: .*(401|Authentication failed|could not read Username)/i);
    expect(summary.lastError).not.toContain('wrong-token');
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => !r.authorised)).toBe(true);
  });
});
