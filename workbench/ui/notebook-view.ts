import { CellView, type CellHooks } from './cells.ts';
import { h } from './dom.ts';
import { nextIdle } from './idle.ts';
import type { NotebookModel } from './notebook-model.ts';

type MonacoModule = import('./monaco.ts').MonacoApi;

/**
 * The cell list on screen, kept in step with the model: `render()` makes a CellView for each new
 * cell, drops those of removed cells, restores the order, and marks the selection, the active cell
 * and the mode. It reads the model and never changes it; cell views call back through the hooks.
 * Editors are mounted as cells come near the viewport, once Monaco has loaded. When many cells
 * arrive at once (opening a notebook), those on the first screen show their rendered markdown and
 * outputs at once and the others in idle moments after, so the page paints and takes typing first.
 */
export class NotebookView {
  readonly el: HTMLElement;
  private readonly views = new Map<string, CellView>();
  private order: string[] = [];
  private monaco?: MonacoModule;
  private readonly observer: IntersectionObserver;

  constructor(
    private readonly model: NotebookModel,
    private readonly hooks: Omit<CellHooks, 'monaco'>,
    private readonly cellToolbar: HTMLElement,
  ) {
    this.el = h('div', { class: 'cells' });
    this.observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const id = (entry.target as HTMLElement).dataset.cellId!;
          if (entry.isIntersecting) this.toMount.add(id);
          else this.toMount.delete(id);
        }
        this.schedule();
      },
      { rootMargin: '300px 0px' },
    );
  }

  private readonly toMount = new Set<string>();
  private scheduled = false;
  /** Cells whose markdown and outputs are still to be drawn, in notebook order. */
  private unrevealed: CellView[] = [];
  private revealing?: Promise<void>;

  /** Resolves when every cell shows its rendered markdown and outputs. */
  revealed(): Promise<void> {
    return this.revealing ?? Promise.resolve();
  }

  /**
   * Reveals the new cells that are on (or just below) the screen now, the rest in idle slices. A few
   * new cells (an insert, a paste) are all revealed at once: only a notebook's worth is worth deferring.
   */
  private reveal(created: CellView[]): void {
    if (created.length <= 5 && !this.unrevealed.length) {
      for (const view of created) view.reveal();
      return;
    }
    if (this.unrevealed.length) {
      const index = new Map(this.model.cells.map((c, i) => [c.id, i]));
      this.unrevealed = [...this.unrevealed, ...created].sort((a, b) => index.get(a.id)! - index.get(b.id)!);
    } else this.unrevealed = created;
    const screen = window.innerHeight * 1.5;
    // Each check lays out the cells above it, which are few and light until revealed.
    while (this.unrevealed[0] && this.unrevealed[0].el.getBoundingClientRect().top < screen) this.unrevealed.shift()!.reveal();
    this.revealing ??= (async () => {
      while (this.unrevealed.length) {
        const deadline = await nextIdle(100);
        // At least one per slice, so steady work elsewhere (a deadline with no time left) cannot starve it.
        let view = this.unrevealed.shift();
        while (view) {
          view.reveal();
          view = (deadline?.timeRemaining() ?? 0) > 4 ? this.unrevealed.shift() : undefined;
        }
      }
      this.revealing = undefined;
    })();
  }

  /**
   * Mounts the editors of cells near the viewport one at a time in idle moments, then gives every other
   * code cell its Monaco model (TypeScript then sees the whole notebook): a keystroke or click never
   * waits behind a batch of editors being built.
   */
  private schedule(): void {
    if (this.scheduled || !this.monaco) return;
    this.scheduled = true;
    const step = () => {
      this.scheduled = false;
      const started = performance.now();
      for (const id of this.toMount) {
        this.toMount.delete(id);
        const view = this.views.get(id);
        if (view && !view.mounted) {
          view.mount();
          break; // one editor per slice: building one takes a frame or more
        }
      }
      if (!this.toMount.size) {
        for (const view of this.views.values()) {
          if (performance.now() - started > 8) break;
          if (view.type === 'code') view.ensureModel();
        }
      }
      if (this.toMount.size || [...this.views.values()].some((v) => v.type === 'code' && !v.model)) this.schedule();
    };
    if ('requestIdleCallback' in window) requestIdleCallback(step, { timeout: 100 });
    else setTimeout(step, 0);
  }

  /** Monaco arrived: editors mount near the viewport, code cells get their models, both in idle moments. */
  setMonaco(monaco: MonacoModule): void {
    this.monaco = monaco;
    for (const view of this.views.values()) this.observer.observe(view.el);
    this.schedule();
  }

  view(id: string): CellView | undefined {
    return this.views.get(id);
  }

  get activeView(): CellView | undefined {
    const cell = this.model.activeCell;
    return cell ? this.views.get(cell.id) : undefined;
  }

  render(): void {
    const cells = this.model.cells;
    const ids = cells.map((c) => c.id);
    const present = new Set(ids);
    for (const [id, view] of this.views) {
      if (present.has(id)) continue;
      this.observer.unobserve(view.el);
      view.dispose();
      this.views.delete(id);
    }
    if (this.unrevealed.length) this.unrevealed = this.unrevealed.filter((v) => this.views.has(v.id));
    const created: CellView[] = [];
    cells.forEach((cell, index) => {
      let view = this.views.get(cell.id);
      if (!view) {
        view = new CellView(cell, { ...this.hooks, monaco: () => this.monaco });
        created.push(view);
        this.views.set(cell.id, view);
        if (this.monaco) {
          if (cell.type === 'code') view.ensureModel();
          this.observer.observe(view.el);
        }
      } else view.update(cell);
      view.setIndex(index);
    });
    if (ids.length !== this.order.length || ids.some((id, i) => id !== this.order[i])) {
      this.el.replaceChildren(...ids.map((id) => this.views.get(id)!.el));
      this.order = ids;
    }
    if (created.length) this.reveal(created);
    const active = this.model.active;
    cells.forEach((cell, index) => {
      const el = this.views.get(cell.id)!.el;
      el.classList.toggle('selected', this.model.isSelected(index));
      el.classList.toggle('active', index === active);
    });
    const activeView = this.activeView;
    if (activeView && this.cellToolbar.parentElement !== activeView.toolbarSlot) activeView.toolbarSlot.append(this.cellToolbar);
  }

  /** Moves the focus to the active cell: its editor in edit mode, the cell itself in command mode. */
  focusActive(): void {
    const view = this.activeView;
    if (!view) return;
    if (this.model.mode === 'edit') view.focusEditor();
    else {
      view.el.focus({ preventScroll: true });
      view.el.scrollIntoView({ block: 'nearest' });
    }
  }
}
