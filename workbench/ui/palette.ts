import { formatKeys, type CommandRegistry } from './commands.ts';
import { openDialog } from './dialog.ts';
import { h } from './dom.ts';

/**
 * The two views of the whole command registry: the command palette (Ctrl+Shift+C, search any
 * command by name and run it) and the key help (H, every command and its keys). Nothing here lists
 * commands by hand: a command added to the registry shows up in both.
 */

const isMac = () => /Mac|iPhone|iPad/.test(navigator.platform);

function keysText(registry: CommandRegistry, id: string): string {
  return registry
    .keyBindingsOf(id)
    .map((b) => formatKeys(b.keys, isMac()) + (b.mode === 'edit' ? ' (editing)' : ''))
    .join(' or ');
}

/** Words of the query found in the command's category, label or keys, in any order. */
export function matches(query: string, text: string): boolean {
  const haystack = text.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

export async function openPalette(registry: CommandRegistry): Promise<void> {
  const input = h('input', {
    type: 'text',
    role: 'combobox',
    'aria-label': 'Search commands',
    'aria-expanded': 'true',
    'aria-controls': 'palette-list',
    'aria-autocomplete': 'list',
    placeholder: 'Search commands',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const list = h('ul', { id: 'palette-list', role: 'listbox', 'aria-label': 'Commands', class: 'palette-list' });
  let shown: string[] = [];
  let active = -1;
  let chosen: string | undefined;
  let dialog: HTMLDialogElement | null = null;

  const render = () => {
    const query = input.value;
    shown = registry.ids().filter((id) => matches(query, `${registry.spec(id).category} ${registry.label(id)} ${keysText(registry, id)}`));
    if (active < 0) active = Math.max(0, shown.findIndex((id) => registry.isEnabled(id)));
    active = Math.min(active, Math.max(0, shown.length - 1));
    list.replaceChildren(
      ...shown.map((id, i) => {
        const enabled = registry.isEnabled(id);
        const option = h(
          'li',
          { id: `palette-${i}`, role: 'option', 'aria-selected': String(i === active), 'aria-disabled': String(!enabled), class: i === active ? 'active' : '', 'data-command': id },
          h('span', { class: 'palette-category' }, registry.spec(id).category),
          h('span', { class: 'palette-label' }, registry.label(id)),
          h('kbd', {}, keysText(registry, id)),
        );
        option.addEventListener('mousedown', (e) => e.preventDefault());
        option.addEventListener('click', () => choose(i));
        return option;
      }),
    );
    if (shown.length) input.setAttribute('aria-activedescendant', `palette-${active}`);
    else input.removeAttribute('aria-activedescendant');
    list.children[active]?.scrollIntoView({ block: 'nearest' });
  };
  const choose = (i: number) => {
    const id = shown[i];
    if (!id || !registry.isEnabled(id)) return;
    chosen = id;
    dialog?.close();
  };
  input.addEventListener('input', () => {
    active = -1; // the first command that can run
    render();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + shown.length) % Math.max(1, shown.length);
      render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(active);
    }
  });
  render();
  const closed = openDialog({ title: 'Commands', body: [input, list], buttons: [], cancel: undefined, className: 'palette', initialFocus: input });
  dialog = input.closest('dialog');
  await closed;
  // Run after the dialog is gone, so the command's focus changes land on the notebook.
  if (chosen) await registry.execute(chosen);
}

/** H: every command with its keys, grouped by category, in the order they were declared. */
export async function openKeyHelp(registry: CommandRegistry): Promise<void> {
  const categories = [...new Set(registry.ids().map((id) => registry.spec(id).category))];
  const sections = categories.map((category) =>
    h(
      'section',
      { class: 'help-section' },
      h('h3', {}, category),
      h(
        'table',
        { class: 'help-keys' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Command'), h('th', { scope: 'col' }, 'Keys'))),
        h(
          'tbody',
          {},
          ...registry
            .ids()
            .filter((id) => registry.spec(id).category === category)
            .map((id) => h('tr', { 'data-command': id }, h('td', {}, registry.label(id)), h('td', {}, h('kbd', {}, keysText(registry, id) || '—')))),
        ),
      ),
    ),
  );
  const intro = h('p', {}, 'Command mode (Esc): single keys act on the selected cells. Edit mode (Enter): keys go to the editor, except those marked. Ctrl+Shift+C searches every command.');
  const body = h('div', { class: 'help-body', tabindex: '0', role: 'region', 'aria-label': 'Keyboard shortcuts' }, intro, ...sections);
  await openDialog({ title: 'Keyboard shortcuts', body: [body], buttons: [{ label: 'Close', value: undefined, kind: 'primary' }], cancel: undefined, className: 'help' });
}
