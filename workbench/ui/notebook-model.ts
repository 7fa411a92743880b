import type { Notebook } from '../../notebook/format.ts';
import type { ServerMessage } from '../kernels.ts';
import {
  applyServerMessage,
  changeType,
  clearedOutputs,
  copyCells,
  fromNotebookCell,
  insertCells,
  mergeCells,
  moveBlock,
  newCell,
  queued,
  removeCells,
  restoreCells,
  toNotebook,
  withSource,
  type CellModel,
  type CellType,
  type Removed,
} from './cell-ops.ts';
import type { Mode } from './commands.ts';

/**
 * The notebook being edited, as state without a view (JupyterLab's NotebookModel plus its
 * NotebookActions): cells, the selection (a contiguous range from `anchor` to `active`, as
 * Shift+arrows and Shift+click make it), command or edit mode, the cell clipboard and the undo list of
 * deletions. Every change notifies the listeners once; views re-render from `cells` by identity.
 * `revision` counts changes to what is saved, so autosave knows when there is something to save.
 */

export interface ModelChange {
  /** Saved content changed (cells, sources, outputs), not just selection, mode or run state. */
  content: boolean;
}

/** One undoable step: cells taken out (delete, cut, merge) and cells it added (a merge result, the blank cell of an emptied notebook). */
interface UndoEntry {
  removed: Removed;
  added: string[];
}

const UNDO_LIMIT = 50;

export class NotebookModel {
  private _cells: readonly CellModel[] = [];
  private _active = 0;
  private _anchor = 0;
  private _mode: Mode = 'command';
  private clipboard: CellModel[] = [];
  private readonly undoList: UndoEntry[] = [];
  private _revision = 0;
  private readonly listeners = new Set<(change: ModelChange) => void>();
  metadata: Record<string, unknown> = {};
  nbformatMinor = 5;

  get cells(): readonly CellModel[] {
    return this._cells;
  }
  get active(): number {
    return this._active;
  }
  get anchor(): number {
    return this._anchor;
  }
  get mode(): Mode {
    return this._mode;
  }
  get revision(): number {
    return this._revision;
  }
  get activeCell(): CellModel | undefined {
    return this._cells[this._active];
  }
  get canUndo(): boolean {
    return this.undoList.length > 0;
  }
  get canPaste(): boolean {
    return this.clipboard.length > 0;
  }

  onChange(listener: (change: ModelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(cells: readonly CellModel[], content: boolean): void {
    this._cells = cells;
    if (content) this._revision++;
    this.clampSelection();
    for (const listener of this.listeners) listener({ content });
  }

  private clampSelection(): void {
    const last = Math.max(0, this._cells.length - 1);
    this._active = Math.min(Math.max(0, this._active), last);
    this._anchor = Math.min(Math.max(0, this._anchor), last);
  }

  load(notebook: Notebook): void {
    this.metadata = notebook.metadata;
    this.nbformatMinor = notebook.nbformat_minor;
    const cells = notebook.cells.map(fromNotebookCell);
    this._active = this._anchor = 0;
    this.commit(cells.length ? cells : [newCell('code')], false);
  }

  toNotebook(): Notebook {
    return toNotebook(this._cells, { metadata: this.metadata, nbformat_minor: this.nbformatMinor });
  }

  indexOf(id: string): number {
    return this._cells.findIndex((c) => c.id === id);
  }

  cell(id: string): CellModel | undefined {
    return this._cells.find((c) => c.id === id);
  }

  /** The selected cells, top to bottom. */
  selected(): CellModel[] {
    const [from, to] = this.range();
    return this._cells.slice(from, to + 1);
  }

  range(): [number, number] {
    return [Math.min(this._anchor, this._active), Math.max(this._anchor, this._active)];
  }

  isSelected(index: number): boolean {
    const [from, to] = this.range();
    return index >= from && index <= to;
  }

  /** Makes `index` the active cell; `extend` keeps the anchor (Shift+click, Shift+arrows). */
  select(index: number, options: { extend?: boolean; mode?: Mode } = {}): void {
    this._active = index;
    if (!options.extend) this._anchor = index;
    if (options.mode) this._mode = options.mode;
    this.commit(this._cells, false);
  }

  setMode(mode: Mode): void {
    if (mode === this._mode) return;
    this._mode = mode;
    this.commit(this._cells, false);
  }

  private replace(id: string, fn: (cell: CellModel) => CellModel, content = true): void {
    const index = this.indexOf(id);
    if (index < 0) return;
    const next = fn(this._cells[index]!);
    if (next === this._cells[index]) return;
    const cells = [...this._cells];
    cells[index] = next;
    this.commit(cells, content);
  }

  setSource(id: string, source: string): void {
    this.replace(id, (c) => withSource(c, source));
  }

  /** A markdown cell shown as source (editing) or rendered. */
  setEditing(id: string, editing: boolean): void {
    this.replace(id, (c) => (c.type !== 'markdown' || c.editing === editing ? c : { ...c, editing }), false);
  }

  insert(index: number, type: CellType): CellModel {
    const cell = newCell(type);
    this._active = this._anchor = Math.max(0, Math.min(index, this._cells.length));
    this.commit(insertCells(this._cells, index, [cell]), true);
    return cell;
  }

  private pushUndo(entry: UndoEntry): void {
    this.undoList.push(entry);
    if (this.undoList.length > UNDO_LIMIT) this.undoList.shift();
  }

  /** Deletes cells (the selection by default); the notebook never ends up empty. Z puts them back. */
  delete(ids: string[] = this.selected().map((c) => c.id)): void {
    if (!ids.length) return;
    const first = Math.min(...ids.map((id) => this.indexOf(id)).filter((i) => i >= 0));
    const { cells, removed } = removeCells(this._cells, new Set(ids));
    if (!removed.length) return;
    const added: string[] = [];
    let next = cells;
    if (!next.length) {
      const blank = newCell('code');
      added.push(blank.id);
      next = [blank];
    }
    this.pushUndo({ removed, added });
    this._active = this._anchor = Math.min(first, next.length - 1);
    this._mode = 'command';
    this.commit(next, true);
  }

  /** Undoes the last delete, cut or merge. */
  undo(): boolean {
    const entry = this.undoList.pop();
    if (!entry) return false;
    const { cells } = removeCells(this._cells, new Set(entry.added));
    const restored = restoreCells(cells, entry.removed);
    const indices = entry.removed.map((r) => r.index);
    this._anchor = Math.min(...indices);
    this._active = Math.max(...indices);
    this._mode = 'command';
    this.commit(restored, true);
    return true;
  }

  copy(): void {
    this.clipboard = copyCells(this.selected());
    this.commit(this._cells, false);
  }

  cut(): void {
    this.copy();
    this.delete();
  }

  /** Pastes the clipboard below (or above) the active cell; each paste makes new ids. */
  paste(where: 'below' | 'above'): void {
    if (!this.clipboard.length) return;
    const cells = copyCells(this.clipboard);
    const at = where === 'below' ? this._active + 1 : this._active;
    this._anchor = at;
    this._active = at + cells.length - 1;
    this.commit(insertCells(this._cells, at, cells), true);
  }

  /** Moves the selected block up or down by one; the selection moves with it. */
  move(delta: -1 | 1, ids?: string[]): void {
    let [from, to] = this.range();
    if (ids) {
      const indices = ids.map((id) => this.indexOf(id)).filter((i) => i >= 0);
      if (!indices.length) return;
      [from, to] = [Math.min(...indices), Math.max(...indices)];
    }
    const moved = moveBlock(this._cells, from, to, delta);
    if (moved === this._cells) return;
    this._anchor = from + delta;
    this._active = to + delta;
    this.commit(moved, true);
  }

  /** Merges the selected cells (or, with one selected, it and the cell below): Shift+M. Z undoes it. */
  merge(): boolean {
    let ids = this.selected().map((c) => c.id);
    if (ids.length === 1) {
      const below = this._cells[this._active + 1];
      if (!below) return false;
      ids = [ids[0]!, below.id];
    }
    const result = mergeCells(this._cells, ids);
    if (!result) return false;
    this.pushUndo({ removed: result.removed, added: [result.merged.id] });
    this._active = this._anchor = result.cells.indexOf(result.merged);
    this.commit(result.cells, true);
    return true;
  }

  setType(type: CellType, ids: string[] = this.selected().map((c) => c.id)): void {
    const set = new Set(ids);
    const cells = this._cells.map((c) => (set.has(c.id) ? changeType(c, type) : c));
    if (cells.every((c, i) => c === this._cells[i])) return;
    this.commit(cells, true);
  }

  /** Marks a code cell queued (its outputs cleared) and returns it, for the page to send its source. */
  queue(id: string): CellModel | undefined {
    this.replace(id, (c) => (c.type === 'code' ? queued(c) : c));
    return this.cell(id);
  }

  clearOutputs(ids: string[] = this._cells.map((c) => c.id)): void {
    const set = new Set(ids);
    const cells = this._cells.map((c) => (set.has(c.id) ? clearedOutputs(c) : c));
    if (cells.every((c, i) => c === this._cells[i])) return;
    this.commit(cells, true);
  }

  /** A kernel message: cell run states and outputs. */
  apply(message: ServerMessage): void {
    const { cells, contentChanged } = applyServerMessage(this._cells, message);
    if (cells !== this._cells) this.commit(cells, contentChanged);
  }
}
