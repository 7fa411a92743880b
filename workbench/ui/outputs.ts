import DOMPurify from 'dompurify';
import { marked } from 'marked';
import type { Output } from '../../notebook/format.ts';
import { errorText, mimeText as text, stripAnsi } from './output-text.ts';
import { h } from './dom.ts';

/** Renders nbformat outputs in the browser; HTML, SVG and markdown go through DOMPurify first. */

// Links in outputs open in a new tab and never carry the opener.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  // Observable Plot labels its SVG groups (aria-label="dot"); a label needs a role to be allowed there.
  if (node.tagName.toLowerCase() === 'g' && node.hasAttribute('aria-label') && !node.hasAttribute('role')) node.setAttribute('role', 'group');
});

const PURIFY = { USE_PROFILES: { html: true, svg: true, svgFilters: true }, FORBID_TAGS: ['form', 'input', 'button', 'textarea', 'select'] };

export const sanitise = (html: string): string => DOMPurify.sanitize(html, PURIFY) as unknown as string;
export const markdownToHtml = (md: string): string => sanitise(marked.parse(md, { async: false, gfm: true }) as string);

function rich(data: Record<string, unknown>): HTMLElement {
  if (data['image/svg+xml'] !== undefined) return html('out svg', sanitise(text(data['image/svg+xml'])));
  if (data['text/html'] !== undefined) return html('out html', sanitise(text(data['text/html'])));
  if (data['text/markdown'] !== undefined) return html('out markdown', markdownToHtml(text(data['text/markdown'])));
  for (const mime of ['image/png', 'image/jpeg', 'image/gif', 'image/webp']) {
    const b = data[mime];
    if (b !== undefined) return h('div', { class: 'out image' }, h('img', { alt: 'output image', src: `data:${mime};base64,${text(b).replace(/\s/g, '')}` }));
  }
  if (data['application/json'] !== undefined) return h('pre', { class: 'out json' }, JSON.stringify(data['application/json'], null, 2));
  return h('pre', { class: 'out plain' }, stripAnsi(text(data['text/plain'] ?? `[${Object.keys(data).join(', ')}]`)));
}

function html(cls: string, markup: string): HTMLElement {
  const el = h('div', { class: cls });
  el.innerHTML = markup;
  return el;
}

export function renderOutput(output: Output): HTMLElement {
  switch (output.output_type) {
    case 'stream':
      return h('pre', { class: `out stream ${output.name}` }, stripAnsi(text(output.text)));
    case 'error': {
      const { heading, rest } = errorText(output);
      return h('pre', { class: 'out error', role: 'alert' }, h('strong', {}, heading), rest);
    }
    default:
      return rich(output.data);
  }
}
