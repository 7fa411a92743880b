import type { Notebook } from '../../notebook/format.ts';
import { api, ApiError } from './api.ts';
import { h, toast } from './dom.ts';
import { notebookHref } from './paths.ts';

/**
 * Saving a notebook: autosave 1.5 s after the last change, the state shown beside the toolbar, and
 * conflicts. Every save sends the version the editor loaded; when the file changed on disk meanwhile
 * the server refuses it (409) and a banner offers to reload, overwrite, or save a copy — nothing is
 * overwritten without asking.
 */

const AUTOSAVE_MS = 1500;
type SaveState = 'saving' | 'error' | 'conflict' | 'unsaved' | 'saved';
const TEXT: Record<SaveState, string> = { saving: 'Saving…', error: 'Save failed', conflict: 'Not saved: conflict', unsaved: 'Unsaved changes', saved: 'Saved' };

export class Saver {
  readonly statusEl: HTMLElement;
  private savedRevision: number;
  private saving?: Promise<void>;
  private timer?: number;
  private conflict = false;

  constructor(
    private readonly notebook: () => { name: string; revision: number; toNotebook(): Notebook },
    public version: string | null,
    private readonly banner: HTMLElement,
  ) {
    this.statusEl = h('span', { class: 'save-state', role: 'status', 'aria-live': 'polite', 'data-state': 'saved' }, 'Saved');
    this.savedRevision = notebook().revision;
    window.addEventListener('beforeunload', (e) => {
      if (this.dirty) e.preventDefault();
    });
  }

  get dirty(): boolean {
    return this.notebook().revision !== this.savedRevision;
  }

  get inConflict(): boolean {
    return this.conflict;
  }

  get busy(): boolean {
    return this.saving !== undefined;
  }

  /** The notebook changed: show it, and save a moment after the typing stops. */
  changed(): void {
    this.show();
    window.clearTimeout(this.timer);
    if (!this.conflict) this.timer = window.setTimeout(() => void this.save(), AUTOSAVE_MS);
  }

  private show(state?: SaveState): void {
    const s = state ?? (this.dirty ? 'unsaved' : 'saved');
    if (this.statusEl.dataset.state === s) return;
    this.statusEl.dataset.state = s;
    this.statusEl.textContent = TEXT[s];
  }

  async save(force = false): Promise<void> {
    if (this.saving) {
      await this.saving;
      if (!this.dirty && !force) return;
    }
    if (this.conflict && !force) return;
    window.clearTimeout(this.timer);
    const { name, revision } = this.notebook();
    this.show('saving');
    this.saving = (async () => {
      try {
        const result = await api.save(name, this.notebook().toNotebook(), this.version);
        this.version = result.version;
        this.savedRevision = revision;
        this.show();
        if (this.dirty) this.timer = window.setTimeout(() => void this.save(), AUTOSAVE_MS);
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) this.showConflict(err);
        else {
          this.show('error');
          toast(`Save failed: ${(err as Error).message}`, 'error');
        }
      }
    })();
    await this.saving;
    this.saving = undefined;
  }

  private showConflict(err: ApiError): void {
    this.conflict = true;
    this.show('conflict');
    const current = (err.body.currentVersion as string | null | undefined) ?? null;
    const resolve = () => {
      this.conflict = false;
      this.banner.hidden = true;
    };
    const { name } = this.notebook();
    this.banner.replaceChildren(
      h('span', {}, `${err.message}. Your changes are not saved.`),
      h('button', { type: 'button', onclick: () => location.reload() }, 'Reload from disk'),
      h('button', {
        type: 'button',
        onclick: () => {
          resolve();
          this.version = current;
          void this.save(true);
        },
      }, 'Overwrite with mine'),
      h('button', {
        type: 'button',
        onclick: async () => {
          const created = await api.create(`${name.replace(/\.ipynb$/, '')}-conflict-${Date.now().toString(36)}.ipynb`);
          await api.save(created.name, this.notebook().toNotebook(), created.version);
          this.savedRevision = this.notebook().revision;
          location.href = notebookHref(created.name);
        },
      }, 'Save as copy'),
    );
    this.banner.classList.remove('info');
    this.banner.setAttribute('role', 'alert');
    this.banner.hidden = false;
  }
}
