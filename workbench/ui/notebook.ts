import type { Notebook } from '../../notebook/format.ts';
import type { ServerMessage, SessionStatus } from '../kernels.ts';
import { api, ApiError } from './api.ts';
import { CellView, type CellType } from './cells.ts';
import { h, toast } from './dom.ts';
import { KernelConnection } from './kernel.ts';
import { loadMonaco, type MonacoApi } from './monaco.ts';
import { showSharePanel } from './share-panel.ts';

type MonacoModule = MonacoApi;

const newId = (): string => crypto.randomUUID().replace(/-/g, '').slice(0, 12);

/**
 * The notebook page: toolbar, cells, kernel connection, Jupyter keyboard habits, autosave with
 * conflict detection, share link.
 */
export class NotebookPage {
  private cells: CellView[] = [];
  private selected = 0;
  private mode: 'command' | 'edit' = 'command';
  private monaco?: MonacoModule;
  private kernel!: KernelConnection;
  private version: string | null = null;
  private metadata: Record<string, unknown> = {};
  private nbformatMinor = 5;
  private changeCounter = 0;
  private savedCounter = 0;
  private saving?: Promise<void>;
  private autosaveTimer?: number;
  private conflict = false;
  private lastD = 0;
  private observer: IntersectionObserver;

  private readonly root: HTMLElement;
  private readonly list: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly saveState: HTMLElement;
  private readonly kernelState: HTMLElement;
  private readonly banner: HTMLElement;

  constructor(
    private name: string,
    private readonly container: HTMLElement,
  ) {
    const button = (label: string, text: string, onClick: () => void, extra: Record<string, string> = {}) =>
      h('button', { type: 'button', 'aria-label': label, title: label, ...extra, onclick: () => onClick() }, text);
    this.titleEl = h('h1', { class: 'nb-title' }, name.replace(/\.ipynb$/, ''));
    this.saveState = h('span', { class: 'save-state', role: 'status', 'aria-live': 'polite', 'data-state': 'saved' }, 'Saved');
    this.kernelState = h('span', { class: 'kernel-state', role: 'status', 'aria-label': 'Kernel status: no kernel', 'data-status': 'off' }, h('span', { class: 'dot' }), h('span', { class: 'label' }, 'No kernel'));
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true });
    this.list = h('div', { class: 'cells', role: 'region', 'aria-label': 'Cells' });
    const toolbar = h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Notebook actions' },
      button('Save', 'Save', () => void this.save()),
      h('span', { class: 'sep' }),
      button('Add code cell', '+ Code', () => this.insert(this.selected + 1, 'code', true)),
      button('Add markdown cell', '+ Markdown', () => this.insert(this.selected + 1, 'markdown', true)),
      h('span', { class: 'sep' }),
      button('Run cell', '▶ Run', () => this.runSelected('next')),
      button('Run all', 'Run all', () => this.runAll()),
      button('Run above', 'Run above', () => this.runAbove()),
      button('Clear outputs', 'Clear outputs', () => this.clearOutputs()),
      h('span', { class: 'sep' }),
      button('Interrupt', '■ Interrupt', () => this.kernel.send({ type: 'interrupt' })),
      button('Restart', '↻ Restart', () => this.restart()),
      button('Shut down kernel', 'Shut down', () => this.kernel.send({ type: 'shutdown' }), { class: 'subtle' }),
      h('span', { class: 'spacer' }),
      this.kernelState,
      this.saveState,
      button('Share', 'Share', () => void this.share(), { class: 'primary' }),
    );
    this.root = h(
      'div',
      { class: 'notebook-page' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '/', 'aria-label': 'All notebooks' }, 'Trailbook'),
        h('span', { class: 'crumb' }, '/'),
        this.titleEl,
        button('Rename notebook', 'Rename', () => void this.rename(), { class: 'subtle' }),
      ),
      toolbar,
      this.banner,
      h('main', { class: 'notebook' }, this.list),
    );
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          const cell = this.cells.find((c) => c.el === entry.target);
          if (cell && this.monaco) cell.mount();
        }
      },
      { rootMargin: '600px 0px' },
    );
    document.addEventListener('keydown', (e) => this.onDocumentKey(e));
    window.addEventListener('beforeunload', (e) => {
      if (this.dirty) e.preventDefault();
    });
  }

  private get dirty(): boolean {
    return this.changeCounter !== this.savedCounter;
  }

  async load(): Promise<void> {
    const monacoPromise = loadMonaco();
    let opened;
    try {
      opened = await api.open(this.name);
    } catch (err) {
      this.container.replaceChildren(
        h('main', { class: 'error-page' }, h('h1', {}, 'Cannot open notebook'), h('p', { role: 'alert' }, (err as Error).message), h('a', { href: '/' }, 'Back to all notebooks')),
      );
      return;
    }
    document.title = `${this.name.replace(/\.ipynb$/, '')} · Trailbook`;
    this.version = opened.version;
    this.metadata = opened.notebook.metadata;
    this.nbformatMinor = opened.notebook.nbformat_minor;
    const hooks = this.cellHooks();
    this.cells = opened.notebook.cells.map((c) => new CellView(c.id, c.cell_type, c, hooks));
    if (!this.cells.length) this.cells.push(new CellView(newId(), 'code', { source: '' }, hooks));
    this.list.replaceChildren(...this.cells.map((c) => c.el));
    this.relabel();
    this.container.replaceChildren(this.root);
    this.select(0, 'command', false);
    this.kernel = new KernelConnection(this.name, (m) => this.onKernel(m), (up) => this.root.classList.toggle('disconnected', !up));

    this.monaco = await monacoPromise;
    for (const cell of this.cells) if (cell.type === 'code') cell.ensureModel();
    for (const cell of this.cells) this.observer.observe(cell.el);
    this.root.dataset.ready = 'true';
    void this.monaco.loadKernelTypes();
  }

  private cellHooks() {
    return {
      monaco: () => this.monaco,
      onChange: () => this.markDirty(),
      onRunRequest: (cell: CellView) => {
        this.select(this.cells.indexOf(cell), 'command', false);
        this.run(cell);
      },
      onSelect: (cell: CellView, mode: 'command' | 'edit') => this.select(this.cells.indexOf(cell), mode, false),
      onEditorKey: (cell: CellView, e: KeyboardEvent) => this.onEditorKey(cell, e),
    };
  }

  private relabel(): void {
    this.cells.forEach((c, i) => c.setLabel(i));
  }

  private select(index: number, mode: 'command' | 'edit', focus = true): void {
    if (!this.cells.length) return;
    this.selected = Math.max(0, Math.min(index, this.cells.length - 1));
    this.mode = mode;
    this.cells.forEach((c, i) => c.el.classList.toggle('selected', i === this.selected));
    this.root.dataset.mode = mode;
    const cell = this.cells[this.selected]!;
    if (!focus) return;
    if (mode === 'edit') cell.focusEditor();
    else {
      cell.el.focus({ preventScroll: true });
      cell.el.scrollIntoView({ block: 'nearest' });
    }
  }

  private insert(index: number, type: CellType, edit: boolean): CellView {
    const cell = new CellView(newId(), type, { source: '' }, this.cellHooks());
    if (type === 'markdown') cell.editing = true;
    this.cells.splice(index, 0, cell);
    const before = this.list.children[index];
    if (before) this.list.insertBefore(cell.el, before);
    else this.list.append(cell.el);
    cell.refresh();
    if (this.monaco) {
      if (type === 'code') cell.ensureModel();
      this.observer.observe(cell.el);
    }
    this.relabel();
    this.markDirty();
    this.select(index, edit ? 'edit' : 'command');
    return cell;
  }

  private remove(index: number): void {
    const [cell] = this.cells.splice(index, 1);
    if (!cell) return;
    this.observer.unobserve(cell.el);
    cell.dispose();
    if (!this.cells.length) this.insert(0, 'code', false);
    this.relabel();
    this.markDirty();
    this.select(Math.min(index, this.cells.length - 1), 'command');
  }

  private move(delta: number): void {
    const from = this.selected;
    const to = from + delta;
    if (to < 0 || to >= this.cells.length) return;
    const [cell] = this.cells.splice(from, 1);
    this.cells.splice(to, 0, cell!);
    this.list.replaceChildren(...this.cells.map((c) => c.el));
    this.relabel();
    this.markDirty();
    this.select(to, 'command');
  }

  // ── running ──────────────────────────────────────────────────────────────
  private run(cell: CellView): void {
    if (cell.type === 'markdown') {
      cell.renderMarkdown();
      return;
    }
    if (cell.type !== 'code') return;
    cell.setQueued();
    this.markDirty();
    this.kernel.send({ type: 'execute', cellId: cell.id, code: cell.source });
  }

  private runSelected(then: 'stay' | 'next' | 'insert'): void {
    const cell = this.cells[this.selected];
    if (!cell) return;
    this.run(cell);
    if (then === 'insert') this.insert(this.selected + 1, 'code', true);
    else if (then === 'next') {
      if (this.selected === this.cells.length - 1) this.insert(this.selected + 1, 'code', true);
      else this.select(this.selected + 1, 'command');
    } else this.select(this.selected, 'command');
  }

  private runAll(): void {
    for (const cell of this.cells) this.run(cell);
  }

  private runAbove(): void {
    for (const cell of this.cells.slice(0, this.selected)) this.run(cell);
  }

  private clearOutputs(): void {
    for (const cell of this.cells) {
      cell.clearOutputs();
      cell.executionCount = null;
      cell.refresh();
    }
    this.markDirty();
  }

  private restart(): void {
    this.kernel.send({ type: 'restart' });
    toast('Restarting the kernel…');
  }

  private onKernel(message: ServerMessage): void {
    const cell = 'cellId' in message && message.cellId ? this.cells.find((c) => c.id === message.cellId) : undefined;
    switch (message.type) {
      case 'status':
        this.showKernelStatus(message.status, message.detail);
        if (message.status === 'dead' || message.status === 'off') {
          for (const c of this.cells) if (c.state !== 'idle') c.finish('aborted', null, 0);
        }
        break;
      case 'queued':
        if (cell && cell.state === 'idle') cell.setQueued();
        break;
      case 'started':
        cell?.setRunning(message.at);
        break;
      case 'output':
        if (cell) {
          cell.addOutput(message.output);
          this.markDirty();
        }
        break;
      case 'reply':
        if (cell) {
          cell.finish(message.status, message.executionCount, message.durationMs);
          this.markDirty();
        }
        break;
      case 'interrupted':
        toast(message.stateLost ? 'Kernel interrupted: it had to be restarted, so its variables are gone.' : 'Kernel interrupted.');
        break;
      case 'error':
        toast(message.message, 'error');
        break;
    }
  }

  private showKernelStatus(status: SessionStatus, detail?: string): void {
    const labels: Record<SessionStatus, string> = { off: 'No kernel', starting: 'Starting', idle: 'Idle', busy: 'Busy', dead: 'Dead' };
    this.kernelState.dataset.status = status;
    this.kernelState.setAttribute('aria-label', `Kernel status: ${labels[status].toLowerCase()}`);
    this.kernelState.title = detail ?? `Kernel ${labels[status].toLowerCase()}`;
    this.kernelState.querySelector('.label')!.textContent = labels[status];
  }

  // ── saving ───────────────────────────────────────────────────────────────
  private markDirty(): void {
    this.changeCounter++;
    this.showSaveState();
    window.clearTimeout(this.autosaveTimer);
    if (!this.conflict) this.autosaveTimer = window.setTimeout(() => void this.save(), 1500);
  }

  private showSaveState(state?: 'saving' | 'error' | 'conflict'): void {
    const s = state ?? (this.dirty ? 'unsaved' : 'saved');
    const text = { saving: 'Saving…', error: 'Save failed', conflict: 'Not saved: conflict', unsaved: 'Unsaved changes', saved: 'Saved' }[s];
    this.saveState.dataset.state = s;
    this.saveState.textContent = text;
  }

  toNotebook(): Notebook {
    return { nbformat: 4, nbformat_minor: this.nbformatMinor, metadata: this.metadata, cells: this.cells.map((c) => c.toJSON()) };
  }

  async save(force = false): Promise<void> {
    if (this.saving) {
      await this.saving;
      if (!this.dirty && !force) return;
    }
    if (this.conflict && !force) return;
    window.clearTimeout(this.autosaveTimer);
    const counter = this.changeCounter;
    this.showSaveState('saving');
    this.saving = (async () => {
      try {
        const result = await api.save(this.name, this.toNotebook(), this.version);
        this.version = result.version;
        this.savedCounter = counter;
        this.showSaveState();
        if (this.dirty) this.autosaveTimer = window.setTimeout(() => void this.save(), 1500);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) this.showConflict(err);
        else {
          this.showSaveState('error');
          toast(`Save failed: ${(err as Error).message}`, 'error');
        }
      }
    })();
    await this.saving;
    this.saving = undefined;
  }

  private showConflict(err: ApiError): void {
    this.conflict = true;
    this.showSaveState('conflict');
    const current = (err.body.currentVersion as string | null | undefined) ?? null;
    const resolve = () => {
      this.conflict = false;
      this.banner.hidden = true;
    };
    this.banner.replaceChildren(
      h('span', {}, `${err.message}. Your changes are not saved.`),
      h('button', { type: 'button', 'aria-label': 'Reload from disk', onclick: () => location.reload() }, 'Reload from disk'),
      h('button', {
        type: 'button',
        'aria-label': 'Overwrite with my version',
        onclick: () => {
          resolve();
          this.version = current;
          void this.save(true);
        },
      }, 'Overwrite with mine'),
      h('button', {
        type: 'button',
        'aria-label': 'Save as a copy',
        onclick: async () => {
          const created = await api.create(`${this.name.replace(/\.ipynb$/, '')}-conflict-${Date.now().toString(36)}.ipynb`);
          await api.save(created.name, this.toNotebook(), created.version);
          this.savedCounter = this.changeCounter;
          location.href = `/notebooks/${encodeURIComponent(created.name)}`;
        },
      }, 'Save as copy'),
    );
    this.banner.classList.remove('info');
    this.banner.hidden = false;
  }

  private async rename(): Promise<void> {
    const to = prompt('New notebook name', this.name);
    if (!to || to === this.name) return;
    const target = to.endsWith('.ipynb') ? to : `${to}.ipynb`;
    try {
      await this.save();
      await api.rename(this.name, target);
      this.name = target;
      this.titleEl.textContent = target.replace(/\.ipynb$/, '');
      document.title = `${target.replace(/\.ipynb$/, '')} · Trailbook`;
      history.replaceState(null, '', `/notebooks/${encodeURIComponent(target)}`);
      this.kernel.close();
      this.kernel = new KernelConnection(this.name, (m) => this.onKernel(m), (up) => this.root.classList.toggle('disconnected', !up));
    } catch (err) {
      toast(`Rename failed: ${(err as Error).message}`, 'error');
    }
  }

  private async share(): Promise<void> {
    await this.save();
    if (this.dirty || this.conflict) {
      toast('Save the notebook before sharing it.', 'error');
      return;
    }
    try {
      await showSharePanel(this.banner, {
        name: () => this.name,
        // Only adopted while nothing is unsaved: the server's change was the id alone.
        onVersion: (version) => {
          if (!this.dirty && !this.saving) this.version = version;
        },
      });
    } catch (err) {
      toast(`Share failed: ${(err as Error).message}`, 'error');
    }
  }

  // ── keyboard ─────────────────────────────────────────────────────────────
  /** Keys typed inside a cell editor; returns true when handled. */
  private onEditorKey(cell: CellView, e: KeyboardEvent): boolean {
    if (e.key === 'Enter' && e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
      this.select(this.cells.indexOf(cell), 'command', false);
      this.runSelected('next');
      return true;
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      this.select(this.cells.indexOf(cell), 'command', false);
      this.runSelected('stay');
      return true;
    }
    if (e.key === 'Enter' && e.altKey) {
      this.select(this.cells.indexOf(cell), 'command', false);
      this.runSelected('insert');
      return true;
    }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      void this.save();
      return true;
    }
    if (e.key === 'Escape') {
      if (cell.el.querySelector('.suggest-widget.visible, .parameter-hints-widget.visible, .find-widget.visible')) return false;
      if (cell.type === 'markdown') cell.renderMarkdown();
      this.select(this.cells.indexOf(cell), 'command');
      return true;
    }
    return false;
  }

  /** Command mode: Jupyter's single-key shortcuts when no editor has focus. */
  private onDocumentKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (!this.root.isConnected) return;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      e.preventDefault();
      void this.save();
      return;
    }
    if (target.closest('.monaco-editor, input, textarea, select, button, a, [contenteditable]')) return;
    if (this.mode !== 'command' || !this.cells.length) return;
    const key = e.key;
    const handled = () => e.preventDefault();
    if (key === 'Enter' && e.shiftKey) return handled(), this.runSelected('next');
    if (key === 'Enter' && (e.ctrlKey || e.metaKey)) return handled(), this.runSelected('stay');
    if (key === 'Enter' && e.altKey) return handled(), this.runSelected('insert');
    if ((e.ctrlKey || e.metaKey) && e.shiftKey && (key === 'ArrowUp' || key === 'ArrowDown')) return handled(), this.move(key === 'ArrowUp' ? -1 : 1);
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    switch (key) {
      case 'Enter':
        handled();
        return this.select(this.selected, 'edit');
      case 'ArrowUp':
      case 'k':
        handled();
        return this.select(this.selected - 1, 'command');
      case 'ArrowDown':
      case 'j':
        handled();
        return this.select(this.selected + 1, 'command');
      case 'a':
        handled();
        this.insert(this.selected, 'code', false);
        return;
      case 'b':
        handled();
        this.insert(this.selected + 1, 'code', false);
        return;
      case 'd': {
        handled();
        const now = Date.now();
        if (now - this.lastD < 600) {
          this.lastD = 0;
          this.remove(this.selected);
        } else this.lastD = now;
        return;
      }
      case 'm':
        handled();
        this.cells[this.selected]!.changeType('markdown');
        return this.markDirty();
      case 'y':
        handled();
        this.cells[this.selected]!.changeType('code');
        return this.markDirty();
    }
  }
}
