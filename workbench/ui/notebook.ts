import type { Notebook } from '../../notebook/format.ts';
import type { ServerMessage, SessionStatus } from '../kernels.ts';
import { api } from './api.ts';
import { CommandRegistry, type Mode } from './commands.ts';
import { confirmDialog, promptDialog } from './dialog.ts';
import { h, toast } from './dom.ts';
import { whenQuiet } from './idle.ts';
import { KernelConnection } from './kernel.ts';
import { loadMonaco, type MonacoApi } from './monaco.ts';
import { CELL_TOOLBAR, HEADER_TOOLBAR, ICONS, registerNotebookCommands, TOOLBAR, type NotebookActions } from './notebook-commands.ts';
import { NotebookModel } from './notebook-model.ts';
import { NotebookView } from './notebook-view.ts';
import { openKeyHelp, openPalette } from './palette.ts';
import { baseName, folderHref, folderOf, notebookHref } from './paths.ts';
import { Saver } from './saver.ts';
import { showSharePanel } from './share-panel.ts';
import { currentTheme, initTheme, onThemeChange, themeToggle, toggleTheme, type Theme } from './theme.ts';
import { Toolbar } from './toolbar.ts';

const KERNEL_LABELS: Record<SessionStatus, string> = { off: 'No kernel', starting: 'Starting', idle: 'Idle', busy: 'Busy', dead: 'Dead' };
const title = (name: string) => baseName(name).replace(/\.ipynb$/, '');

/**
 * The notebook page, composing the parts: the model (cells and selection), the command registry
 * (every action and key), the views (cell list, toolbars), the kernel connection and the saver. It
 * holds the effects the commands need (running, kernel, dialogs, rename, share) and routes keys to
 * the registry in the right mode; it has no cell logic of its own.
 */
export class NotebookPage {
  readonly model = new NotebookModel();
  readonly registry = new CommandRegistry();
  private kernel?: KernelConnection;
  private monaco?: MonacoApi;
  private kernelStatus: SessionStatus = 'off';
  private saver?: Saver;
  private readonly view: NotebookView;
  private readonly toolbar: Toolbar;
  private readonly cellToolbar: Toolbar;
  private readonly root: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly crumbs: HTMLElement;
  private readonly kernelState: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly notices: HTMLElement;

  constructor(
    private name: string,
    private readonly container: HTMLElement,
  ) {
    initTheme();
    registerNotebookCommands(this.registry, this.actions());
    this.toolbar = new Toolbar(this.registry, TOOLBAR, { label: 'Notebook actions', className: 'toolbar-main', icons: ICONS });
    this.cellToolbar = new Toolbar(this.registry, CELL_TOOLBAR, {
      label: 'Cell actions',
      className: 'cell-toolbar',
      icons: ICONS,
      iconOnly: true,
      args: () => ({ cellId: this.model.activeCell?.id }),
    });
    this.view = new NotebookView(this.model, this.cellHooks(), this.cellToolbar.el);
    this.titleEl = h('h1', { class: 'nb-title' }, title(name));
    this.crumbs = h('span', { class: 'crumbs' });
    this.kernelState = h(
      'span',
      { class: 'kernel-state', role: 'status', 'aria-label': 'Kernel status: no kernel', 'data-status': 'off' },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'label' }, 'Kernel: no kernel'),
    );
    this.banner = h('div', { class: 'banner', hidden: true });
    this.notices = h('div', { class: 'banner info notices', role: 'status', hidden: true });
    const header = new Toolbar(this.registry, HEADER_TOOLBAR, { label: 'Notebook file', className: 'toolbar-side', extra: Object.fromEntries(HEADER_TOOLBAR.map((id) => [id, 'subtle'])) });
    const share = new Toolbar(this.registry, ['notebook:share'], { label: 'Sharing', className: 'toolbar-side', extra: { 'notebook:share': 'primary' } });
    const toolbarRow = h('div', { class: 'toolbar' }, this.toolbar.el, h('span', { class: 'spacer' }), this.kernelState, share.el);
    this.root = h(
      'div',
      { class: 'notebook-page', 'data-mode': 'command' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '/' }, 'Trailbook'),
        this.crumbs,
        this.titleEl,
        header.el,
        h('span', { class: 'spacer' }),
        themeToggle(),
      ),
      toolbarRow,
      this.notices,
      this.banner,
      h('main', { class: 'notebook', 'aria-label': 'Cells' }, this.view.el),
    );
    this.model.onChange((change) => {
      this.view.render();
      this.root.dataset.mode = this.model.mode;
      this.toolbar.refresh();
      this.cellToolbar.refresh({ cellId: this.model.activeCell?.id });
      header.refresh();
      share.refresh();
      if (change.content) this.saver?.changed();
    });
    this.showCrumbs();
    onThemeChange((theme) => this.applyEditorTheme(theme));
    document.addEventListener('keydown', (e) => this.onDocumentKey(e));
  }

  private showCrumbs(): void {
    const parts = folderOf(this.name) ? folderOf(this.name).split('/') : [];
    this.crumbs.replaceChildren(
      h('span', { class: 'crumb', 'aria-hidden': 'true' }, '/'),
      ...parts.flatMap((part, i) => [h('a', { href: folderHref(parts.slice(0, i + 1).join('/')) }, part), h('span', { class: 'crumb', 'aria-hidden': 'true' }, '/')]),
    );
  }

  /**
   * Opens the notebook: the cells on the first screen are painted and take plain typing first; the other
   * cells' outputs follow in idle moments, and Monaco (megabytes of script whose evaluation blocks the
   * page for a few hundred ms) loads only once those are drawn and nobody has typed or clicked for a moment.
   */
  async load(): Promise<void> {
    let opened;
    try {
      opened = await api.open(this.name);
    } catch (err) {
      this.container.replaceChildren(
        h('main', { class: 'error-page' }, h('h1', {}, 'Cannot open notebook'), h('p', { role: 'alert' }, (err as Error).message), h('a', { href: '/' }, 'Back to all notebooks')),
      );
      return;
    }
    document.title = `${title(this.name)} · Trailbook`;
    this.saver = new Saver(() => ({ name: this.name, revision: this.model.revision, toNotebook: () => this.model.toNotebook() }), opened.version, this.banner);
    this.kernelState.before(this.saver.statusEl);
    this.showNotices(opened.notices ?? []);
    this.container.replaceChildren(this.root); // first, so the view sees which cells are on screen
    this.model.load(opened.notebook);
    this.connect();

    await this.view.revealed();
    await whenQuiet();
    const monaco = await loadMonaco();
    this.monaco = monaco;
    this.view.setMonaco(monaco);
    this.applyEditorTheme();
    this.root.dataset.ready = 'true';
    void monaco.loadKernelTypes();
  }

  /** What the loader changed on the way in (an older nbformat, another kernel's notebook): shown once, dismissible. */
  private showNotices(notices: string[]): void {
    if (!notices.length) return;
    this.notices.replaceChildren(
      h('span', { class: 'notices-title' }, 'When opening this notebook: '),
      h('ul', {}, ...notices.map((n) => h('li', {}, n))),
      h('button', { type: 'button', class: 'subtle', onclick: () => (this.notices.hidden = true) }, 'Dismiss'),
    );
    this.notices.hidden = false;
  }

  /** The editor's theme follows the page's (editors created later read it from <html data-theme>). */
  private applyEditorTheme(theme: Theme = currentTheme()): void {
    this.monaco?.monaco.editor.setTheme(theme === 'dark' ? 'vs-dark' : 'vs');
  }

  private connect(): void {
    this.kernel?.close();
    this.kernel = new KernelConnection(this.name, (m) => this.onKernel(m), (up) => this.root.classList.toggle('disconnected', !up));
  }

  toNotebook(): Notebook {
    return this.model.toNotebook();
  }

  // ── what the commands do ─────────────────────────────────────────────────
  private actions(): NotebookActions {
    return {
      model: this.model,
      run: (ids, then) => this.run(ids, then),
      interrupt: () => this.kernel?.send({ type: 'interrupt' }),
      restart: (runAll) => this.restart(runAll),
      shutdown: async () => {
        if (await confirmDialog({ title: 'Shut down the kernel?', message: 'Its variables are lost; the next run starts a new kernel.', confirm: 'Shut down' })) {
          this.kernel?.send({ type: 'shutdown' });
        }
      },
      kernelRunning: () => this.kernelStatus !== 'off' && this.kernelStatus !== 'dead',
      save: () => this.saver?.save() ?? Promise.resolve(),
      rename: () => this.rename(),
      download: () => this.download(),
      share: () => this.share(),
      enterEdit: () => this.enterEdit(),
      enterCommand: () => {
        const cell = this.model.activeCell;
        if (cell?.type === 'markdown') this.model.setEditing(cell.id, false);
        this.model.setMode('command');
        this.view.focusActive();
      },
      editorPopupOpen: () => Boolean(this.view.activeView?.el.querySelector('.suggest-widget.visible, .parameter-hints-widget.visible, .find-widget.visible')),
      palette: () => openPalette(this.registry),
      keyHelp: () => openKeyHelp(this.registry),
      toggleTheme: () => void toggleTheme(),
    };
  }

  private enterEdit(): void {
    const cell = this.model.activeCell;
    if (!cell) return;
    if (cell.type === 'markdown') this.model.setEditing(cell.id, true);
    this.model.setMode('edit');
    this.view.focusActive();
  }

  private run(ids: string[], then: 'stay' | 'next' | 'insert'): void {
    for (const id of ids) {
      const cell = this.model.cell(id);
      if (!cell) continue;
      if (cell.type === 'markdown') this.model.setEditing(id, false);
      if (cell.type !== 'code') continue;
      const sent = this.model.queue(id)!;
      this.kernel?.send({ type: 'execute', cellId: id, code: sent.source });
    }
    const last = Math.max(...ids.map((id) => this.model.indexOf(id)), this.model.active);
    if (then === 'insert' || (then === 'next' && last >= this.model.cells.length - 1)) {
      this.model.insert(last + 1, 'code');
      this.enterEdit();
    } else if (then === 'next') {
      this.model.select(last + 1, { mode: 'command' });
    } else this.model.setMode('command');
  }

  private async restart(runAll: boolean): Promise<void> {
    const ok = await confirmDialog({
      title: runAll ? 'Restart the kernel and run all cells?' : 'Restart the kernel?',
      message: 'All variables are lost. Outputs already shown stay until their cells run again.',
      confirm: 'Restart',
    });
    if (!ok) return;
    this.kernel?.send({ type: 'restart' });
    toast('Restarting the kernel…');
    if (runAll) this.run(this.model.cells.map((c) => c.id), 'stay');
  }

  private async rename(): Promise<void> {
    const to = await promptDialog({ title: 'Rename notebook', label: 'New name (a folder path may come first: folder/name)', value: this.name.replace(/\.ipynb$/, ''), confirm: 'Rename' });
    if (!to) return;
    const target = to.endsWith('.ipynb') ? to : `${to}.ipynb`;
    if (target === this.name) return;
    try {
      await this.saver?.save();
      await api.rename(this.name, target);
      this.name = target;
      this.titleEl.textContent = title(target);
      this.showCrumbs();
      document.title = `${title(target)} · Trailbook`;
      history.replaceState(null, '', notebookHref(target));
      this.connect();
    } catch (err) {
      toast(`Rename failed: ${(err as Error).message}`, 'error');
    }
  }

  /** Downloads the notebook as saved (after saving what is unsaved). */
  private async download(): Promise<void> {
    await this.saver?.save();
    const link = h('a', { href: api.downloadUrl(this.name), download: baseName(this.name) });
    document.body.append(link);
    link.click();
    link.remove();
  }

  private async share(): Promise<void> {
    const saver = this.saver;
    if (!saver) return;
    await saver.save();
    if (saver.dirty || saver.inConflict) {
      toast('Save the notebook before sharing it.', 'error');
      return;
    }
    try {
      this.banner.removeAttribute('role');
      await showSharePanel(this.banner, {
        name: () => this.name,
        // Only adopted while nothing is unsaved: the server's change was the id alone.
        onVersion: (version) => {
          if (!saver.dirty && !saver.busy) saver.version = version;
        },
      });
    } catch (err) {
      toast(`Share failed: ${(err as Error).message}`, 'error');
    }
  }

  // ── kernel ───────────────────────────────────────────────────────────────
  private onKernel(message: ServerMessage): void {
    this.model.apply(message);
    if (message.type === 'status') this.showKernelStatus(message.status, message.detail);
    else if (message.type === 'interrupted') toast(message.stateLost ? 'Kernel interrupted: it had to be restarted, so its variables are gone.' : 'Kernel interrupted.');
    else if (message.type === 'error') toast(message.message, 'error');
  }

  private showKernelStatus(status: SessionStatus, detail?: string): void {
    this.kernelStatus = status;
    this.kernelState.dataset.status = status;
    this.kernelState.title = detail ?? `Kernel ${KERNEL_LABELS[status].toLowerCase()}`;
    this.kernelState.setAttribute('aria-label', `Kernel status: ${KERNEL_LABELS[status].toLowerCase()}`);
    this.kernelState.querySelector('.label')!.textContent = `Kernel: ${KERNEL_LABELS[status].toLowerCase()}`;
    this.toolbar.refresh();
  }

  // ── keys and pointer ─────────────────────────────────────────────────────
  private cellHooks() {
    return {
      onSource: (id: string, source: string) => this.model.setSource(id, source),
      onPointerSelect: (id: string, extend: boolean) => {
        const index = this.model.indexOf(id);
        if (index < 0) return;
        // The press itself focuses the cell (a Shift+click keeps the focus where it is).
        this.model.select(index, { extend, mode: 'command' });
      },
      onEditorFocus: (id: string) => this.model.select(this.model.indexOf(id), { mode: 'edit' }),
      onEditorBlur: () => {
        // Focus moved out of every editor (a toolbar, the page): back to command mode.
        setTimeout(() => {
          if (!document.activeElement?.closest('.monaco-editor') && this.model.mode === 'edit') this.model.setMode('command');
        });
      },
      onEditRequest: (id: string) => {
        this.model.select(this.model.indexOf(id));
        this.enterEdit();
      },
      onEditorKey: (_id: string, e: KeyboardEvent) => this.key(e, 'edit'),
    };
  }

  /** Gives a key to the registry in a mode; after a command, the focus follows the active cell. */
  private key(e: KeyboardEvent, mode: Mode): boolean {
    const { result, promise } = this.registry.processKeydown(e, mode);
    if (result === 'ignored') return false;
    e.preventDefault();
    void promise?.then(() => {
      if (!document.querySelector('dialog[open]')) this.view.focusActive();
    });
    return true;
  }

  /** Command mode: keys pressed while no editor, field or dialog has the focus. */
  private onDocumentKey(e: KeyboardEvent): void {
    if (!this.root.isConnected || e.defaultPrevented) return;
    const target = e.target as HTMLElement;
    if (target.closest('dialog, .monaco-editor, .placeholder')) return; // editors route their own keys
    // Fields and buttons keep their own keys; only chords with Ctrl/Cmd (save, the palette) reach the registry.
    if (target.closest('input, textarea, select, button, a, [contenteditable]') && !(e.ctrlKey || e.metaKey)) return;
    this.key(e, 'command');
  }
}
