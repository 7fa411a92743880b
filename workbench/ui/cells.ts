import type { editor as MonacoEditor } from 'monaco-editor';
import type { Output } from '../../notebook/format.ts';
import type { CellModel } from './cell-ops.ts';
import { h } from './dom.ts';
import { nextIdle } from './idle.ts';
import { mimeText, stripAnsi } from './output-text.ts';
import { markdownToHtml, renderOutput } from './outputs.ts';

type MonacoModule = import('./monaco.ts').MonacoApi;

export interface CellHooks {
  monaco: () => MonacoModule | undefined;
  /** The editor's text changed (typing, undo in the editor). */
  onSource: (id: string, source: string) => void;
  /** A pointer press on the cell outside its editor: select it (Shift extends the selection). */
  onPointerSelect: (id: string, extend: boolean) => void;
  /** The editor got the focus: edit mode on this cell. */
  onEditorFocus: (id: string) => void;
  onEditorBlur: (id: string) => void;
  /** A double click on rendered markdown: edit it. */
  onEditRequest: (id: string) => void;
  /** Keys typed in the editor; true when a command took them. */
  onEditorKey: (id: string, e: KeyboardEvent) => boolean;
}

/**
 * One cell on screen, rendered from its CellModel: `update(cell)` compares with what it showed and
 * redraws only the parts that changed (new outputs are appended, a growing stream grows in place).
 * A code cell's text lives in a Monaco model (so TypeScript sees every cell) once Monaco has loaded;
 * editors are mounted when the cell scrolls into view or is clicked, so large notebooks open quickly.
 */
export class CellView {
  readonly el: HTMLElement;
  private readonly editorHost: HTMLElement;
  private readonly rendered: HTMLElement;
  readonly outputArea: HTMLElement;
  private readonly countEl: HTMLElement;
  private readonly timeEl: HTMLElement;
  /** Where the page puts the cell toolbar while this cell is the active one. */
  readonly toolbarSlot: HTMLElement;
  private cell: CellModel;
  private index = -1;
  model?: MonacoEditor.ITextModel;
  editor?: MonacoEditor.IStandaloneCodeEditor;
  private placeholder?: HTMLElement;
  private ticker?: number;
  /** Set while the view itself writes to the Monaco model, so that write is not reported back as an edit. */
  private writing = false;
  /**
   * Whether rendered markdown and outputs are drawn (reveal()). Until then a markdown cell shows its
   * source as plain text and outputs are not drawn: sanitising and laying out fifty cells' outputs
   * would hold the first paint, so the notebook view reveals the first screen first.
   */
  private revealed = false;

  constructor(
    cell: CellModel,
    private readonly hooks: CellHooks,
  ) {
    this.cell = cell;
    this.countEl = h('div', { class: 'count' });
    this.editorHost = h('div', { class: 'editor-host' });
    this.rendered = h('div', { class: 'markdown-rendered', title: 'Double-click or press Enter to edit' });
    this.timeEl = h('span', { class: 'time' });
    this.outputArea = h('div', { class: 'outputs', 'aria-live': 'polite' });
    this.toolbarSlot = h('div', { class: 'cell-toolbar-slot' });
    this.el = h(
      'section',
      { class: `cell ${cell.type}`, tabindex: '-1', 'data-cell-id': cell.id },
      h('div', { class: 'gutter' }, this.countEl),
      h('div', { class: 'body' }, this.toolbarSlot, this.editorHost, this.rendered, h('div', { class: 'cell-footer' }, this.timeEl), this.outputArea),
    );
    this.el.addEventListener('mousedown', (e) => {
      const target = e.target as HTMLElement;
      if (target.closest('.monaco-editor, .cell-toolbar, a, button')) return;
      if (e.shiftKey) e.preventDefault(); // no text selection: Shift+click selects cells
      hooks.onPointerSelect(this.cell.id, e.shiftKey);
    });
    this.editorHost.addEventListener('mousedown', (e) => {
      if (this.editor || e.shiftKey || !this.hooks.monaco() || document.activeElement === this.placeholder) return;
      // Monaco replaces the plain text under the pointer. The press's own default would then focus what
      // it was pressed on, the plain text now gone, i.e. the page: the keys typed next would be lost.
      e.preventDefault();
      e.stopPropagation();
      const offset = this.placeholder ? textOffsetAt(this.placeholder, e.clientX, e.clientY) : undefined;
      hooks.onPointerSelect(this.cell.id, false);
      this.mount();
      const editor = this.editor as MonacoEditor.IStandaloneCodeEditor | undefined; // mount() set it
      if (!editor) return;
      if (offset !== undefined) editor.setPosition(this.model!.getPositionAt(offset));
      editor.focus();
    });
    this.rendered.addEventListener('dblclick', () => hooks.onEditRequest(this.cell.id));
    this.renderSource();
    this.renderRun();
  }

  /** Draws the rendered markdown and the outputs (once; later changes redraw what changed). */
  reveal(): void {
    if (this.revealed) return;
    this.revealed = true;
    if (this.cell.type === 'markdown') this.renderSource();
    this.renderOutputs([]);
  }

  get id(): string {
    return this.cell.id;
  }

  get type(): CellModel['type'] {
    return this.cell.type;
  }

  setIndex(index: number): void {
    if (index === this.index) return;
    this.index = index;
    this.el.setAttribute('aria-label', `Cell ${index + 1}, ${this.cell.type}`);
    this.el.setAttribute('role', 'group');
    this.placeholder?.setAttribute('aria-label', this.editorLabel());
  }

  /** Shows a new state of the cell, redrawing only what changed. */
  update(cell: CellModel): void {
    const before = this.cell;
    if (before === cell) return;
    this.cell = cell;
    if (before.type !== cell.type) {
      this.el.classList.remove(before.type);
      this.el.classList.add(cell.type);
      this.el.setAttribute('aria-label', `Cell ${this.index + 1}, ${cell.type}`);
      this.unmount();
      this.model?.dispose();
      this.model = undefined;
      if (cell.type === 'code') this.ensureModel();
    } else if (before.source !== cell.source && this.model && this.model.getValue() !== cell.source) {
      // Changed by a command (not by typing here): the editor follows.
      this.writing = true;
      this.model.setValue(cell.source);
      this.writing = false;
    }
    if (before.type !== cell.type || before.editing !== cell.editing) {
      if (cell.type === 'markdown' && !cell.editing) this.unmount();
      this.renderSource();
    } else if (before.source !== cell.source && !this.editor) this.renderSource();
    if (before.outputs !== cell.outputs && this.revealed) this.renderOutputs(before.outputs);
    if (before.run !== cell.run || before.executionCount !== cell.executionCount || before.result !== cell.result || before.startedAt !== cell.startedAt || before.type !== cell.type) {
      this.renderRun();
    }
  }

  /** Creates the Monaco model (code cells get one up front so cross-cell types resolve). */
  ensureModel(): void {
    const m = this.hooks.monaco();
    if (!m || this.model) return;
    this.model = m.createModel(this.cell.id, this.cell.source, this.cell.type === 'code' ? 'typescript' : 'markdown');
    this.model.onDidChangeContent(() => {
      if (!this.writing) this.hooks.onSource(this.cell.id, this.model!.getValue());
    });
  }

  /**
   * Replaces the placeholder with a Monaco editor, unless someone is typing in the placeholder: it is
   * swapped once it loses the focus, so a hand-over never moves the caret or drops a keystroke.
   */
  mount(): void {
    const m = this.hooks.monaco();
    if (!m || this.editor || (this.cell.type === 'markdown' && !this.cell.editing)) return;
    if (this.placeholder && document.activeElement === this.placeholder) return;
    this.ensureModel();
    this.editorHost.replaceChildren();
    this.editor = m.createEditor(this.editorHost, this.model!, this.editorLabel());
    this.placeholder = undefined;
    this.editor.onKeyDown((e) => {
      if (this.hooks.onEditorKey(this.cell.id, e.browserEvent)) {
        e.preventDefault();
        e.stopPropagation();
      }
    });
    this.editor.onDidFocusEditorText(() => this.hooks.onEditorFocus(this.cell.id));
    this.editor.onDidBlurEditorText(() => this.hooks.onEditorBlur(this.cell.id));
  }

  focusEditor(): void {
    this.mount();
    if (this.editor) this.editor.focus();
    else this.placeholder?.focus();
  }

  get mounted(): boolean {
    return this.editor !== undefined;
  }

  unmount(): void {
    if (!this.editor) return;
    this.editor.dispose();
    this.editor = undefined;
    this.renderSource();
  }

  /** Markdown shows rendered unless being edited; everything else shows its source (placeholder or editor). */
  private renderSource(): void {
    const markdownView = this.cell.type === 'markdown' && !this.cell.editing;
    this.editorHost.hidden = markdownView;
    this.rendered.hidden = !markdownView;
    if (markdownView) {
      const source = this.cell.source.trim();
      if (!this.revealed) this.rendered.textContent = source;
      else this.rendered.innerHTML = source ? markdownToHtml(source) : '<p class="empty-markdown">Empty markdown cell: double-click to edit</p>';
    } else if (!this.editor && this.placeholder?.textContent !== this.cell.source) {
      this.editorHost.replaceChildren(this.makePlaceholder());
    } else if (!this.editor && this.placeholder && !this.placeholder.isConnected) {
      this.editorHost.replaceChildren(this.placeholder);
    }
  }

  /**
   * The cell's text before its Monaco editor exists: already editable (plain text, as a textarea would
   * be), so a notebook takes typing as soon as its cells are painted; keys go to the same commands as
   * in the editor. Typing here updates the cell; the editor that replaces it later starts from that text.
   */
  private makePlaceholder(): HTMLElement {
    const pre = h('pre', {
      class: 'placeholder',
      contenteditable: 'plaintext-only',
      role: 'textbox',
      'aria-multiline': 'true',
      'aria-label': this.editorLabel(),
      spellcheck: 'false',
      tabindex: '-1',
    });
    pre.textContent = this.cell.source;
    pre.addEventListener('input', () => this.hooks.onSource(this.cell.id, pre.textContent ?? ''));
    pre.addEventListener('keydown', (e) => {
      if (this.hooks.onEditorKey(this.cell.id, e)) e.stopPropagation();
    });
    pre.addEventListener('focus', () => this.hooks.onEditorFocus(this.cell.id));
    pre.addEventListener('blur', () => {
      this.hooks.onEditorBlur(this.cell.id);
      if (this.hooks.monaco()) setTimeout(() => this.mount(), 0);
    });
    this.placeholder = pre;
    return pre;
  }

  private editorLabel(): string {
    return `${this.cell.type === 'code' ? 'Code' : this.cell.type === 'markdown' ? 'Markdown' : 'Raw'} editor, cell ${this.index + 1}`;
  }

  private renderRun(): void {
    const { run, type, executionCount, result } = this.cell;
    this.countEl.textContent = type !== 'code' ? '' : run !== 'idle' ? '[*]' : `[${executionCount ?? ' '}]`;
    this.el.classList.toggle('running', run === 'running');
    this.el.classList.toggle('queued', run === 'queued');
    window.clearInterval(this.ticker);
    if (run === 'running') {
      const started = this.cell.startedAt ?? Date.now();
      const tick = () => (this.timeEl.textContent = `running ${formatDuration(Date.now() - started)}`);
      tick();
      this.ticker = window.setInterval(tick, 100);
      delete this.timeEl.dataset.status;
    } else if (result) {
      const mark = result.status === 'ok' ? '✓' : result.status === 'error' ? '✗' : '■';
      this.timeEl.textContent = result.notRun ? 'not run' : `${mark} ${formatDuration(result.durationMs)}`;
      this.timeEl.dataset.status = result.status;
    } else {
      this.timeEl.textContent = '';
      delete this.timeEl.dataset.status;
    }
  }

  /** New outputs appended, a stream that grew extended in place, anything else redrawn. */
  private renderOutputs(before: readonly Output[]): void {
    const after = this.cell.outputs;
    const area = this.outputArea;
    const samePrefix = (n: number) => after.slice(0, n).every((o, i) => o === before[i]);
    const last = after.at(-1);
    const previous = before.at(-1);
    if (after.length === before.length + 1 && area.childElementCount === before.length && samePrefix(before.length)) {
      area.append(renderOutput(last!));
    } else if (
      after.length === before.length &&
      after.length > 0 &&
      last?.output_type === 'stream' &&
      previous?.output_type === 'stream' &&
      last.name === previous.name &&
      area.childElementCount === after.length &&
      samePrefix(after.length - 1) &&
      mimeText(last.text).startsWith(mimeText(previous.text))
    ) {
      area.lastElementChild!.append(stripAnsi(mimeText(last.text).slice(mimeText(previous.text).length)));
    } else {
      area.replaceChildren(...after.map(renderOutput));
    }
    watchOverflow(area, () => this.index);
  }

  dispose(): void {
    window.clearInterval(this.ticker);
    this.editor?.dispose();
    this.model?.dispose();
    this.el.remove();
  }
}

/** The offset in `el`'s text of the character boundary nearest a point (undefined outside its text). */
function textOffsetAt(el: HTMLElement, x: number, y: number): number | undefined {
  const at = document.caretPositionFromPoint?.(x, y);
  if (!at || !el.contains(at.offsetNode)) return undefined;
  const range = document.createRange();
  range.setStart(el, 0);
  range.setEnd(at.offsetNode, at.offset);
  return range.toString().length;
}

/**
 * A scrolling output (a wide table) must be reachable from the keyboard (axe: scrollable-region-focusable):
 * it gets a tab stop and a name only while its content is wider than the cell. Checked in idle moments
 * for every output area that changed: an off-screen area is laid out only to be measured, so a notebook's
 * worth of them must not hold a frame.
 */
const overflowChecks = new Map<HTMLElement, () => number>();
function watchOverflow(area: HTMLElement, index: () => number): void {
  const idle = !overflowChecks.size;
  overflowChecks.set(area, index);
  if (idle) void checkOverflows();
}

async function checkOverflows(): Promise<void> {
  while (overflowChecks.size) {
    const deadline = await nextIdle(200);
    for (const [el, i] of overflowChecks) {
      overflowChecks.delete(el);
      const scrolls = el.isConnected && el.scrollWidth > el.clientWidth + 1;
      if (scrolls) {
        el.tabIndex = 0;
        el.setAttribute('role', 'region');
        el.setAttribute('aria-label', `Output of cell ${i() + 1}, scrolls sideways`);
      } else if (el.hasAttribute('tabindex')) {
        el.removeAttribute('tabindex');
        el.removeAttribute('role');
        el.removeAttribute('aria-label');
      }
      if ((deadline?.timeRemaining() ?? 0) < 2) break;
    }
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
