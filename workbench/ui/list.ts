import type { Listing, NotebookEntry } from '../notebooks.ts';
import { api } from './api.ts';
import { confirmDialog, promptDialog } from './dialog.ts';
import { commitNotebook, committable, gitBadges, gitBar } from './git-status.ts';
import { h, toast } from './dom.ts';
import { baseName, folderHref, folderOf, notebookHref } from './paths.ts';
import { initTheme, themeToggle } from './theme.ts';

/**
 * The file browser: one folder at a time (/ and /tree/<folder>), with its folders and notebooks.
 * Notebooks: open, rename, move, duplicate, download, delete; folders: open, rename, move, delete;
 * new notebook, new folder, upload .ipynb. Malformed notebooks are listed with their error, and
 * whatever is not listed (unsupported names, folder links) is named with the reason.
 */

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const join = (folder: string, name: string) => (folder ? `${folder}/${name}` : name);
const inFolder = (path: string, folder: string) => folderOf(path) === folder;

export async function renderList(container: HTMLElement, folder = ''): Promise<void> {
  initTheme();
  document.title = `${folder ? baseName(folder) : 'Notebooks'} · Trailbook`;
  let listing: Listing | undefined;
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'notebook-list', 'aria-label': folder ? `Contents of ${folder}` : 'Notebooks' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Modified'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    tbody,
  );
  const empty = h('p', { class: 'empty', hidden: true }, folder ? 'This folder is empty.' : 'No notebooks yet. Create one to start exploring CloudTrail.');
  const skippedNote = h('details', { class: 'skipped', hidden: true });
  const gitLine = h('div', { class: 'git-line' });
  const person = await api.me().then((me) => me.person?.email, () => undefined);

  /** Runs an action, reports its failure, and lists again. */
  const act = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      toast(`${what} failed: ${(err as Error).message}`, 'error');
    }
    await refresh();
  };
  const button = (label: string, text: string, fn: () => Promise<unknown>) =>
    h('button', { type: 'button', class: 'subtle', 'aria-label': label, onclick: () => void act(text, fn) }, text);

  const folderChoices = (except?: string) =>
    ['', ...(listing?.folders ?? []).map((f) => f.path)].filter((p) => except === undefined || (p !== except && !p.startsWith(`${except}/`)));

  const notebookRow = (nb: NotebookEntry, kernels: Map<string, string>) => {
    const title = baseName(nb.name).replace(/\.ipynb$/, '');
    return h(
      'tr',
      { class: nb.error ? 'invalid' : '', 'data-name': nb.name },
      h(
        'td',
        {},
        h('span', { class: 'kind', 'aria-hidden': 'true' }, '▤'),
        nb.error ? h('span', { class: 'nb-name' }, title) : h('a', { href: notebookHref(nb.name), class: 'nb-name' }, title),
        kernels.has(nb.name) ? h('span', { class: 'kernel-badge' }, `kernel ${kernels.get(nb.name)}`) : '',
        ...gitBadges(nb),
        nb.error ? h('div', { class: 'nb-error', role: 'note' }, `Cannot be opened: ${nb.error}`) : '',
      ),
      h('td', {}, new Date(nb.modified).toLocaleString()),
      h('td', {}, formatSize(nb.size)),
      h(
        'td',
        { class: 'actions' },
        button(`Rename ${title}`, 'Rename', async () => {
          const to = await promptDialog({ title: `Rename ${title}`, label: 'New name', value: title, confirm: 'Rename' });
          if (to && to !== title) await api.rename(nb.name, join(folder, to.endsWith('.ipynb') ? to : `${to}.ipynb`));
        }),
        button(`Move ${title}`, 'Move', async () => {
          const to = await promptDialog({ title: `Move ${title}`, label: 'To folder', value: folder, choices: folderChoices(), confirm: 'Move' });
          if (to !== null && to !== folder) await api.rename(nb.name, join(to, baseName(nb.name)));
        }),
        committable(nb) ? button(`Commit ${title}`, 'Commit', () => commitNotebook(nb.name)) : '',
        nb.error ? '' : button(`Duplicate ${title}`, 'Duplicate', () => api.duplicate(nb.name)),
        h('a', { class: 'button subtle', href: api.downloadUrl(nb.name), download: baseName(nb.name), 'aria-label': `Download ${title}` }, 'Download'),
        button(`Delete ${title}`, 'Delete', async () => {
          if (await confirmDialog({ title: `Delete ${title}?`, message: `${nb.name} is deleted from the notebooks folder, and its share links stop working. This cannot be undone.`, confirm: 'Delete' })) {
            await api.remove(nb.name);
          }
        }),
      ),
    );
  };

  const folderRow = (path: string, modified: string) => {
    const name = baseName(path);
    const count = (listing?.notebooks ?? []).filter((n) => n.name.startsWith(`${path}/`)).length;
    return h(
      'tr',
      { class: 'folder', 'data-folder': path },
      h('td', {}, h('span', { class: 'kind', 'aria-hidden': 'true' }, '▸'), h('a', { href: folderHref(path), class: 'nb-name' }, `${name}/`)),
      h('td', {}, new Date(modified).toLocaleString()),
      h('td', {}, `${count} notebook${count === 1 ? '' : 's'}`),
      h(
        'td',
        { class: 'actions' },
        button(`Rename folder ${name}`, 'Rename', async () => {
          const to = await promptDialog({ title: `Rename folder ${name}`, label: 'New name', value: name, confirm: 'Rename' });
          if (to && to !== name) await api.renameFolder(path, join(folder, to));
        }),
        button(`Move folder ${name}`, 'Move', async () => {
          const to = await promptDialog({ title: `Move folder ${name}`, label: 'Into folder', value: folder, choices: folderChoices(path), confirm: 'Move' });
          if (to !== null && to !== folder) await api.renameFolder(path, join(to, name));
        }),
        button(`Delete folder ${name}`, 'Delete', async () => {
          const message = count
            ? `The folder ${path} and the ${count} notebook${count === 1 ? '' : 's'} in it are deleted, and their share links stop working. This cannot be undone.`
            : `The empty folder ${path} is deleted.`;
          if (await confirmDialog({ title: `Delete folder ${name}?`, message, confirm: 'Delete folder' })) await api.removeFolder(path);
        }),
      ),
    );
  };

  const refresh = async () => {
    let kernels: Map<string, string>;
    try {
      const listed = await api.list();
      listing = listed;
      kernels = new Map(listed.kernels.filter((k) => k.status !== 'off').map((k) => [k.name, k.status]));
    } catch (err) {
      toast(`Could not list notebooks: ${(err as Error).message}`, 'error');
      return;
    }
    if (folder && !listing.folders.some((f) => f.path === folder)) {
      container.querySelector('.list')?.replaceChildren(h('h1', {}, 'Folder not found'), h('p', { role: 'alert' }, `There is no folder ${folder}.`), h('a', { href: '/' }, 'All notebooks'));
      return;
    }
    gitLine.replaceChildren(gitBar(listing, person, refresh));
    const folders = listing.folders.filter((f) => inFolder(f.path, folder));
    const notebooks = listing.notebooks.filter((n) => inFolder(n.name, folder));
    empty.hidden = folders.length + notebooks.length > 0;
    tbody.replaceChildren(...folders.map((f) => folderRow(f.path, f.modified)), ...notebooks.map((n) => notebookRow(n, kernels)));
    const skipped = listing.skipped.filter((s) => inFolder(s.path, folder));
    skippedNote.hidden = !skipped.length;
    skippedNote.replaceChildren(
      h('summary', {}, `${skipped.length} item${skipped.length === 1 ? '' : 's'} in this folder not listed`),
      h('ul', {}, ...skipped.map((s) => h('li', {}, h('code', {}, baseName(s.path)), `: ${s.reason}`))),
    );
  };

  const upload = h('input', { type: 'file', accept: '.ipynb,application/x-ipynb+json', multiple: true, class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
  upload.addEventListener('change', () => {
    const files = [...(upload.files ?? [])];
    upload.value = '';
    void act('Upload', async () => {
      for (const file of files) {
        try {
          const done = await api.upload(join(folder, file.name), file);
          toast(done.notices.length ? `Uploaded ${file.name}: ${done.notices.join('; ')}` : `Uploaded ${file.name}.`);
        } catch (err) {
          toast(`Upload of ${file.name} refused: ${(err as Error).message}`, 'error');
        }
      }
    });
  });
  const actions = h(
    'div',
    { class: 'list-actions' },
    h('button', { type: 'button', class: 'subtle', onclick: () => upload.click() }, 'Upload'),
    upload,
    h('button', {
      type: 'button',
      onclick: () =>
        void act('New folder', async () => {
          const name = await promptDialog({ title: 'New folder', label: 'Folder name', confirm: 'Create' });
          if (name) await api.createFolder(join(folder, name));
        }),
    }, 'New folder'),
    h('button', {
      type: 'button',
      class: 'primary',
      onclick: async () => {
        try {
          location.href = notebookHref((await api.create(undefined, folder)).name);
        } catch (err) {
          toast(`Could not create a notebook: ${(err as Error).message}`, 'error');
        }
      },
    }, 'New notebook'),
  );
  const parts = folder ? folder.split('/') : [];
  const crumbs = h(
    'nav',
    { class: 'breadcrumbs', 'aria-label': 'Folder' },
    h('a', { href: '/' }, 'Notebooks'),
    ...parts.flatMap((part, i) => {
      const path = parts.slice(0, i + 1).join('/');
      return [h('span', { 'aria-hidden': 'true' }, ' / '), i === parts.length - 1 ? h('span', { 'aria-current': 'page' }, part) : h('a', { href: folderHref(path) }, part)];
    }),
  );

  container.replaceChildren(
    h(
      'div',
      { class: 'list-page' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '/' }, 'Trailbook'),
        h('span', { class: 'spacer' }),
        themeToggle(),
        h('form', { method: 'post', action: '/logout' }, h('button', { type: 'submit', class: 'subtle' }, 'Log out')),
      ),
      h('main', { class: 'list' }, crumbs, h('div', { class: 'list-head' }, h('h1', {}, folder ? baseName(folder) : 'Notebooks'), actions), gitLine, table, empty, skippedNote),
    ),
  );
  await refresh();
}
