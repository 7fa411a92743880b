import type { NotebookEntry } from '../notebooks.ts';
import { api } from './api.ts';
import { h, toast } from './dom.ts';

/** The notebook list: open, create, rename, duplicate, delete; malformed files shown with their error. */

const href = (name: string) => `/notebooks/${encodeURIComponent(name)}`;

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export async function renderList(container: HTMLElement): Promise<void> {
  document.title = 'Notebooks · Trailbook';
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'notebook-list', 'aria-label': 'Notebooks' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Modified'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    tbody,
  );
  const empty = h('p', { class: 'empty', hidden: true }, 'No notebooks yet. Create one to start exploring CloudTrail.');

  const refresh = async () => {
    let notebooks: NotebookEntry[];
    let kernels: Map<string, string>;
    try {
      const listed = await api.list();
      notebooks = listed.notebooks;
      kernels = new Map(listed.kernels.filter((k) => k.status !== 'off').map((k) => [k.name, k.status]));
    } catch (err) {
      toast(`Could not list notebooks: ${(err as Error).message}`, 'error');
      return;
    }
    empty.hidden = notebooks.length > 0;
    tbody.replaceChildren(
      ...notebooks.map((nb) => {
        const title = nb.name.replace(/\.ipynb$/, '');
        const action = (label: string, text: string, fn: () => Promise<unknown>) =>
          h('button', {
            type: 'button',
            class: 'subtle',
            'aria-label': `${label} ${title}`,
            onclick: async () => {
              try {
                await fn();
                await refresh();
              } catch (err) {
                toast(`${label} failed: ${(err as Error).message}`, 'error');
              }
            },
          }, text);
        return h(
          'tr',
          { class: nb.error ? 'invalid' : '' },
          h(
            'td',
            {},
            nb.error ? h('span', { class: 'nb-name' }, title) : h('a', { href: href(nb.name), class: 'nb-name' }, title),
            kernels.has(nb.name) ? h('span', { class: 'kernel-badge', title: `Kernel ${kernels.get(nb.name)}` }, `kernel ${kernels.get(nb.name)}`) : '',
            nb.error ? h('div', { class: 'nb-error', role: 'note' }, `Cannot be opened: ${nb.error}`) : '',
          ),
          h('td', {}, new Date(nb.modified).toLocaleString()),
          h('td', {}, formatSize(nb.size)),
          h(
            'td',
            { class: 'actions' },
            action('Rename', 'Rename', async () => {
              const to = prompt('New name', nb.name);
              if (to && to !== nb.name) await api.rename(nb.name, to.endsWith('.ipynb') ? to : `${to}.ipynb`);
            }),
            nb.error ? '' : action('Duplicate', 'Duplicate', () => api.duplicate(nb.name)),
            action('Delete', 'Delete', async () => {
              if (confirm(`Delete ${nb.name}? This cannot be undone.`)) await api.remove(nb.name);
            }),
          ),
        );
      }),
    );
  };

  const create = h('button', {
    type: 'button',
    class: 'primary',
    'aria-label': 'New notebook',
    onclick: async () => {
      try {
        const created = await api.create();
        location.href = href(created.name);
      } catch (err) {
        toast(`Could not create a notebook: ${(err as Error).message}`, 'error');
      }
    },
  }, '+ New notebook');

  container.replaceChildren(
    h(
      'div',
      { class: 'list-page' },
      h('header', { class: 'topbar' }, h('a', { class: 'brand', href: '/' }, 'Trailbook'), h('span', { class: 'spacer' }),
        h('form', { method: 'post', action: '/logout' }, h('button', { type: 'submit', class: 'subtle', 'aria-label': 'Log out' }, 'Log out'))),
      h('main', { class: 'list' }, h('div', { class: 'list-head' }, h('h1', {}, 'Notebooks'), create), table, empty),
    ),
  );
  await refresh();
}
