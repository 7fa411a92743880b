import type { editor as MonacoEditor } from 'monaco-editor';
import type { Cell, Output } from '../../notebook/format.ts';
import { h } from './dom.ts';
import { appendOutput, markdownToHtml, renderOutput } from './outputs.ts';

type MonacoModule = import('./monaco.ts').MonacoApi;
export type CellType = 'code' | 'markdown' | 'raw';
export type RunState = 'idle' | 'queued' | 'running';

const joinSource = (s: string | string[]): string => (Array.isArray(s) ? s.join('') : s);

export interface CellHooks {
  monaco: () => MonacoModule | undefined;
  onChange: (cell: CellView) => void;
  onRunRequest: (cell: CellView) => void;
  onSelect: (cell: CellView, mode: 'command' | 'edit') => void;
  onEditorKey: (cell: CellView, e: KeyboardEvent) => boolean;
}

/**
 * One notebook cell on screen: its source (a Monaco model for code cells, so TypeScript sees every
 * cell), its outputs, execution count and timing. Monaco editors are mounted when the cell scrolls
 * into view or is clicked, so large notebooks open quickly.
 */
export class CellView {
  readonly el: HTMLElement;
  private readonly editorHost: HTMLElement;
  private readonly rendered: HTMLElement;
  readonly outputArea: HTMLElement;
  private readonly countEl: HTMLElement;
  private readonly timeEl: HTMLElement;
  private text: string;
  model?: MonacoEditor.ITextModel;
  editor?: MonacoEditor.IStandaloneCodeEditor;
  outputs: Output[];
  executionCount: number | null;
  metadata: Record<string, unknown>;
  attachments?: Record<string, unknown>;
  state: RunState = 'idle';
  private startedAt = 0;
  private ticker?: number;
  editing = false;

  constructor(
    readonly id: string,
    public type: CellType,
    cell: Partial<Cell> & { source?: string | string[] },
    private readonly hooks: CellHooks,
  ) {
    this.text = joinSource(cell.source ?? '');
    this.metadata = { ...(cell.metadata ?? {}) };
    this.outputs = cell.cell_type === 'code' ? [...cell.outputs!] : [];
    this.executionCount = cell.cell_type === 'code' ? (cell.execution_count ?? null) : null;
    if (cell.cell_type === 'markdown' && cell.attachments) this.attachments = cell.attachments;

    const runButton = h('button', { class: 'icon run-cell', type: 'button', 'aria-label': 'Run cell', title: 'Run cell (Shift+Enter)' }, '▶');
    runButton.addEventListener('click', (e) => {
      e.stopPropagation();
      hooks.onRunRequest(this);
    });
    this.countEl = h('div', { class: 'count', 'aria-label': 'Execution count' });
    this.editorHost = h('div', { class: 'editor-host' });
    this.rendered = h('div', { class: 'markdown-rendered', title: 'Double-click to edit' });
    this.timeEl = h('span', { class: 'time' });
    this.outputArea = h('div', { class: 'outputs', 'aria-label': 'Cell output', 'aria-live': 'polite' });
    this.el = h(
      'section',
      { class: `cell ${type}`, tabindex: '-1', 'data-cell-id': id, role: 'group' },
      h('div', { class: 'gutter' }, runButton, this.countEl),
      h('div', { class: 'body' }, this.editorHost, this.rendered, h('div', { class: 'cell-footer' }, this.timeEl), this.outputArea),
    );
    this.el.addEventListener('mousedown', (e) => {
      if (!(e.target as HTMLElement).closest('.monaco-editor')) hooks.onSelect(this, 'command');
    });
    this.editorHost.addEventListener('mousedown', () => {
      if (!this.editor) {
        this.mount();
        queueMicrotask(() => this.focusEditor());
      }
    });
    this.rendered.addEventListener('dblclick', () => this.startEditing());
    this.refresh();
  }

  get source(): string {
    return this.model ? this.model.getValue() : this.text;
  }

  setLabel(index: number): void {
    this.el.setAttribute('aria-label', `Cell ${index + 1}, ${this.type}`);
  }

  /** Creates the Monaco model (code cells get one up front so cross-cell types resolve). */
  ensureModel(): void {
    const m = this.hooks.monaco();
    if (!m || this.model) return;
    this.model = m.createModel(this.id, this.text, this.type === 'code' ? 'typescript' : 'markdown');
    this.model.onDidChangeContent(() => this.hooks.onChange(this));
  }

  /** Replaces the placeholder with a Monaco editor. */
  mount(): void {
    const m = this.hooks.monaco();
    if (!m || this.editor || (this.type === 'markdown' && !this.editing)) return;
    this.ensureModel();
    this.editorHost.replaceChildren();
    this.editor = m.createEditor(this.editorHost, this.model!, `${this.type === 'code' ? 'Code' : 'Markdown'} editor`);
    this.editor.onKeyDown((e) => {
      if (this.hooks.onEditorKey(this, e.browserEvent)) {
        e.preventDefault();
        e.stopPropagation();
      }
    });
    this.editor.onDidFocusEditorText(() => this.hooks.onSelect(this, 'edit'));
  }

  focusEditor(): void {
    if (this.type === 'markdown' && !this.editing) return this.startEditing();
    this.mount();
    this.editor?.focus();
  }

  startEditing(): void {
    if (this.type !== 'markdown') return this.focusEditor();
    this.editing = true;
    this.refresh();
    this.mount();
    this.editor?.focus();
  }

  /** Markdown "run": leave the editor and show the rendered text. */
  renderMarkdown(): void {
    if (this.type !== 'markdown') return;
    this.text = this.source;
    this.editing = false;
    this.unmount();
    this.refresh();
  }

  unmount(): void {
    this.editor?.dispose();
    this.editor = undefined;
    this.refreshPlaceholder();
  }

  changeType(type: CellType): void {
    if (type === this.type) return;
    this.text = this.source;
    this.unmount();
    this.model?.dispose();
    this.model = undefined;
    this.type = type;
    this.el.classList.remove('code', 'markdown', 'raw');
    this.el.classList.add(type);
    if (type !== 'code') {
      this.outputs = [];
      this.executionCount = null;
    }
    this.editing = false;
    if (type === 'code') this.ensureModel();
    this.refresh();
  }

  private refreshPlaceholder(): void {
    if (this.editor) return;
    const source = this.source;
    this.editorHost.replaceChildren(h('pre', { class: 'placeholder', 'aria-label': 'Cell source' }, source || ' '));
  }

  /** Re-renders everything but the editor: markdown view, count, outputs, timing. */
  refresh(): void {
    const markdownView = this.type === 'markdown' && !this.editing;
    this.editorHost.hidden = markdownView;
    this.rendered.hidden = !markdownView;
    if (markdownView) {
      const source = this.source.trim();
      this.rendered.innerHTML = source ? markdownToHtml(source) : '<p class="empty-markdown">Empty markdown cell: double-click to edit</p>';
    } else this.refreshPlaceholder();
    this.renderCount();
    this.outputArea.replaceChildren(...this.outputs.map(renderOutput));
  }

  private renderCount(): void {
    this.countEl.textContent = this.type !== 'code' ? '' : this.state !== 'idle' ? '[*]' : `[${this.executionCount ?? ' '}]`;
    this.el.classList.toggle('running', this.state === 'running');
    this.el.classList.toggle('queued', this.state === 'queued');
  }

  clearOutputs(): void {
    this.outputs = [];
    this.outputArea.replaceChildren();
    this.timeEl.textContent = '';
  }

  setQueued(): void {
    this.state = 'queued';
    this.clearOutputs();
    this.renderCount();
  }

  setRunning(at: number): void {
    this.state = 'running';
    this.startedAt = at;
    this.renderCount();
    window.clearInterval(this.ticker);
    const tick = () => (this.timeEl.textContent = `running ${formatDuration(Date.now() - this.startedAt)}`);
    tick();
    this.ticker = window.setInterval(tick, 100);
  }

  addOutput(output: Output): void {
    appendOutput(this.outputs, this.outputArea, output);
  }

  finish(status: 'ok' | 'error' | 'aborted', executionCount: number | null, durationMs: number): void {
    window.clearInterval(this.ticker);
    const wasRunning = this.state === 'running';
    this.state = 'idle';
    if (executionCount !== null) this.executionCount = executionCount;
    this.renderCount();
    this.timeEl.textContent =
      status === 'aborted' && !wasRunning ? 'not run' : `${status === 'ok' ? '✓' : status === 'error' ? '✗' : '■'} ${formatDuration(durationMs)}`;
    this.timeEl.dataset.status = status;
  }

  toJSON(): Cell {
    const source = this.source;
    if (this.type === 'code') {
      return { id: this.id, cell_type: 'code', source, metadata: this.metadata, execution_count: this.executionCount, outputs: this.outputs };
    }
    if (this.type === 'markdown') return { id: this.id, cell_type: 'markdown', source, metadata: this.metadata, ...(this.attachments ? { attachments: this.attachments } : {}) };
    return { id: this.id, cell_type: 'raw', source, metadata: this.metadata };
  }

  dispose(): void {
    window.clearInterval(this.ticker);
    this.editor?.dispose();
    this.model?.dispose();
    this.el.remove();
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
