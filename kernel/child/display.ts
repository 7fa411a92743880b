import { inspect } from 'node:util';
import { LIMITS } from '../wire.ts';

/**
 * Turns a value into a Jupyter MIME bundle. Precedence: the object's own representation
 * (`Symbol.for('Jupyter.display')`, as in Deno), DOM nodes (Plot figures) as SVG/HTML, arrays of
 * records as tables, then JSON plus an `inspect` text form.
 */

export type MimeBundle = Record<string, unknown>;

export const JUPYTER_DISPLAY = Symbol.for('Jupyter.display');

/**
 * Representations given to values from outside (the kernel's globals show their help card, see
 * prelude/help.ts): a WeakMap, because some globals are frozen (Plot) or shared class instances (mcp).
 */
const described = new WeakMap<object, () => MimeBundle>();

export function describeAs(value: object, bundle: () => MimeBundle): void {
  described.set(value, bundle);
}

/** Synchronous unless the object's own representation returns a promise (keeps output order). */
export function toMimeBundle(value: unknown): MimeBundle | Promise<MimeBundle> {
  const card = value !== null && (typeof value === 'object' || typeof value === 'function') ? described.get(value) : undefined;
  if (card) return limitBundle(card());
  const own = ownRepresentation(value);
  if (own) return own instanceof Promise ? own.then((b) => limitBundle(b)) : limitBundle(own);
  if (isDomElement(value)) return limitBundle(domBundle(value));
  if (isRecordArray(value)) return limitBundle(tableBundle(value));
  const bundle: MimeBundle = { 'text/plain': plain(value) };
  if (isPlainData(value)) {
    const json = safeJson(value);
    if (json !== undefined) bundle['application/json'] = json;
  }
  return limitBundle(bundle);
}

function ownRepresentation(value: unknown): MimeBundle | Promise<MimeBundle> | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const fn = (value as Record<symbol, unknown>)[JUPYTER_DISPLAY];
  if (typeof fn !== 'function') return undefined;
  const check = (bundle: unknown): MimeBundle => {
    if (!bundle || typeof bundle !== 'object') throw new TypeError('[Symbol.for("Jupyter.display")]() must return a MIME bundle object');
    const b = { ...(bundle as MimeBundle) };
    b['text/plain'] ??= plain(value);
    return b;
  };
  const result: unknown = fn.call(value);
  return result instanceof Promise ? result.then(check) : check(result);
}

export function plain(value: unknown): string {
  return inspect(value, { depth: 4, colors: false, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

/** Arrays and plain objects get an application/json view; class instances, Maps, Errors... only text. */
function isPlainData(value: unknown): boolean {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function safeJson(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    if (text === undefined || text.length > LIMITS.mimeBytes) return undefined;
    return JSON.parse(text);
  } catch {
    return undefined; // circular, BigInt, ...
  }
}

// --- DOM (Observable Plot figures rendered with linkedom) ---

interface DomElementLike {
  nodeType: number;
  tagName: string;
  outerHTML: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelector?(selector: string): DomElementLike | null;
}

function isDomElement(value: unknown): value is DomElementLike {
  const v = value as DomElementLike;
  return !!v && typeof v === 'object' && v.nodeType === 1 && typeof v.tagName === 'string' && typeof v.outerHTML === 'string';
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function domBundle(el: DomElementLike): MimeBundle {
  const tag = el.tagName.toLowerCase();
  if (tag === 'svg') {
    if (!el.getAttribute('xmlns')) el.setAttribute('xmlns', SVG_NS);
    const svg = el.outerHTML;
    return { 'image/svg+xml': svg, 'text/plain': '<svg figure>' };
  }
  // Plot wraps a chart with a legend, title or caption in a <figure>: keep the whole figure as HTML.
  for (const svg of (el as unknown as { querySelectorAll?(s: string): Iterable<DomElementLike> }).querySelectorAll?.('svg') ?? []) {
    if (!svg.getAttribute('xmlns')) svg.setAttribute('xmlns', SVG_NS);
  }
  return { 'text/html': el.outerHTML, 'text/plain': `<${tag} element>` };
}

// --- Tables ---

function isRecordArray(value: unknown): value is Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length === 0) return false;
  const sample = value.slice(0, LIMITS.tableRows);
  return sample.every((row) => row !== null && typeof row === 'object' && !Array.isArray(row) && !isDomElement(row));
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return inspect(v, { depth: 1, breakLength: Infinity, colors: false, maxStringLength: 200 });
}

/** A table of `rows`; `names` gives the columns when they are known (a query's, even with no rows), else the rows' keys. */
export function tableBundle(rows: Record<string, unknown>[], names?: string[]): MimeBundle {
  const shown = rows.slice(0, LIMITS.tableRows);
  const columns = names ?? [...new Set(shown.flatMap((r) => Object.keys(r)))];
  const summary = `${rows.length} row${rows.length === 1 ? '' : 's'} × ${columns.length} column${columns.length === 1 ? '' : 's'}${rows.length > shown.length ? ` (first ${shown.length} shown)` : ''}`;
  const head = `<thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`;
  const body = shown.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(cellText(r[c]))}</td>`).join('')}</tr>`).join('');
  const html = `<table class="trailbook-table">${head}<tbody>${body}</tbody></table><p class="trailbook-table-summary">${escapeHtml(summary)}</p>`;

  const textRows = [columns, ...shown.map((r) => columns.map((c) => cellText(r[c]).replace(/\s+/g, ' ').slice(0, 40)))];
  const widths = columns.map((_, i) => Math.max(...textRows.map((r) => r[i]!.length)));
  const text = textRows.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + `\n${summary}`;

  // All rows as JSON when they fit, else the rows shown.
  const json = safeJson(rows) ?? safeJson(shown);
  return json === undefined ? { 'text/html': html, 'text/plain': text } : { 'text/html': html, 'text/plain': text, 'application/json': json };
}

// --- Size limit ---

function payloadSize(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  try {
    return Buffer.byteLength(JSON.stringify(v) ?? '');
  } catch {
    return Infinity;
  }
}

/** Cuts text/plain and drops any other MIME payload over the limit, saying so in text/plain. */
export function limitBundle(bundle: MimeBundle, limit = LIMITS.mimeBytes): MimeBundle {
  const out: MimeBundle = {};
  const dropped: string[] = [];
  for (const [mime, value] of Object.entries(bundle)) {
    const size = payloadSize(value);
    if (size <= limit) out[mime] = value;
    else if (mime === 'text/plain' && typeof value === 'string') out[mime] = `${Buffer.from(value).subarray(0, limit).toString()}\n[output truncated: ${(size / 1024 / 1024).toFixed(1)} MB exceeds the ${limit / 1024 / 1024} MB limit]`;
    else dropped.push(`${mime} (${(size / 1024 / 1024).toFixed(1)} MB)`);
  }
  if (dropped.length) {
    const notice = `[output truncated: ${dropped.join(', ')} exceeded the ${limit / 1024 / 1024} MB limit and was not shown]`;
    out['text/plain'] = typeof out['text/plain'] === 'string' ? `${(out['text/plain'] as string).slice(0, 10_000)}\n${notice}` : notice;
  }
  return out;
}
