import { formatKeys, type CommandArgs, type CommandRegistry } from './commands.ts';
import { h } from './dom.ts';
import { icon as iconOf, type IconName } from './icons.ts';

/**
 * A toolbar made from registry commands: each button's text, name, key hint and enabled state come
 * from the command. `refresh()` re-reads enabled states (after any change of the notebook).
 */
export class Toolbar {
  readonly el: HTMLElement;
  private readonly buttons: { id: string; button: HTMLButtonElement }[] = [];

  constructor(
    private readonly registry: CommandRegistry,
    items: readonly string[],
    options: { label: string; className: string; icons?: Record<string, IconName>; iconOnly?: boolean; args?: () => CommandArgs; extra?: Record<string, string> },
  ) {
    this.el = h('div', { class: options.className, role: 'toolbar', 'aria-label': options.label });
    for (const id of items) {
      if (id === '|') {
        this.el.append(h('span', { class: 'sep', 'aria-hidden': 'true' }));
        continue;
      }
      const spec = registry.spec(id);
      const text = spec.short ?? spec.label;
      const keys = registry.keyBindingsOf(id).map((b) => formatKeys(b.keys));
      const icon = options.icons?.[id];
      const button = h(
        'button',
        { type: 'button', class: options.extra?.[id] ?? '', title: keys.length ? `${spec.label} (${keys.join(' or ')})` : spec.label, 'data-command': id },
        icon ? iconOf(icon) : '',
        options.iconOnly ? h('span', { class: 'visually-hidden' }, text) : icon ? ` ${text}` : text,
      );
      // Pointer clicks keep the focus where it was (a cell, an editor), as JupyterLab's toolbar does.
      button.addEventListener('mousedown', (e) => e.preventDefault());
      button.addEventListener('click', () => void registry.execute(id, options.args?.() ?? {}));
      this.buttons.push({ id, button });
      this.el.append(button);
    }
    this.refresh();
  }

  refresh(args: CommandArgs = {}): void {
    for (const { id, button } of this.buttons) button.disabled = !this.registry.isEnabled(id, args);
  }
}
