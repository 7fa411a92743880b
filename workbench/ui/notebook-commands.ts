import type { CellType } from './cell-ops.ts';
import type { CommandArgs, CommandRegistry, KeyBinding } from './commands.ts';
import type { IconName } from './icons.ts';
import type { NotebookModel } from './notebook-model.ts';

/**
 * Every action of the notebook page, declared once: id (JupyterLab's where there is one), label,
 * category, when it is enabled, what it does, and its keys. The toolbar, the cell toolbar, the key
 * handler, the command palette and the key help are all derived from this table, so a new command is
 * one entry here (plus a toolbar slot, if it wants one).
 */

/** What the commands act with: the model, and the page's effects (kernel, saving, dialogs). */
export interface NotebookActions {
  model: NotebookModel;
  /** Runs cells (markdown renders) and then stays, selects the next cell (adding one at the end), or inserts one. */
  run(ids: string[], then: 'stay' | 'next' | 'insert'): void;
  interrupt(): void;
  restart(runAll: boolean): Promise<void>;
  shutdown(): Promise<void>;
  kernelRunning(): boolean;
  save(): Promise<void>;
  rename(): Promise<void>;
  download(): Promise<void>;
  share(): Promise<void>;
  enterEdit(): void;
  enterCommand(): void;
  /** An editor popup (completion, parameter hints, find) is open: Esc is for it. */
  editorPopupOpen(): boolean;
  palette(): Promise<void>;
  keyHelp(): Promise<void>;
  toggleTheme(): void;
}

type Def = {
  label: string;
  category: 'Notebook' | 'Cell' | 'Edit' | 'Run' | 'Kernel' | 'View';
  short?: string;
  keys?: [keys: string[], mode: KeyBinding['mode']][];
  isEnabled?: (args: CommandArgs) => boolean;
  execute: (args: CommandArgs) => unknown;
};

export function notebookCommands(a: NotebookActions): Record<string, Def> {
  const m = a.model;
  /** The cells a command acts on: the one its cell toolbar belongs to, else the selection. */
  const targets = (args: CommandArgs): string[] => (args.cellId ? [args.cellId] : m.selected().map((c) => c.id));
  const bounds = (args: CommandArgs): [number, number] => {
    const indices = targets(args).map((id) => m.indexOf(id)).filter((i) => i >= 0);
    return [Math.min(...indices), Math.max(...indices)];
  };
  const setType = (type: CellType) => (args: CommandArgs) => m.setType(type, targets(args));
  const insert = (offset: 0 | 1, type: CellType, edit: boolean) => () => {
    const [from, to] = m.range();
    m.insert(offset ? to + 1 : from, type);
    if (edit) a.enterEdit();
  };

  return {
    // ── running ──
    'notebook:run-cell-and-select-next': { label: 'Run selected cells and select below', short: 'Run', category: 'Run', keys: [[['Shift Enter'], 'any']], execute: (x) => a.run(targets(x), 'next') },
    'notebook:run-cell': { label: 'Run selected cells', short: 'Run', category: 'Run', keys: [[['Accel Enter'], 'any']], execute: (x) => a.run(targets(x), 'stay') },
    'notebook:run-cell-and-insert-below': { label: 'Run selected cells and insert below', category: 'Run', keys: [[['Alt Enter'], 'any']], execute: (x) => a.run(targets(x), 'insert') },
    'notebook:run-all-cells': { label: 'Run all cells', short: 'Run all', category: 'Run', execute: () => a.run(m.cells.map((c) => c.id), 'stay') },
    'notebook:run-all-above': { label: 'Run all cells above the selected one', short: 'Run above', category: 'Run', execute: () => a.run(m.cells.slice(0, m.range()[0]).map((c) => c.id), 'stay') },
    'notebook:run-all-below': { label: 'Run selected cell and all below', category: 'Run', execute: () => a.run(m.cells.slice(m.range()[0]).map((c) => c.id), 'stay') },
    'notebook:clear-all-cell-outputs': { label: 'Clear outputs of all cells', short: 'Clear outputs', category: 'Run', execute: () => m.clearOutputs() },
    'notebook:clear-cell-output': { label: 'Clear outputs of selected cells', category: 'Run', execute: (x) => m.clearOutputs(targets(x)) },

    // ── kernel ──
    'kernel:interrupt': { label: 'Interrupt the kernel', short: 'Interrupt', category: 'Kernel', keys: [[['I', 'I'], 'command']], isEnabled: () => a.kernelRunning(), execute: () => a.interrupt() },
    'kernel:restart': { label: 'Restart the kernel…', short: 'Restart', category: 'Kernel', keys: [[['0', '0'], 'command']], execute: () => a.restart(false) },
    'kernel:restart-run-all': { label: 'Restart the kernel and run all cells…', category: 'Kernel', execute: () => a.restart(true) },
    'kernel:shutdown': { label: 'Shut down the kernel…', short: 'Shut down', category: 'Kernel', isEnabled: () => a.kernelRunning(), execute: () => a.shutdown() },

    // ── cells ──
    'notebook:add-code-cell': { label: 'Add a code cell below and edit it', short: 'Code', category: 'Cell', execute: insert(1, 'code', true) },
    'notebook:add-markdown-cell': { label: 'Add a markdown cell below and edit it', short: 'Markdown', category: 'Cell', execute: insert(1, 'markdown', true) },
    'notebook:insert-cell-above': { label: 'Insert a code cell above', category: 'Cell', keys: [[['A'], 'command']], execute: insert(0, 'code', false) },
    'notebook:insert-cell-below': { label: 'Insert a code cell below', category: 'Cell', keys: [[['B'], 'command']], execute: insert(1, 'code', false) },
    'notebook:delete-cell': { label: 'Delete cells', short: 'Delete', category: 'Cell', keys: [[['D', 'D'], 'command']], execute: (x) => m.delete(targets(x)) },
    'notebook:undo-cell-action': { label: 'Undo cell delete, cut or merge', category: 'Cell', keys: [[['Z'], 'command']], isEnabled: () => m.canUndo, execute: () => m.undo() },
    'notebook:copy-cell': { label: 'Copy cells', category: 'Cell', keys: [[['C'], 'command']], execute: () => m.copy() },
    'notebook:cut-cell': { label: 'Cut cells', category: 'Cell', keys: [[['X'], 'command']], execute: () => m.cut() },
    'notebook:paste-cell-below': { label: 'Paste cells below', category: 'Cell', keys: [[['V'], 'command']], isEnabled: () => m.canPaste, execute: () => m.paste('below') },
    'notebook:paste-cell-above': { label: 'Paste cells above', category: 'Cell', keys: [[['Shift V'], 'command']], isEnabled: () => m.canPaste, execute: () => m.paste('above') },
    'notebook:merge-cells': {
      label: 'Merge selected cells (one cell: with the cell below)',
      category: 'Cell',
      keys: [[['Shift M'], 'command']],
      isEnabled: () => m.selected().length > 1 || m.active < m.cells.length - 1,
      execute: () => m.merge(),
    },
    'notebook:move-cell-up': { label: 'Move cells up', short: 'Move up', category: 'Cell', keys: [[['Accel Shift ArrowUp'], 'command']], isEnabled: (x) => bounds(x)[0] > 0, execute: (x) => m.move(-1, targets(x)) },
    'notebook:move-cell-down': {
      label: 'Move cells down',
      short: 'Move down',
      category: 'Cell',
      keys: [[['Accel Shift ArrowDown'], 'command']],
      isEnabled: (x) => bounds(x)[1] < m.cells.length - 1,
      execute: (x) => m.move(1, targets(x)),
    },
    'notebook:change-cell-to-code': { label: 'Change to code', category: 'Cell', keys: [[['Y'], 'command']], execute: setType('code') },
    'notebook:change-cell-to-markdown': { label: 'Change to markdown', category: 'Cell', keys: [[['M'], 'command']], execute: setType('markdown') },
    'notebook:change-cell-to-raw': { label: 'Change to raw', category: 'Cell', keys: [[['R'], 'command']], execute: setType('raw') },

    // ── selection and modes ──
    'notebook:enter-edit-mode': { label: 'Edit the selected cell', category: 'Edit', keys: [[['Enter'], 'command']], execute: () => a.enterEdit() },
    'notebook:enter-command-mode': { label: 'Leave the editor (command mode)', category: 'Edit', keys: [[['Escape'], 'edit']], isEnabled: () => !a.editorPopupOpen(), execute: () => a.enterCommand() },
    'notebook:move-cursor-up': { label: 'Select the cell above', category: 'Edit', keys: [[['ArrowUp'], 'command'], [['K'], 'command']], execute: () => m.select(m.active - 1) },
    'notebook:move-cursor-down': { label: 'Select the cell below', category: 'Edit', keys: [[['ArrowDown'], 'command'], [['J'], 'command']], execute: () => m.select(m.active + 1) },
    'notebook:extend-marked-cells-above': { label: 'Extend the selection above', category: 'Edit', keys: [[['Shift ArrowUp'], 'command'], [['Shift K'], 'command']], execute: () => m.select(m.active - 1, { extend: true }) },
    'notebook:extend-marked-cells-below': { label: 'Extend the selection below', category: 'Edit', keys: [[['Shift ArrowDown'], 'command'], [['Shift J'], 'command']], execute: () => m.select(m.active + 1, { extend: true }) },
    'notebook:select-all': {
      label: 'Select all cells',
      category: 'Edit',
      keys: [[['Accel A'], 'command']],
      execute: () => {
        m.select(0);
        m.select(m.cells.length - 1, { extend: true });
      },
    },

    // ── the notebook ──
    'docmanager:save': { label: 'Save the notebook', short: 'Save', category: 'Notebook', keys: [[['Accel S'], 'any']], execute: () => a.save() },
    'docmanager:rename': { label: 'Rename the notebook…', short: 'Rename', category: 'Notebook', execute: () => a.rename() },
    'docmanager:download': { label: 'Download the notebook (.ipynb)', short: 'Download', category: 'Notebook', execute: () => a.download() },
    'notebook:share': { label: 'Share a read-only link…', short: 'Share', category: 'Notebook', execute: () => a.share() },

    // ── view ──
    'apputils:activate-command-palette': { label: 'Search commands', category: 'View', keys: [[['Accel Shift C'], 'any']], execute: () => a.palette() },
    'help:keyboard-shortcuts': { label: 'Show keyboard shortcuts', short: 'Keys', category: 'View', keys: [[['H'], 'command']], execute: () => a.keyHelp() },
    'apputils:toggle-theme': { label: 'Switch between light and dark theme', short: 'Theme', category: 'View', execute: () => a.toggleTheme() },
  };
}

/** The notebook toolbar, in order ('|' separates groups). */
export const TOOLBAR = [
  'docmanager:save',
  '|',
  'notebook:add-code-cell',
  'notebook:add-markdown-cell',
  '|',
  'notebook:run-cell-and-select-next',
  'notebook:run-all-cells',
  'notebook:run-all-above',
  'notebook:clear-all-cell-outputs',
  '|',
  'kernel:interrupt',
  'kernel:restart',
  'kernel:shutdown',
] as const;

/** Beside the notebook's title. */
export const HEADER_TOOLBAR = ['docmanager:rename', 'docmanager:download', 'help:keyboard-shortcuts'] as const;

/** The toolbar of the active cell. */
export const CELL_TOOLBAR = ['notebook:run-cell', 'notebook:move-cell-up', 'notebook:move-cell-down', 'notebook:delete-cell'] as const;

/** Icons shown before a toolbar text (decorative: the text is the name). */
export const ICONS: Record<string, IconName> = {
  'notebook:add-code-cell': 'add',
  'notebook:add-markdown-cell': 'add',
  'notebook:run-cell-and-select-next': 'run',
  'notebook:run-cell': 'run',
  'kernel:interrupt': 'stop',
  'kernel:restart': 'restart',
  'notebook:move-cell-up': 'up',
  'notebook:move-cell-down': 'down',
  'notebook:delete-cell': 'remove',
};

export function registerNotebookCommands(registry: CommandRegistry, actions: NotebookActions): void {
  for (const [id, def] of Object.entries(notebookCommands(actions))) {
    registry.addCommand(id, { label: def.label, category: def.category, short: def.short, isEnabled: def.isEnabled, execute: def.execute });
    for (const [keys, mode] of def.keys ?? []) registry.addKeyBinding({ keys, mode, command: id });
  }
}
