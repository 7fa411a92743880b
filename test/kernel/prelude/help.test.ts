import { describe, expect, it } from 'vitest';
import { helpBundle, parameters } from '../../../kernel/prelude/help.ts';

/** help(x) for values without declarations: what they are at run time. */

describe('parameters', () => {
  it('reads parameter lists from source: functions, arrows, methods, classes, defaults with parentheses', () => {
    expect(parameters(function add(a: number, b = 1) { return a + b; })).toBe('(a, b = 1)');
    expect(parameters(async (x: number) => x)).toBe('(x)');
    expect(parameters((q: string) => q)).toBe('(q)');
    expect(parameters({ m(opts = { size: f(1, 2) }, ...rest: unknown[]) { return [opts, rest]; } }.m)).toBe('(opts = { size: f(1, 2) }, ...rest)');
    // (The test's own source is transpiled first: its quotes come out double.)
    expect(parameters(class Box { constructor(readonly w: number, h = ')') { void h; } })).toBe('(w, h = ")")');
    expect(parameters(class Empty {})).toBe('()');
  });

  it('falls back to the arity for native functions', () => {
    expect(parameters(Math.max)).toBe('(arg0, arg1)');
    expect(parameters(JSON.stringify)).toBe('(arg0, arg1, arg2)');
  });
});

const f = (..._: unknown[]) => 0;

describe('helpBundle', () => {
  it('lists an object\'s methods with their parameters, then its properties, in text and HTML', () => {
    class Base { inherited(z: number) { return z; } }
    class Thing extends Base { label = 'a <b>'; count = 3; run(limit: number, opts = {}) { return [limit, opts]; } }
    const bundle = helpBundle(new Thing());
    expect(bundle['text/plain']).toBe(['Thing instance: 4 members', '  run(limit, opts = {})', '  inherited(z)', '  label: string "a <b>"', '  count: number 3'].join('\n'));
    const html = String(bundle['text/html']);
    expect(html).toContain('<code>run(limit, opts = {})</code>');
    expect(html).toContain('&#34;a &#60;b&#62;&#34;');
    expect(html).not.toContain('<b>');
  });

  it('describes a class by its constructor, instance and static members, and a primitive by its type', () => {
    class Counter { static start(n: number) { return new Counter(n); } constructor(public n = 0) {} inc(by = 1) { return (this.n += by); } }
    expect(helpBundle(Counter)['text/plain']).toBe(['class Counter(n = 0): 1 instance member', '  inc(by = 1)', '  static start(n)'].join('\n'));
    expect(helpBundle(42)['text/plain']).toBe('number 42');
    expect(helpBundle(null)['text/plain']).toBe('null');
  });
});
