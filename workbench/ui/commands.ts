/**
 * A command registry on Lumino's model (JupyterLab's CommandRegistry): each action is declared once
 * with `addCommand(id, { label, isEnabled, execute })`, key bindings are separate records
 * `{ keys, mode, command }`, and the toolbar, the key handler, the command palette and the help list
 * are all read from here. Edit and command mode are a binding's `mode`, not branches in a handler.
 * No DOM: keys arrive as plain keyboard-event-like objects, so this is testable without a browser.
 */

export type Mode = 'command' | 'edit';

/** What a command receives: a target cell (per-cell toolbar) or nothing (the selection). */
export interface CommandArgs {
  cellId?: string;
}

export interface CommandSpec {
  label: string;
  /** Shown beside the label in the palette and help, e.g. 'Notebook', 'Cell', 'Kernel'. */
  category: string;
  /** A short text for a toolbar button, when the label is too long there (the label stays its name). */
  short?: string;
  /** Disabled commands are greyed in toolbars and palette, and their keys fall through. */
  isEnabled?: (args: CommandArgs) => boolean;
  execute: (args: CommandArgs) => unknown;
}

export interface KeyBinding {
  /** One keystroke, or a sequence pressed in turn: ['Shift Enter'], ['I', 'I'], ['Accel Shift C']. */
  keys: string[];
  /** Where the keys work: command mode, inside a cell editor, or both. */
  mode: Mode | 'any';
  command: string;
}

/** The parts of a KeyboardEvent the registry reads. */
export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** A second key of a sequence must come within this long (Lumino's chord timeout). */
export const CHORD_TIMEOUT_MS = 1000;

const MODIFIERS = ['Accel', 'Alt', 'Shift'] as const;
const NAMED: Record<string, string> = { ' ': 'Space', Esc: 'Escape', Up: 'ArrowUp', Down: 'ArrowDown', Left: 'ArrowLeft', Right: 'ArrowRight' };

/** 'shift accel c' → 'Accel Shift C': modifiers in a fixed order, letters upper case. */
export function normaliseKeystroke(keystroke: string): string {
  const parts = keystroke.trim().split(/\s+/);
  const key = parts.pop() ?? '';
  const mods = new Set(parts.map((p) => p.toLowerCase()));
  for (const m of mods) if (!['accel', 'ctrl', 'cmd', 'alt', 'shift'].includes(m)) throw new Error(`unknown modifier "${m}" in "${keystroke}"`);
  const accel = mods.has('accel') || mods.has('ctrl') || mods.has('cmd');
  const name = NAMED[key] ?? (key.length === 1 ? key.toUpperCase() : key);
  return [accel && 'Accel', mods.has('alt') && 'Alt', mods.has('shift') && 'Shift', name].filter(Boolean).join(' ');
}

/** The keystroke of a key event, or undefined for a bare modifier. Ctrl and Cmd are both Accel. */
export function keystrokeOf(e: KeyLike): string | undefined {
  if (['Shift', 'Control', 'Alt', 'Meta', 'AltGraph', 'CapsLock'].includes(e.key)) return undefined;
  let name = NAMED[e.key] ?? (e.key.length === 1 ? e.key.toUpperCase() : e.key);
  // Shift and Alt change the character (Shift+1 is '!', Alt+N is '˜' on a Mac): bindings name the key.
  const code = e.code ?? '';
  if (/^Key[A-Z]$/.test(code) && (e.altKey || e.shiftKey || e.ctrlKey || e.metaKey)) name = code.slice(3);
  else if (/^Digit\d$/.test(code) && (e.altKey || e.shiftKey)) name = code.slice(5);
  const mods = [(e.ctrlKey || e.metaKey) && 'Accel', e.altKey && 'Alt', e.shiftKey && 'Shift'].filter(Boolean);
  return [...mods, name].join(' ');
}

/** How a keystroke reads to a person: 'Accel Shift C' → 'Ctrl+Shift+C' (⌘ on a Mac). */
export function formatKeystroke(keystroke: string, mac = false): string {
  const names: Record<string, string> = { Accel: mac ? '⌘' : 'Ctrl', ArrowUp: '↑', ArrowDown: '↓', ArrowLeft: '←', ArrowRight: '→', Escape: 'Esc' };
  return keystroke
    .split(' ')
    .map((p) => names[p] ?? p)
    .join('+');
}

export const formatKeys = (keys: string[], mac = false): string => keys.map((k) => formatKeystroke(k, mac)).join(', ');

interface Pending {
  keys: string[];
  mode: Mode;
  at: number;
}

export class CommandRegistry {
  private readonly commands = new Map<string, CommandSpec>();
  private readonly bindings: KeyBinding[] = [];
  private pending?: Pending;
  private readonly listeners = new Set<(id: string) => void>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  addCommand(id: string, spec: CommandSpec): void {
    if (this.commands.has(id)) throw new Error(`command "${id}" is already registered`);
    this.commands.set(id, spec);
  }

  addKeyBinding(binding: KeyBinding): void {
    if (!this.commands.has(binding.command)) throw new Error(`key binding for unknown command "${binding.command}"`);
    const keys = binding.keys.map(normaliseKeystroke);
    const clash = this.bindings.find((b) => b.keys.join(',') === keys.join(',') && (b.mode === binding.mode || b.mode === 'any' || binding.mode === 'any'));
    if (clash) throw new Error(`keys ${keys.join(', ')} are bound to both "${clash.command}" and "${binding.command}"`);
    this.bindings.push({ ...binding, keys });
  }

  has(id: string): boolean {
    return this.commands.has(id);
  }

  /** Every command id, in the order they were added. */
  ids(): string[] {
    return [...this.commands.keys()];
  }

  spec(id: string): CommandSpec {
    const spec = this.commands.get(id);
    if (!spec) throw new Error(`unknown command "${id}"`);
    return spec;
  }

  label(id: string): string {
    return this.spec(id).label;
  }

  isEnabled(id: string, args: CommandArgs = {}): boolean {
    const spec = this.spec(id);
    return spec.isEnabled ? spec.isEnabled(args) : true;
  }

  /** The key bindings of a command (for toolbars' titles, the palette and help). */
  keyBindingsOf(id: string): KeyBinding[] {
    return this.bindings.filter((b) => b.command === id);
  }

  /** Runs a command when enabled; returns whether it ran. */
  async execute(id: string, args: CommandArgs = {}): Promise<boolean> {
    if (!this.isEnabled(id, args)) return false;
    for (const listener of this.listeners) listener(id);
    await this.spec(id).execute(args);
    return true;
  }

  /** Called before each command runs (the page re-renders enabled states after). */
  onExecute(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Handles a key press in a mode. Returns 'handled' when it ran a command or started a sequence (the
   * caller then stops the event), 'ignored' when no binding wants it (e.g. plain typing in an editor).
   * A sequence's first key is held for CHORD_TIMEOUT_MS; any other key ends it.
   */
  processKeydown(e: KeyLike, mode: Mode): { result: 'handled' | 'ignored'; command?: string; promise?: Promise<boolean> } {
    const stroke = keystrokeOf(e);
    if (!stroke) return { result: 'ignored' };
    const now = this.now();
    const held = this.pending && this.pending.mode === mode && now - this.pending.at <= CHORD_TIMEOUT_MS ? this.pending.keys : [];
    this.pending = undefined;
    for (const prefix of held.length ? [[...held, stroke], [stroke]] : [[stroke]]) {
      const candidates = this.bindings.filter((b) => (b.mode === mode || b.mode === 'any') && startsWith(b.keys, prefix) && this.isEnabled(b.command));
      const exact = candidates.find((b) => b.keys.length === prefix.length);
      if (exact) return { result: 'handled', command: exact.command, promise: this.execute(exact.command) };
      if (candidates.length) {
        this.pending = { keys: prefix, mode, at: now };
        return { result: 'handled' };
      }
    }
    return { result: 'ignored' };
  }
}

const startsWith = (keys: string[], prefix: string[]): boolean => prefix.length <= keys.length && prefix.every((k, i) => keys[i] === k);
