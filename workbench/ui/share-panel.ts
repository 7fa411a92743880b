import type { ShareView } from '../routes/share.ts';
import { api } from './api.ts';
import { h, toast } from './dom.ts';

/**
 * The share panel: makes a read-only link (30 days unless another expiry is chosen), shows it with
 * the HTML download, and lists every link to the notebook with its expiry and a Revoke button.
 */

const EXPIRY_CHOICES: [value: string, label: string][] = [
  ['24', 'Expires in 1 day'],
  ['168', 'Expires in 7 days'],
  ['720', 'Expires in 30 days'],
  ['never', 'Never expires'],
];
const DEFAULT_EXPIRY = '720';

function describeLink(link: ShareView): string {
  const created = `made ${new Date(link.created).toLocaleString()}`;
  if (link.status === 'revoked') return `${created}, revoked`;
  if (link.status === 'deleted') return `${created}, notebook deleted`;
  if (link.expiresAt === null) return `${created}, never expires`;
  return `${created}, ${link.status === 'expired' ? 'expired' : 'expires'} ${new Date(link.expiresAt).toLocaleString()}`;
}

export interface SharePanelOptions {
  /** The notebook's current name (it can be renamed while the panel is open). */
  name: () => string;
  /** Sharing may give the notebook its id (a save): the editor adopts the new version. */
  onVersion: (version: string) => void;
  expiry?: string;
}

export async function showSharePanel(banner: HTMLElement, options: SharePanelOptions): Promise<void> {
  const expiry = options.expiry ?? DEFAULT_EXPIRY;
  const link = await api.share(options.name(), expiry === 'never' ? 'never' : Number(expiry));
  options.onVersion(link.version);
  let copied = false;
  try {
    await navigator.clipboard.writeText(link.url!);
    copied = true;
  } catch {
    copied = false; // no clipboard permission (e.g. plain http): the link is shown selected instead
  }
  const input = h('input', { type: 'text', readonly: true, value: link.url!, 'aria-label': 'Share link', class: 'share-link' });
  const select = h('select', { 'aria-label': 'Link expires' }, ...EXPIRY_CHOICES.map(([v, label]) => h('option', { value: v, selected: v === expiry }, label)));
  const list = h('ul', { class: 'share-links', 'aria-label': 'Links to this notebook' });

  const refresh = async () => {
    const { shares } = await api.shares(options.name());
    // The link shown at the top no longer works once revoked: say so rather than offer it for copying.
    if (shares.some((s) => s.id === link.id && s.status !== 'active')) {
      input.value = 'This link was revoked: make a new one';
      input.disabled = true;
    }
    list.replaceChildren(
      ...shares
        .sort((a, b) => b.created.localeCompare(a.created))
        .map((s) =>
          h(
            'li',
            { class: `share-${s.status}` },
            h('span', {}, `${s.id === link.id ? 'This link' : 'Link'}: ${describeLink(s)}`),
            s.status === 'active'
              ? h('button', {
                  type: 'button',
                  class: 'subtle',
                  'aria-label': `Revoke link made ${new Date(s.created).toLocaleString()}`,
                  onclick: async () => {
                    try {
                      await api.revokeShare(s.id);
                      toast('Link revoked: it now answers “revoked”.');
                      await refresh();
                    } catch (err) {
                      toast(`Revoke failed: ${(err as Error).message}`, 'error');
                    }
                  },
                }, 'Revoke')
              : '',
          ),
        ),
    );
  };

  banner.replaceChildren(
    h('span', {}, copied ? 'Read-only link copied:' : 'Read-only link:'),
    input,
    h('span', { class: 'share-expiry' }, link.expiresAt === null ? 'never expires' : `expires ${new Date(link.expiresAt).toLocaleString()}`),
    h('a', { href: link.exportUrl!, download: options.name().replace(/\.ipynb$/, '.html'), class: 'button' }, 'Download HTML'),
    select,
    h('button', {
      type: 'button',
      'aria-label': 'Make a new link with this expiry',
      onclick: () => void showSharePanel(banner, { ...options, expiry: select.value }).catch((err) => toast(`Share failed: ${(err as Error).message}`, 'error')),
    }, 'New link'),
    h('button', { type: 'button', 'aria-label': 'Close share panel', onclick: () => (banner.hidden = true) }, 'Close'),
    list,
  );
  banner.hidden = false;
  banner.classList.add('info');
  input.select();
  await refresh().catch((err) => toast(`Could not list this notebook's links: ${(err as Error).message}`, 'error'));
}
