import { h } from './dom.ts';

/**
 * Modal dialogs on the native <dialog> element (focus kept inside, Esc cancels, the page behind
 * inert), in place of the browser's confirm() and prompt(): themed, testable, and they say what an
 * action will do before a destructive one. Focus returns to where it was when a dialog closes.
 */

export interface DialogButton<T> {
  label: string;
  value: T;
  kind?: 'primary' | 'danger' | 'subtle';
}

let counter = 0;

/** Opens a modal with a title, content and buttons; resolves with the chosen button's value, or `cancel` on Esc. */
export function openDialog<T>(options: { title: string; body: (Node | string)[]; buttons: DialogButton<T>[]; cancel: T; className?: string; initialFocus?: HTMLElement }): Promise<T> {
  const previous = document.activeElement as HTMLElement | null;
  const id = `dialog-title-${++counter}`;
  const dialog = h('dialog', { class: `dialog ${options.className ?? ''}`.trim(), 'aria-labelledby': id });
  return new Promise<T>((resolve) => {
    let result = options.cancel;
    const buttons = options.buttons.map((b) =>
      h('button', { type: 'button', class: b.kind ?? '', onclick: () => ((result = b.value), dialog.close()) }, b.label),
    );
    dialog.append(h('h2', { id }, options.title), ...options.body, h('div', { class: 'dialog-buttons' }, ...buttons));
    dialog.addEventListener('close', () => {
      dialog.remove();
      previous?.focus?.({ preventScroll: true });
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (options.initialFocus ?? buttons.find((_, i) => options.buttons[i]!.kind !== 'danger') ?? buttons[0])?.focus();
  });
}

/** Asks before a destructive action; the safe choice (Cancel) has the focus. */
export function confirmDialog(options: { title: string; message: string; confirm: string }): Promise<boolean> {
  return openDialog({
    title: options.title,
    body: [h('p', {}, options.message)],
    buttons: [
      { label: 'Cancel', value: false, kind: 'subtle' },
      { label: options.confirm, value: true, kind: 'danger' },
    ],
    cancel: false,
  });
}

/** Asks for a text (a name); resolves with it trimmed, or null when cancelled or left empty. */
export async function promptDialog(options: { title: string; label: string; value?: string; confirm: string; choices?: string[] }): Promise<string | null> {
  const fieldId = `dialog-field-${++counter}`;
  const input = options.choices
    ? h('select', { id: fieldId }, ...options.choices.map((c) => h('option', { value: c, selected: c === options.value }, c || '(top folder)')))
    : h('input', { id: fieldId, type: 'text', value: options.value ?? '', autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { method: 'dialog', class: 'dialog-field' }, h('label', { for: fieldId }, options.label), input);
  let submitted = false;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submitted = true;
    form.closest('dialog')?.close();
  });
  const chosen = await openDialog({
    title: options.title,
    body: [form],
    buttons: [
      { label: 'Cancel', value: false, kind: 'subtle' },
      { label: options.confirm, value: true, kind: 'primary' },
    ],
    cancel: false,
    initialFocus: input,
  });
  if (!chosen && !submitted) return null;
  const value = input.value.trim();
  return options.choices ? value : value || null;
}
