import { parseHTML } from 'linkedom';
import { marked } from 'marked';

/**
 * Server-side HTML/SVG sanitiser for outputs and markdown (share reports, static export).
 * A strict allow-list: the input is parsed, walked and re-serialised from scratch, so only known
 * tags and attributes with checked values reach the page (DOMPurify does not run on linkedom,
 * which lacks document.implementation; the browser UI uses DOMPurify itself).
 */

const HTML_TAGS = new Set(
  ('a abbr article aside b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div dl dt em ' +
    'figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li main mark nav ol p pre q s samp section ' +
    'small span strong sub summary sup table tbody td tfoot th thead time tr u ul var wbr input').split(' '),
);
const SVG_TAGS = new Set(
  ('svg g path rect circle ellipse line polyline polygon text tspan title desc defs clippath lineargradient ' +
    'radialgradient stop marker symbol pattern mask style').split(' '),
);
/** Removed with everything inside them. */
const DROP_WITH_CONTENT = new Set(
  ('script style iframe frame frameset object embed applet template noscript noembed textarea select option ' +
    'title xmp plaintext math form button audio video source track canvas link meta base head foreignobject ' +
    'animate animatemotion animatetransform set use image feimage').split(' '),
);
const VOID = new Set(['br', 'hr', 'img', 'col', 'wbr', 'input']);

const HTML_ATTRS = new Set(
  ('class id title lang dir role colspan rowspan scope align valign width height alt src href start reversed ' +
    'open datetime cite abbr headers span type checked disabled style').split(' '),
);
const SVG_ATTRS = new Set(
  ('class id role viewbox width height x y x1 x2 y1 y2 cx cy r rx ry fx fy d points transform fill fill-opacity ' +
    'fill-rule stroke stroke-width stroke-opacity stroke-dasharray stroke-dashoffset stroke-linecap stroke-linejoin ' +
    'stroke-miterlimit opacity font-family font-size font-weight font-style font-variant text-anchor ' +
    'dominant-baseline alignment-baseline baseline-shift dx dy rotate textlength lengthadjust clip-path clip-rule ' +
    'mask marker-start marker-mid marker-end paint-order offset stop-color stop-opacity gradientunits ' +
    'gradienttransform spreadmethod patternunits patterncontentunits patterntransform preserveaspectratio ' +
    'markerwidth markerheight markerunits refx refy orient clippathunits maskunits maskcontentunits ' +
    'text-decoration letter-spacing word-spacing shape-rendering text-rendering vector-effect visibility ' +
    'display color style xmlns').split(' '),
);

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Escapes text for HTML content and double-quoted attribute values. */
export const escapeHtml = (s: string): string => escapeText(s).replace(/"/g, '&quot;');

/** CSS is allowed only without anything that can load, execute or break out of its context. */
function safeCss(css: string): boolean {
  return !/[<>\\]|@import|expression\s*\(|javascript:|behaviou?r\s*:|-moz-binding/i.test(css) && !/url\s*\(\s*(?!['"]?#)/i.test(css);
}

function safeUrl(value: string, kind: 'link' | 'image'): boolean {
  const v = value.trim().replace(/[\u0000-\u0020]/g, '');
  if (kind === 'image') return /^data:image\/(png|jpe?g|gif|webp);base64,[a-z0-9+/=]+$/i.test(v) || /^https:\/\//i.test(v);
  return /^(https?:|mailto:|#)/i.test(v) || /^[^:]*$/.test(v);
}

function cleanAttribute(tag: string, svg: boolean, name: string, value: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith('on')) return undefined;
  if (lower.startsWith('aria-') && /^aria-[a-z]+$/.test(lower)) return value;
  if (lower.startsWith('data-') && /^data-[a-z0-9-]+$/.test(lower)) return value;
  if (!(svg ? SVG_ATTRS : HTML_ATTRS).has(lower)) return undefined;
  if (lower === 'style') return safeCss(value) ? value : undefined;
  if (lower === 'xmlns') return value === 'http://www.w3.org/2000/svg' ? value : undefined;
  if (lower === 'href') return tag === 'a' && safeUrl(value, 'link') ? value : undefined;
  if (lower === 'src') return tag === 'img' && safeUrl(value, 'image') ? value : undefined;
  if (lower === 'type') return tag === 'input' && value === 'checkbox' ? value : tag === 'input' ? undefined : value;
  // Presentation attributes may reference fragments in the same SVG (url(#clip)) and nothing else.
  if (/url\s*\(/i.test(value) && !/^\s*url\(\s*['"]?#[\w-]+['"]?\s*\)\s*$/i.test(value)) return undefined;
  if (/javascript:/i.test(value.replace(/\s/g, ''))) return undefined;
  return value;
}

interface DomNode {
  nodeType: number;
  nodeValue?: string | null;
  localName?: string;
  tagName?: string;
  childNodes: ArrayLike<DomNode>;
  attributes?: ArrayLike<{ name: string; value: string }>;
}

function serialise(node: DomNode, inSvg: boolean, out: string[]): void {
  if (node.nodeType === 3) {
    out.push(escapeText(node.nodeValue ?? ''));
    return;
  }
  if (node.nodeType !== 1) {
    if (node.nodeType === 11 || node.nodeType === 9) for (const child of Array.from(node.childNodes)) serialise(child, inSvg, out);
    return; // comments, processing instructions, doctypes
  }
  const raw = node.localName ?? node.tagName ?? '';
  const tag = raw.toLowerCase();
  const svg = inSvg || tag === 'svg';
  const allowed = svg ? SVG_TAGS.has(tag) : HTML_TAGS.has(tag);
  // <style> only inside an SVG (Observable Plot's scoped styles), with checked CSS and text-only content.
  if (tag === 'style') {
    if (!inSvg) return;
    const css = Array.from(node.childNodes).map((c) => (c.nodeType === 3 ? (c.nodeValue ?? '') : '')).join('');
    if (safeCss(css)) out.push(`<style>${escapeText(css)}</style>`);
    return;
  }
  if (!allowed) {
    if (DROP_WITH_CONTENT.has(tag) || (!svg && SVG_TAGS.has(tag))) return;
    for (const child of Array.from(node.childNodes)) serialise(child, inSvg, out); // unknown wrapper: keep its text
    return;
  }
  const outputName = svg ? raw : tag;
  out.push(`<${outputName}`);
  for (const attr of Array.from(node.attributes ?? [])) {
    if (tag === 'input' && attr.name.toLowerCase() === 'disabled') continue;
    const value = cleanAttribute(tag, svg, attr.name, attr.value);
    if (value !== undefined) out.push(` ${attr.name.toLowerCase() === 'viewbox' ? 'viewBox' : attr.name}="${escapeHtml(value)}"`);
  }
  // Observable Plot labels its SVG groups (aria-label="dot"); a label needs a role to be allowed there.
  const names = Array.from(node.attributes ?? []).map((a) => a.name.toLowerCase());
  if (tag === 'g' && names.includes('aria-label') && !names.includes('role')) out.push(' role="group"');
  if (tag === 'a') out.push(' rel="noopener noreferrer nofollow" target="_blank"');
  if (tag === 'input') out.push(' disabled');
  out.push('>');
  if (!svg && VOID.has(tag)) return;
  for (const child of Array.from(node.childNodes)) serialise(child, svg, out);
  out.push(`</${outputName}>`);
}

/** Returns HTML that contains only allow-listed markup: no scripts, event handlers or active URLs. */
export function sanitiseHtml(html: string): string {
  const { document } = parseHTML(`<!doctype html><html><head></head><body>${html}</body></html>`);
  const out: string[] = [];
  for (const child of Array.from(document.body.childNodes as unknown as ArrayLike<DomNode>)) serialise(child, false, out);
  return out.join('');
}

/** Markdown (GitHub flavoured) rendered with marked, then sanitised. */
export function renderMarkdown(markdown: string): string {
  return sanitiseHtml(marked.parse(markdown, { async: false, gfm: true }) as string);
}
