import type { Cell, Notebook, Output } from '../../notebook/format.ts';
import type { ServerMessage } from '../kernels.ts';
import { mimeText } from './output-text.ts';

/**
 * Notebook cells as data, and the pure operations on them: insert, remove (and put back), move,
 * merge, change type, and the transition of a cell for each kernel message. Each returns new arrays and
 * new cell objects for what changed and shares the rest, so a view can re-render by identity. No DOM.
 */

export type CellType = 'code' | 'markdown' | 'raw';
export type RunState = 'idle' | 'queued' | 'running';
export type RunStatus = 'ok' | 'error' | 'aborted';

export interface CellModel {
  readonly id: string;
  readonly type: CellType;
  readonly source: string;
  readonly outputs: readonly Output[];
  readonly executionCount: number | null;
  readonly metadata: Record<string, unknown>;
  readonly attachments?: Record<string, unknown>;
  /** A markdown cell shown as its source (being edited) rather than rendered. */
  readonly editing: boolean;
  readonly run: RunState;
  /** When the kernel started running it (epoch ms). */
  readonly startedAt?: number;
  /** How its last run ended; `notRun` when it was aborted while still queued. */
  readonly result?: { status: RunStatus; durationMs: number; notRun: boolean };
}

export const newCellId = (): string => crypto.randomUUID().replace(/-/g, '').slice(0, 12);

export function newCell(type: CellType, source = '', id = newCellId()): CellModel {
  return { id, type, source, outputs: [], executionCount: null, metadata: {}, editing: type === 'markdown' && source === '', run: 'idle' };
}

const joinSource = (s: string | string[]): string => (Array.isArray(s) ? s.join('') : s);

export function fromNotebookCell(cell: Cell): CellModel {
  const base = { id: cell.id, type: cell.cell_type, source: joinSource(cell.source), metadata: { ...cell.metadata }, editing: false, run: 'idle' as const };
  if (cell.cell_type === 'code') return { ...base, outputs: cell.outputs, executionCount: cell.execution_count ?? null };
  return { ...base, outputs: [], executionCount: null, ...(cell.attachments ? { attachments: cell.attachments } : {}) };
}

export function toNotebookCell(cell: CellModel): Cell {
  const { id, source, metadata } = cell;
  if (cell.type === 'code') return { id, cell_type: 'code', source, metadata, execution_count: cell.executionCount, outputs: [...cell.outputs] };
  const attachments = cell.attachments ? { attachments: cell.attachments } : {};
  return cell.type === 'markdown' ? { id, cell_type: 'markdown', source, metadata, ...attachments } : { id, cell_type: 'raw', source, metadata, ...attachments };
}

export function toNotebook(cells: readonly CellModel[], base: Pick<Notebook, 'metadata' | 'nbformat_minor'>): Notebook {
  return { nbformat: 4, nbformat_minor: base.nbformat_minor, metadata: base.metadata, cells: cells.map(toNotebookCell) };
}

export function insertCells(cells: readonly CellModel[], index: number, added: readonly CellModel[]): CellModel[] {
  const at = Math.max(0, Math.min(index, cells.length));
  return [...cells.slice(0, at), ...added, ...cells.slice(at)];
}

/** What a removal took out, with the index each cell had: enough to put them back. */
export type Removed = { index: number; cell: CellModel }[];

export function removeCells(cells: readonly CellModel[], ids: ReadonlySet<string>): { cells: CellModel[]; removed: Removed } {
  const removed: Removed = [];
  const kept: CellModel[] = [];
  cells.forEach((cell, index) => (ids.has(cell.id) ? removed.push({ index, cell }) : kept.push(cell)));
  return { cells: kept, removed };
}

/** Undoes removeCells: each cell goes back to its old index (in order, so later indices are right again). */
export function restoreCells(cells: readonly CellModel[], removed: Removed): CellModel[] {
  const result = [...cells];
  for (const { index, cell } of [...removed].sort((a, b) => a.index - b.index)) result.splice(Math.min(index, result.length), 0, cell);
  return result;
}

/** Moves a contiguous block [from, to] by delta (±1); unchanged (same array) when it would leave the notebook. */
export function moveBlock(cells: readonly CellModel[], from: number, to: number, delta: -1 | 1): readonly CellModel[] {
  if (from < 0 || to >= cells.length || from > to) return cells;
  if ((delta < 0 && from === 0) || (delta > 0 && to === cells.length - 1)) return cells;
  const block = cells.slice(from, to + 1);
  const rest = [...cells.slice(0, from), ...cells.slice(to + 1)];
  return insertCells(rest, from + delta, block);
}

/**
 * JupyterLab's merge: the cells' sources joined by a blank line into one cell of the first cell's type
 * and metadata; a merged code cell has no outputs (they belonged to other code). Returns the merged
 * cell, which takes the first cell's place, and what was removed (for undo).
 */
export function mergeCells(cells: readonly CellModel[], ids: readonly string[]): { cells: CellModel[]; merged: CellModel; removed: Removed } | undefined {
  const chosen = cells.filter((c) => ids.includes(c.id));
  if (chosen.length < 2) return undefined;
  const first = chosen[0]!;
  const merged: CellModel = {
    ...newCell(first.type, chosen.map((c) => c.source).join('\n\n')),
    metadata: { ...first.metadata },
    editing: first.type === 'markdown' && first.editing,
  };
  const at = cells.indexOf(first);
  const { cells: rest, removed } = removeCells(cells, new Set(chosen.map((c) => c.id)));
  return { cells: insertCells(rest, at, [merged]), merged, removed };
}

/** A copy of cells for the clipboard or a paste: new ids, no run state, outputs kept (as Jupyter does). */
export const copyCells = (cells: readonly CellModel[]): CellModel[] =>
  cells.map((c) => ({ ...c, id: newCellId(), run: 'idle', startedAt: undefined, result: undefined, editing: false }));

export function changeType(cell: CellModel, type: CellType): CellModel {
  if (cell.type === type) return cell;
  return { ...cell, type, outputs: type === 'code' ? cell.outputs : [], executionCount: type === 'code' ? cell.executionCount : null, editing: false };
}

export const withSource = (cell: CellModel, source: string): CellModel => (cell.source === source ? cell : { ...cell, source });

/** Queued to run: its old outputs go (Jupyter clears them when the run is sent). */
export const queued = (cell: CellModel): CellModel => ({ ...cell, run: 'queued', outputs: [], result: undefined, startedAt: undefined });

export const clearedOutputs = (cell: CellModel): CellModel =>
  cell.outputs.length || cell.executionCount !== null || cell.result ? { ...cell, outputs: [], executionCount: null, result: undefined } : cell;

/**
 * Appends an output. Consecutive stream chunks of one name merge into one output (as Jupyter stores
 * them), so a chatty cell keeps one block.
 */
export function appendOutput(outputs: readonly Output[], output: Output): Output[] {
  const last = outputs.at(-1);
  if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
    return [...outputs.slice(0, -1), { ...last, text: mimeText(last.text) + mimeText(output.text) }];
  }
  return [...outputs, output.output_type === 'stream' ? { ...output, text: mimeText(output.text) } : output];
}

function finished(cell: CellModel, status: RunStatus, executionCount: number | null, durationMs: number): CellModel {
  return {
    ...cell,
    run: 'idle',
    executionCount: executionCount ?? cell.executionCount,
    result: { status, durationMs, notRun: status === 'aborted' && cell.run !== 'running' },
  };
}

/** What a kernel message did to the notebook: the new cells, and whether saved content changed. */
export interface Transition {
  cells: readonly CellModel[];
  /** Outputs or execution counts changed (the notebook needs saving), not just run state. */
  contentChanged: boolean;
}

/**
 * The cells after one kernel message (marimo's transitionCell, over the whole notebook). Messages
 * for cells that are not here (deleted meanwhile) change nothing. Status, interrupt and error
 * notices are for the page to show; of them only a dead or stopped kernel touches cells: whatever
 * was queued or running is aborted.
 */
export function applyServerMessage(cells: readonly CellModel[], message: ServerMessage): Transition {
  const unchanged = { cells, contentChanged: false };
  const update = (id: string, fn: (cell: CellModel) => CellModel, contentChanged: boolean): Transition => {
    const index = cells.findIndex((c) => c.id === id);
    if (index < 0) return unchanged;
    const next = fn(cells[index]!);
    if (next === cells[index]) return unchanged;
    const copy = [...cells];
    copy[index] = next;
    return { cells: copy, contentChanged };
  };
  switch (message.type) {
    case 'status': {
      if (message.status !== 'dead' && message.status !== 'off') return unchanged;
      if (!cells.some((c) => c.run !== 'idle')) return unchanged;
      return { cells: cells.map((c) => (c.run === 'idle' ? c : finished(c, 'aborted', null, 0))), contentChanged: false };
    }
    case 'queued':
      return update(message.cellId, (c) => (c.run === 'idle' ? queued(c) : c), true);
    case 'started':
      return update(message.cellId, (c) => ({ ...c, run: 'running', startedAt: message.at }), false);
    case 'output':
      return message.cellId ? update(message.cellId, (c) => ({ ...c, outputs: appendOutput(c.outputs, message.output) }), true) : unchanged;
    case 'reply':
      return update(message.cellId, (c) => finished(c, message.status, message.executionCount, message.durationMs), true);
    case 'interrupted':
    case 'error':
      return unchanged;
    default: {
      const never: never = message;
      throw new Error(`unknown kernel message ${JSON.stringify(never)}`);
    }
  }
}
