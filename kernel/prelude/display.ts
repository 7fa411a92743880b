import { escapeHtml, JUPYTER_DISPLAY, toMimeBundle, type MimeBundle } from '../child/display.ts';
import { currentExecution } from '../child/execution.ts';
import { budgetSpent, sendOutput } from '../child/output.ts';
import type { PreludeModule } from './types.ts';

/** `display(x)`, and `html`/`md` tagged templates that return displayable values. */

export interface DisplayOptions {
  /** Treat the value as a MIME bundle as-is (e.g. `display({ 'text/markdown': '# hi' }, { raw: true })`). */
  raw?: boolean;
  metadata?: Record<string, unknown>;
}

export function display(value: unknown, options: DisplayOptions = {}): Promise<void> {
  // Captured now: the output belongs to the cell that called display, even if the bundle takes a moment.
  const execution = currentExecution();
  if (budgetSpent(execution)) return Promise.resolve();
  const emit = (data: MimeBundle) => sendOutput({ output_type: 'display_data', data, metadata: options.metadata ?? {} }, execution);
  if (options.raw) {
    emit(value as MimeBundle);
    return Promise.resolve();
  }
  const bundle = toMimeBundle(value);
  if (bundle instanceof Promise) return bundle.then(emit);
  emit(bundle);
  return Promise.resolve();
}

class Rich {
  constructor(
    readonly mime: string,
    readonly source: string,
  ) {}
  [JUPYTER_DISPLAY](): MimeBundle {
    return { [this.mime]: this.source, 'text/plain': this.source };
  }
  toString() {
    return this.source;
  }
}

export class Html extends Rich {
  constructor(source: string) {
    super('text/html', source);
  }
}

export class Markdown extends Rich {
  constructor(source: string) {
    super('text/markdown', source);
  }
}

function htmlValue(v: unknown): string {
  if (v instanceof Html) return v.source;
  if (Array.isArray(v)) return v.map(htmlValue).join('');
  if (v === null || v === undefined || v === false) return '';
  const outer = (v as { outerHTML?: unknown }).outerHTML;
  if (typeof outer === 'string') return outer;
  return escapeHtml(String(v));
}

/** HTML from a template; interpolated values are escaped unless they are html`` fragments or DOM nodes. */
export function html(strings: TemplateStringsArray | string, ...values: unknown[]): Html {
  if (typeof strings === 'string') return new Html(strings);
  return new Html(strings.reduce((acc, s, i) => acc + s + (i < values.length ? htmlValue(values[i]) : ''), ''));
}

export function md(strings: TemplateStringsArray | string, ...values: unknown[]): Markdown {
  if (typeof strings === 'string') return new Markdown(strings);
  return new Markdown(strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), ''));
}

export const displayPrelude: PreludeModule = {
  name: 'display',
  globals: {
    display: { value: () => display },
    html: { value: () => html },
    md: { value: () => md },
  },
  types: `
/** A MIME bundle: keys are MIME types (text/plain, text/html, image/svg+xml, application/json, text/markdown). */
type MimeBundle = Record<string, unknown>;
interface DisplayOptions { /** Treat the value as a MIME bundle as-is. */ raw?: boolean; metadata?: Record<string, unknown>; }
/** Shows a value below the cell: tables for arrays of objects, SVG for Plot figures, or the object's own [Symbol.for("Jupyter.display")]() bundle. */
declare function display(value: unknown, options?: DisplayOptions): Promise<void>;
interface Displayable { toString(): string; }
/** HTML output; interpolated values are escaped unless they are html\`\` fragments or DOM nodes. */
declare function html(strings: TemplateStringsArray | string, ...values: unknown[]): Displayable;
/** Markdown output. */
declare function md(strings: TemplateStringsArray | string, ...values: unknown[]): Displayable;
`,
};
