import { joinSource, type Notebook, type Output } from '../notebook/format.ts';
import { errorText, mimeText as text, stripAnsi } from './ui/output-text.ts';
import { escapeHtml, renderMarkdown, sanitiseHtml } from './sanitise.ts';

/**
 * The read-only report of a saved notebook (share page and static HTML export): markdown rendered,
 * code shown as text, stored outputs sanitised. Self-contained: inline CSS, no script at all.
 */

/**
 * An output that may hold a table wider than the page (it scrolls sideways): keyboard users must be able
 * to reach it, so it is a named tab stop (the page has no script to check whether it really overflows).
 */
function scrolling(cls: string, html: string): string {
  const stop = /<table[\s>]/i.test(html) ? ' tabindex="0" role="region" aria-label="Output table, scrolls sideways when wide"' : '';
  return `<div class="${cls}"${stop}>${html}</div>`;
}

/** Renders one stored output to safe HTML, choosing the richest MIME type we can show safely. */
export function renderOutput(output: Output): string {
  switch (output.output_type) {
    case 'stream':
      return `<pre class="out stream ${output.name}">${escapeHtml(stripAnsi(joinSource(output.text)))}</pre>`;
    case 'error': {
      const { heading, rest } = errorText(output);
      return `<pre class="out error"><strong>${escapeHtml(heading)}</strong>${escapeHtml(rest)}</pre>`;
    }
    default: {
      const data = output.data;
      if (data['image/svg+xml'] !== undefined) return `<div class="out svg">${sanitiseHtml(text(data['image/svg+xml']))}</div>`;
      if (data['text/html'] !== undefined) return scrolling('out html', sanitiseHtml(text(data['text/html'])));
      if (data['text/markdown'] !== undefined) return scrolling('out markdown', renderMarkdown(text(data['text/markdown'])));
      for (const mime of ['image/png', 'image/jpeg', 'image/gif', 'image/webp']) {
        const b = data[mime];
        if (typeof b === 'string' || Array.isArray(b)) {
          const base64 = text(b).replace(/\s/g, '');
          if (/^[A-Za-z0-9+/=]+$/.test(base64)) return `<div class="out image"><img alt="output image" src="data:${mime};base64,${base64}"></div>`;
        }
      }
      if (data['application/json'] !== undefined) return `<pre class="out json">${escapeHtml(JSON.stringify(data['application/json'], null, 2))}</pre>`;
      if (data['text/plain'] !== undefined) return `<pre class="out plain">${escapeHtml(stripAnsi(text(data['text/plain'])))}</pre>`;
      return `<pre class="out plain">[${escapeHtml(Object.keys(data).join(', '))}]</pre>`;
    }
  }
}

/** The share page's header CSP; the exported file carries the same policy in a <meta> (minus frame-ancestors, which meta cannot set). */
const META_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; base-uri 'none'; form-action 'none'";
export const REPORT_CSP = `${META_CSP}; frame-ancestors 'none'`;

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;margin:0}
main{max-width:980px;margin:0 auto;padding:24px 24px 64px}
header.report{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #d0d7de;margin-bottom:16px}
header.report h1{font-size:20px;margin:12px 0}
.badge{font-size:12px;color:#57606a;border:1px solid #d0d7de;border-radius:12px;padding:2px 8px;background:#fff}
.cell{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:12px 0;overflow:hidden}
.cell.markdown{padding:4px 16px}
.code{display:flex;border-bottom:1px solid #eaeef2;background:#f6f8fa}
.count{color:#57606a;font:12px ui-monospace,monospace;padding:10px 8px;min-width:48px;text-align:right}
pre{margin:0;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word}
.code pre{padding:10px 12px;flex:1}
.outputs{padding:8px 12px 8px 68px}
.out{margin:4px 0;overflow-x:auto}
.out.stderr{color:#9a6700}.out.error{color:#cf222e;background:#fff5f5;padding:8px;border-radius:6px}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;white-space:nowrap;max-width:36em;overflow:hidden;text-overflow:ellipsis}th{background:#f6f8fa}
img,svg{max-width:100%;height:auto}
a{color:#0969da;text-decoration:underline}
`;

export function renderReport(name: string, notebook: Notebook, opts: { exported?: boolean; expiresAt?: number | null } = {}): string {
  const cells = notebook.cells.map((cell) => {
    const source = joinSource(cell.source);
    if (cell.cell_type === 'markdown') return `<section class="cell markdown">${renderMarkdown(source)}</section>`;
    if (cell.cell_type === 'raw') return `<section class="cell raw"><pre>${escapeHtml(source)}</pre></section>`;
    const count = cell.execution_count === null ? ' ' : String(cell.execution_count);
    const outputs = cell.outputs.map(renderOutput).join('');
    return `<section class="cell code-cell"><div class="code"><span class="count">[${count}]</span><pre><code>${escapeHtml(source)}</code></pre></div>${
      outputs ? `<div class="outputs">${outputs}</div>` : ''
    }</section>`;
  });
  const title = name.replace(/\.ipynb$/, '');
  const note = opts.exported ? 'static export' : `read-only report${opts.expiresAt ? ` · link expires ${new Date(opts.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${META_CSP}">
<title>${escapeHtml(title)} · Trailbook</title><style>${CSS}</style></head>
<body><main><header class="report"><h1>${escapeHtml(title)}</h1><span class="badge">${escapeHtml(note)}</span></header>
${cells.join('\n')}
</main></body></html>
`;
}
