import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NotebookRepository, RepositoryError, notebookFiles, type ManagedOptions } from '../../../workbench/git/repository.ts';
import { git, notebookText, read, remoteFile, scratchRemote, Teammate, type Scratch } from './repos.ts';

const ADA = { name: 'Ada Lovelace', email: 'ada@example.com' };
const WORKBENCH = { name: 'Trailbook workbench', email: 'workbench@trailbook.invalid' };

let scratch: Scratch;
const opened: NotebookRepository[] = [];
afterEach(async () => {
  for (const repo of opened.splice(0)) await repo.close();
  scratch?.cleanup();
});

function start(overrides: Partial<ManagedOptions> = {}): Promise<NotebookRepository> {
  return NotebookRepository.managed({
    root: join(scratch.dir, 'checkout'),
    path: 'notebooks',
    remote: { url: scratch.fileUrl, branch: 'main' },
    committer: WORKBENCH,
    ...overrides,
  }).then((repo) => (opened.push(repo), repo));
}

const SAVED = { 'notebooks/a.ipynb': notebookText('A, as saved'), 'notebooks/b.ipynb': notebookText('B, as saved'), 'README.md': '# team notebooks\n' };

// Each step is a real git process; on a loaded two-core machine a flow takes seconds.
describe('git-backed notebooks over file://', { timeout: 120_000 }, () => {
  it('clones the branch into a fresh folder and shows each notebook as new, modified or behind', async () => {
    scratch = scratchRemote(SAVED);
    const repo = await start();
    expect(repo.notebookDir).toBe(join(scratch.dir, 'checkout', 'notebooks/'));
    expect(await notebookFiles(repo.notebookDir)).toEqual(['a.ipynb', 'b.ipynb']);
    expect(read(join(repo.notebookDir, 'a.ipynb'))).toBe(SAVED['notebooks/a.ipynb']);
    expect((await repo.states()).files).toEqual({});

    writeFileSync(join(repo.notebookDir, 'a.ipynb'), notebookText('A, edited here'));
    writeFileSync(join(repo.notebookDir, 'c.ipynb'), notebookText('C, new here'));
    const teammate = new Teammate(scratch.bare, join(scratch.dir, 'grace'), { name: 'Grace Hopper', email: 'grace@example.com' });
    teammate.commit({ 'notebooks/b.ipynb': notebookText('B, by Grace'), 'notebooks/d.ipynb': notebookText('D, by Grace') }, 'Grace edits B, adds D');
    // Before a fetch the workbench does not know; the fetch never touches the working tree.
    expect((await repo.states()).files['b.ipynb']).toBeUndefined();
    await repo.fetch();
    const { files, summary } = await repo.states();
    expect(files).toEqual({
      'a.ipynb': { status: 'modified', behind: false },
      'b.ipynb': { status: 'clean', behind: true },
      'c.ipynb': { status: 'new', behind: false },
    });
    expect(summary).toMatchObject({ managed: true, branch: 'main', remote: scratch.fileUrl, ahead: 0, behind: 1, incoming: ['d.ipynb'] });
    expect(read(join(repo.notebookDir, 'b.ipynb'))).toBe(SAVED['notebooks/b.ipynb']);
  });

  it('commits one notebook with the signed-in person as author, the workbench as committer, and pushes it', async () => {
    scratch = scratchRemote(SAVED);
    const repo = await start();
    writeFileSync(join(repo.notebookDir, 'a.ipynb'), notebookText('A, by Ada'));
    writeFileSync(join(repo.notebookDir, 'c.ipynb'), notebookText('C, not for this commit'));

    const result = await repo.commit('a.ipynb', 'Refresh the access-denied report\n\nRe-ran on this week.', ADA);
    expect(result).toMatchObject({ pushed: true });
    expect(git(scratch.bare, ['log', '-1', '--format=%H|%an <%ae>|%cn <%ce>|%s', 'main'])).toBe(
      `${result.commit}|Ada Lovelace <ada@example.com>|Trailbook workbench <workbench@trailbook.invalid>|Refresh the access-denied report`,
    );
    expect(git(scratch.bare, ['show', '--name-only', '--format=', 'main'])).toBe('notebooks/a.ipynb');
    expect(remoteFile(scratch.bare, 'notebooks/a.ipynb')).toBe(notebookText('A, by Ada'));
    expect((await repo.states()).files).toEqual({ 'c.ipynb': { status: 'new', behind: false } });
    expect((await repo.states()).summary).toMatchObject({ ahead: 0, behind: 0 });

    // A new notebook, then a deletion: both are commits of that one path.
    expect((await repo.commit('c.ipynb', 'Add C', ADA)).pushed).toBe(true);
    rmSync(join(repo.notebookDir, 'b.ipynb'));
    expect((await repo.stateOf('b.ipynb')).status).toBe('deleted');
    expect((await repo.commit('b.ipynb', 'Retire B', ADA)).pushed).toBe(true);
    expect(remoteFile(scratch.bare, 'notebooks/b.ipynb')).toBeUndefined();
    expect(remoteFile(scratch.bare, 'notebooks/c.ipynb')).toBe(notebookText('C, not for this commit'));

    await expect(repo.commit('a.ipynb', 'nothing changed', ADA)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/no changes/) });
    await expect(repo.commit('a.ipynb', '   ', ADA)).rejects.toBeInstanceOf(RepositoryError);
    await expect(repo.commit('a.ipynb', 'x', { name: 'Mallory', email: 'no-at-sign' })).rejects.toMatchObject({ status: 400 });
  });

  it('names notebooks in folders by their path, as the store lists them, and commits them the same way', async () => {
    scratch = scratchRemote({ ...SAVED, 'notebooks/team/weekly.ipynb': notebookText('weekly') });
    const repo = await start();
    mkdirSync(join(repo.notebookDir, 'team', 'new'), { recursive: true });
    writeFileSync(join(repo.notebookDir, 'team', 'weekly.ipynb'), notebookText('weekly, edited'));
    writeFileSync(join(repo.notebookDir, 'team', 'new', 'x.ipynb'), notebookText('x'));
    writeFileSync(join(repo.notebookDir, 'team', 'notes.txt'), 'not a notebook');
    expect((await repo.states()).files).toEqual({
      'team/weekly.ipynb': { status: 'modified', behind: false },
      'team/new/x.ipynb': { status: 'new', behind: false },
    });
    expect((await repo.commit('team/new/x.ipynb', 'Add x', ADA)).pushed).toBe(true);
    expect(remoteFile(scratch.bare, 'notebooks/team/new/x.ipynb')).toBe(notebookText('x'));
  });

  it('pulls without losing a local edit: a file changed on both sides keeps yours and gets upstream as a copy', async () => {
    scratch = scratchRemote(SAVED);
    const repo = await start();
    const mine = notebookText('A, edited by Ada, not committed');
    writeFileSync(join(repo.notebookDir, 'a.ipynb'), mine);
    const grace = new Teammate(scratch.bare, join(scratch.dir, 'grace'), { name: 'Grace Hopper', email: 'grace@example.com' });
    const theirs = notebookText('A, edited by Grace');
    const tip = grace.commit({ 'notebooks/a.ipynb': theirs, 'notebooks/b.ipynb': notebookText('B, by Grace') }, 'Grace edits A and B');

    const result = await repo.pull();
    const copy = `a (incoming ${tip.slice(0, 7)}).ipynb`;
    expect(result).toEqual({ upToDate: false, merged: false, updated: ['b.ipynb'], copies: [{ name: 'a.ipynb', copy }] });
    expect(read(join(repo.notebookDir, 'a.ipynb'))).toBe(mine);
    expect(read(join(repo.notebookDir, copy))).toBe(theirs);
    expect(read(join(repo.notebookDir, 'b.ipynb'))).toBe(notebookText('B, by Grace'));
    expect((await repo.states()).files).toEqual({ 'a.ipynb': { status: 'modified', behind: false }, [copy]: { status: 'new', behind: false } });
    expect(existsSync(join(scratch.dir, 'checkout', '.git', 'trailbook-pull'))).toBe(false);

    // The same edit made on both sides is no conflict and makes no copy.
    const same = notebookText('B, everyone agrees');
    writeFileSync(join(repo.notebookDir, 'b.ipynb'), same);
    grace.commit({ 'notebooks/b.ipynb': same }, 'Grace makes the same edit');
    expect((await repo.pull()).copies).toEqual([]);
    expect(read(join(repo.notebookDir, 'b.ipynb'))).toBe(same);
    expect((await repo.stateOf('b.ipynb')).status).toBe('clean');
  });

  it('keeps both versions when a commit meets an upstream change: merges, keeps yours, pushes', async () => {
    scratch = scratchRemote(SAVED);
    const repo = await start();
    const grace = new Teammate(scratch.bare, join(scratch.dir, 'grace'), { name: 'Grace Hopper', email: 'grace@example.com' });
    const theirs = notebookText('A, by Grace, pushed first');
    const tip = grace.commit({ 'notebooks/a.ipynb': theirs, 'notebooks/e.ipynb': notebookText('E, by Grace') }, 'Grace edits A, adds E');
    const mine = notebookText('A, by Ada');
    writeFileSync(join(repo.notebookDir, 'a.ipynb'), mine);

    // The workbench has not fetched: its push is refused, so it pulls (a merge) and pushes again.
    const result = await repo.commit('a.ipynb', 'Ada edits A', ADA);
    expect(result.pushed).toBe(true);
    const copy = `a (incoming ${tip.slice(0, 7)}).ipynb`;
    expect(result.pull).toMatchObject({ merged: true, copies: [{ name: 'a.ipynb', copy }], updated: ['e.ipynb'] });
    expect(remoteFile(scratch.bare, 'notebooks/a.ipynb')).toBe(mine);
    expect(remoteFile(scratch.bare, 'notebooks/e.ipynb')).toBe(notebookText('E, by Grace'));
    expect(read(join(repo.notebookDir, copy))).toBe(theirs);
    // Both commits are in the branch's history, under their authors; the merge is the workbench's.
    const log = git(scratch.bare, ['log', '--format=%an|%s', 'main']).split('\n');
    expect(log[0]).toMatch(/^Trailbook workbench\|Merge origin\/main into the workbench \(both versions kept of a\.ipynb\)$/);
    expect(log).toEqual(expect.arrayContaining(['Ada Lovelace|Ada edits A', 'Grace Hopper|Grace edits A, adds E']));
  });

  it('starts in a folder that already holds notebooks without overwriting any (seeding a used volume)', async () => {
    scratch = scratchRemote(SAVED);
    const notebooks = join(scratch.dir, 'checkout', 'notebooks');
    mkdirSync(notebooks, { recursive: true });
    const localA = notebookText('A, made on the volume before git was configured');
    writeFileSync(join(notebooks, 'a.ipynb'), localA);
    writeFileSync(join(notebooks, 'b.ipynb'), SAVED['notebooks/b.ipynb']);
    writeFileSync(join(notebooks, 'x.ipynb'), notebookText('X, only here'));

    const repo = await start();
    const tip = git(scratch.bare, ['rev-parse', 'main']);
    expect(read(join(notebooks, 'a.ipynb'))).toBe(localA);
    expect(read(join(notebooks, `a (incoming ${tip.slice(0, 7)}).ipynb`))).toBe(SAVED['notebooks/a.ipynb']);
    expect(await notebookFiles(notebooks)).toEqual(['a (incoming ' + tip.slice(0, 7) + ').ipynb', 'a.ipynb', 'b.ipynb', 'x.ipynb']);
    expect(existsSync(join(scratch.dir, 'checkout', 'README.md'))).toBe(true);
    expect((await repo.states()).files).toMatchObject({ 'a.ipynb': { status: 'modified' }, 'x.ipynb': { status: 'new' } });
    expect((await repo.states()).files['b.ipynb']).toBeUndefined();
  });

  it('puts back local edits that an interrupted pull had set aside, at the next start', async () => {
    scratch = scratchRemote(SAVED);
    let repo = await start();
    const mine = notebookText('A, mid-pull when the task died');
    // What a pull leaves behind if the process dies after setting the edit aside and before the merge.
    const backup = join(scratch.dir, 'checkout', '.git', 'trailbook-pull');
    mkdirSync(backup);
    writeFileSync(join(backup, '0'), mine);
    writeFileSync(join(backup, 'manifest.json'), JSON.stringify([{ path: 'notebooks/a.ipynb', file: '0' }]));
    await repo.close();
    opened.length = 0;
    repo = await start();
    expect(read(join(repo.notebookDir, 'a.ipynb'))).toBe(mine);
    expect(existsSync(backup)).toBe(false);
  });

  it('starts from an empty remote and creates the branch with the first commit', async () => {
    scratch = scratchRemote({ 'README.md': 'x\n' });
    const empty = join(scratch.dir, 'empty.git');
    git(scratch.dir, ['init', '-q', '--bare', '-b', 'main', empty]);
    const repo = await start({ remote: { url: `file://${empty}`, branch: 'main' } });
    expect((await repo.states()).summary.lastError).toBeUndefined();
    mkdirSync(repo.notebookDir, { recursive: true });
    writeFileSync(join(repo.notebookDir, 'first.ipynb'), notebookText('first'));
    expect(await repo.commit('first.ipynb', 'First notebook', ADA)).toMatchObject({ pushed: true });
    expect(git(empty, ['log', '--format=%an|%s', 'main'])).toBe('Ada Lovelace|First notebook');
  });

  it('keeps serving the local copy when the remote is unreachable, and says why', async () => {
    scratch = scratchRemote(SAVED);
    const repo = await start({ remote: { url: `file://${scratch.dir}/missing.git`, branch: 'main' } });
    const { summary } = await repo.states();
    expect(summary.lastError).toMatch(/fetch from file:\/\/.*missing\.git/);
    await expect(repo.pull()).rejects.toMatchObject({ status: 502 });
  });
});

describe('your own working copy (local use)', { timeout: 120_000 }, () => {
  it('shows states and commits one notebook with its author, leaving anything else staged, and never pushes', async () => {
    scratch = scratchRemote(SAVED);
    const clone = join(scratch.dir, 'mine');
    git(scratch.dir, ['clone', '-q', scratch.bare, clone]);
    git(clone, ['config', 'user.name', 'Local Dev']);
    git(clone, ['config', 'user.email', 'dev@example.com']);
    const repo = (await NotebookRepository.local(join(clone, 'notebooks')))!;
    opened.push(repo);
    expect(repo.managed).toBe(false);
    writeFileSync(join(clone, 'notebooks', 'a.ipynb'), notebookText('A, local'));
    writeFileSync(join(clone, 'README.md'), 'staged, not part of the notebook commit\n');
    git(clone, ['add', 'README.md']);
    expect((await repo.states()).files).toEqual({ 'a.ipynb': { status: 'modified', behind: false } });
    expect((await repo.states()).summary).toMatchObject({ managed: false, branch: 'main', remote: scratch.bare });

    const result = await repo.commit('a.ipynb', 'Local edit', ADA);
    expect(result).toMatchObject({ pushed: false, notPushed: expect.stringMatching(/your own working copy/) });
    expect(git(clone, ['log', '-1', '--format=%an <%ae>|%cn', '--name-only'])).toBe('Ada Lovelace <ada@example.com>|Local Dev\n\nnotebooks/a.ipynb');
    expect(git(clone, ['diff', '--cached', '--name-only'])).toBe('README.md');
    expect(git(scratch.bare, ['log', '-1', '--format=%s', 'main'])).toBe('Saved reports');
    await expect(repo.pull()).rejects.toMatchObject({ status: 409 });
    // Without a person (token sign-in), git's own identity is the author.
    writeFileSync(join(clone, 'notebooks', 'b.ipynb'), notebookText('B, local'));
    await repo.commit('b.ipynb', 'Local edit of B', undefined);
    expect(git(clone, ['log', '-1', '--format=%an <%ae>'])).toBe('Local Dev <dev@example.com>');
  });

  it('is undefined for a folder outside any working copy', async () => {
    scratch = scratchRemote(SAVED);
    const plain = join(scratch.dir, 'plain');
    mkdirSync(plain);
    expect(await NotebookRepository.local(plain)).toBeUndefined();
    expect(statSync(plain).isDirectory()).toBe(true);
    expect(readFileSync(join(scratch.bare, 'HEAD'), 'utf8')).toContain('refs/heads/main');
  });
});
