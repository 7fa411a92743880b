import { describe, expect, it } from 'vitest';
import { renderMarkdown, sanitiseHtml } from '../../workbench/sanitise.ts';
import { renderOutput, renderReport } from '../../workbench/report.ts';

describe('server-side sanitiser', () => {
  it('strips scripts, event handlers and script URLs', () => {
    const dirty =
      '<p onclick="steal()">hi</p><script>alert(1)</script><img src="x" onerror="alert(2)">' +
      '<a href="javascript:alert(3)">link</a><a href=" JaVaScRiPt:alert(4)">x</a><iframe src="https://evil"></iframe>' +
      '<form action="https://evil"><input name="q"></form><object data="x"></object><style>body{display:none}</style>';
    const clean = sanitiseHtml(dirty);
    expect(clean).not.toMatch(/script|onclick|onerror|iframe|<form|<object|<style|javascript/i);
    expect(clean).toContain('<p>hi</p>');
    expect(clean).toContain('>link</a>');
  });

  it('keeps SVG figures (Plot output) but removes their active parts', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50" width="100" onload="x()"><style>.p{fill:red}</style>' +
      '<g transform="translate(1,2)"><circle cx="3" cy="4" r="2" fill="currentColor"></circle><text x="1" y="2">label</text></g>' +
      '<script>alert(1)</script><a href="javascript:x"><rect width="1" height="1"/></a><use href="https://evil/x.svg#a"/>' +
      '<rect fill="url(https://evil/)" width="2"/><foreignObject><iframe src="x"></iframe></foreignObject><animate attributeName="href" to="javascript:x"/></svg>';
    const clean = sanitiseHtml(svg);
    expect(clean).toContain('viewBox="0 0 100 50"');
    expect(clean).toContain('<circle cx="3" cy="4" r="2" fill="currentColor"></circle>');
    expect(clean).toContain('<text x="1" y="2">label</text>');
    expect(clean).toContain('<style>.p{fill:red}</style>');
    expect(clean).not.toMatch(/onload|script|javascript|<use|evil|foreignObject|iframe|animate/i);
  });

  it('refuses CSS that can load or break out', () => {
    expect(sanitiseHtml('<svg><style>@import url(https://evil/x.css);</style></svg>')).not.toContain('evil');
    expect(sanitiseHtml('<svg><style>.a{}</style><style>x</style></svg>')).toContain('.a{}');
    expect(sanitiseHtml('<p style="background:url(https://evil/)">x</p>')).toBe('<p>x</p>');
    expect(sanitiseHtml('<p style="color:red">x</p>')).toBe('<p style="color:red">x</p>');
  });

  it('escapes text and attribute values when re-serialising', () => {
    expect(sanitiseHtml('<p title="a&quot;b">1 &lt; 2 &amp; <b>3</b></p>')).toBe('<p title="a&quot;b">1 &lt; 2 &amp; <b>3</b></p>');
    // Comments and raw-text tricks do not survive.
    expect(sanitiseHtml('<!--<img src=x onerror=alert(1)>--><p>ok</p>')).toBe('<p>ok</p>');
    expect(sanitiseHtml('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>')).not.toMatch(/onerror/);
  });

  it('renders markdown with tables and sanitises embedded HTML', () => {
    const html = renderMarkdown('# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.com)');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<td>1</td>');
    expect(html).not.toMatch(/<script|javascript:/);
    expect(html).toContain('href="https://example.com"');
  });

  it('renders outputs: text escaped, errors, HTML sanitised', () => {
    expect(renderOutput({ output_type: 'stream', name: 'stdout', text: '<b>not html</b>' })).toContain('&lt;b&gt;not html&lt;/b&gt;');
    expect(renderOutput({ output_type: 'error', ename: 'TypeError', evalue: 'x is <undefined>', traceback: ['\u001b[31mat cell\u001b[0m'] })).toBe(
      '<pre class="out error"><strong>TypeError: x is &lt;undefined&gt;</strong>\nat cell</pre>',
    );
    // A traceback that starts with "Name: message" does not repeat it.
    expect(renderOutput({ output_type: 'error', ename: 'Error', evalue: 'boom', traceback: ['Error: boom', '    at <cell 4>:1:7'] })).toBe(
      '<pre class="out error"><strong>Error: boom</strong>\n    at &lt;cell 4&gt;:1:7</pre>',
    );
    const rich = renderOutput({ output_type: 'display_data', data: { 'text/html': '<table><tr><td onmouseover="x()">1</td></tr></table>', 'text/plain': 't' }, metadata: {} });
    expect(rich).toContain('<td>1</td>');
    expect(rich).not.toContain('onmouseover');
  });

  it('builds a report page with no script and a strict CSP', () => {
    const page = renderReport('a.ipynb', {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { id: 'm', cell_type: 'markdown', source: '## Hello <img src=x onerror=alert(1)>', metadata: {} },
        { id: 'c', cell_type: 'code', source: 'const a = "<script>"', metadata: {}, execution_count: 3, outputs: [{ output_type: 'execute_result', execution_count: 3, data: { 'image/svg+xml': '<svg><script>1</script><circle r="1"/></svg>' }, metadata: {} }] },
      ],
    });
    expect(page).toContain("default-src 'none'");
    expect(page).toContain('<h2>Hello <img></h2>');
    expect(page).toContain('const a = &quot;&lt;script&gt;&quot;');
    expect(page).toContain('<circle r="1"></circle>');
    expect(page).toContain('[3]');
    expect(page).not.toMatch(/<script|onerror/);
  });
});
