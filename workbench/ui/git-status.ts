import type { CommitResult, GitFileState, GitSummary } from '../git/repository.ts';
import type { GitListing, GitNotebookEntry } from '../git/routes.ts';
import type { Listing, NotebookEntry } from '../notebooks.ts';
import { api } from './api.ts';
import { promptDialog } from './dialog.ts';
import { h, toast } from './dom.ts';
import { baseName } from './paths.ts';

/**
 * Git in the file browser: each notebook's state (new, modified, deleted, behind), a Commit button for a
 * notebook with changes, and a bar with the branch, what is not pushed or pulled yet, Pull, and who is signed
 * in (their email becomes the commit's author). Nothing shows when the notebooks are in no working copy.
 */

const LABEL: Record<GitFileState['status'], string> = {
  clean: '',
  new: 'new',
  modified: 'modified',
  deleted: 'deleted',
  conflict: 'conflict',
  ignored: 'ignored by git',
};

const stateOf = (entry: NotebookEntry): GitFileState | undefined => (entry as Partial<GitNotebookEntry>).git;

/** Badges for a notebook row: its change, and "behind" when upstream has a newer version. */
export function gitBadges(entry: NotebookEntry): HTMLElement[] {
  const state = stateOf(entry);
  if (!state) return [];
  const badges: HTMLElement[] = [];
  if (state.status !== 'clean') badges.push(h('span', { class: `kernel-badge git-${state.status}`, title: `git: ${LABEL[state.status]}` }, LABEL[state.status]));
  if (state.behind) badges.push(h('span', { class: 'kernel-badge git-behind', title: 'A newer version is upstream: Pull brings it (your edits are kept)' }, 'behind'));
  return badges;
}

/** Whether a notebook has something Commit would record. */
export function committable(entry: NotebookEntry): boolean {
  const status = stateOf(entry)?.status;
  return status === 'new' || status === 'modified' || status === 'deleted';
}

function describeCommit(name: string, result: CommitResult): string {
  const short = result.commit.slice(0, 7);
  const copies = result.pull?.copies.length ? ` Upstream had also changed it: its version is kept as ${result.pull.copies.map((c) => c.copy).join(', ')}.` : '';
  return result.pushed ? `Committed ${name} (${short}) and pushed.${copies}` : `Committed ${name} (${short}); not pushed: ${result.notPushed}`;
}

/** Asks for a message, commits the notebook as the signed-in person, and says what happened. */
export async function commitNotebook(name: string): Promise<void> {
  const message = await promptDialog({ title: `Commit ${baseName(name)}`, label: 'Commit message', value: `Update ${baseName(name).replace(/\.ipynb$/, '')}`, confirm: 'Commit' });
  if (!message?.trim()) return;
  const result = await api.commit(name, message.trim());
  // Not pushed from your own working copy is expected; from a managed one it is a failure to see.
  const failed = !result.pushed && !/^your own working copy/.test(result.notPushed ?? '');
  toast(describeCommit(name, result), failed ? 'error' : 'info');
}

/** The branch bar above the list, or nothing without git. `refresh` lists again after a pull. */
export function gitBar(listing: Listing, person: string | undefined, refresh: () => Promise<void>): HTMLElement | string {
  const summary: GitSummary | { error: string } | undefined = (listing as Partial<GitListing>).git;
  if (!summary) return person ? h('p', { class: 'git-bar' }, `Signed in as ${person}`) : '';
  if ('error' in summary) return h('p', { class: 'git-bar', role: 'alert' }, summary.error);
  const parts: (Node | string)[] = [`Branch ${summary.branch}`];
  if (summary.remote) parts.push(` of ${summary.remote}`);
  if (summary.ahead) parts.push(` · ${summary.ahead} commit${summary.ahead === 1 ? '' : 's'} not pushed`);
  if (summary.behind) parts.push(` · ${summary.behind} upstream commit${summary.behind === 1 ? '' : 's'} to pull`);
  if (summary.incoming.length) parts.push(` · new upstream: ${summary.incoming.join(', ')}`);
  if (summary.lastError) parts.push(h('span', { class: 'nb-error', role: 'alert' }, ` · ${summary.lastError}`));
  if (person) parts.push(` · signed in as ${person}`);
  const pull = summary.managed
    ? h('button', {
        type: 'button',
        class: 'subtle',
        onclick: async () => {
          try {
            const pulled = await api.pull();
            const kept = pulled.copies.map((c) => `${c.name} (upstream's version is ${c.copy})`);
            toast(pulled.upToDate ? 'Already up to date.' : `Pulled ${pulled.updated.length} notebook(s).${kept.length ? ` Changed on both sides, yours kept: ${kept.join(', ')}.` : ''}`);
          } catch (err) {
            toast(`Pull failed: ${(err as Error).message}`, 'error');
          }
          await refresh();
        },
      }, 'Pull')
    : '';
  return h('p', { class: 'git-bar' }, ...parts, ' ', pull);
}
