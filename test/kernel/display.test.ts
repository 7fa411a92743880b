import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelHandle } from '../../kernel/protocol.ts';
import type { Output } from '../../notebook/format.ts';
import { errorOf, resultOf, startKernel, textOf } from './helpers.ts';

let kernel: KernelHandle;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ kernel, close } = await startKernel());
});
afterAll(() => close());

const result = async (code: string) => {
  const reply = await kernel.execute({ code });
  expect(errorOf(reply.outputs)).toBeUndefined();
  return resultOf(reply.outputs)!;
};
const displays = (outputs: Output[]) => outputs.filter((o) => o.output_type === 'display_data').map((o) => (o.output_type === 'display_data' ? o.data : {}));

describe('rich display', () => {
  it('gives text/plain for primitives and text/plain + application/json for objects', async () => {
    expect(await result('6 * 7')).toEqual({ 'text/plain': '42' });
    const obj = await result('({ name: "alice", tags: ["a", "b"], nested: { ok: true } })');
    expect(obj['application/json']).toEqual({ name: 'alice', tags: ['a', 'b'], nested: { ok: true } });
    expect(obj['text/plain']).toContain("name: 'alice'");
  });

  it('shows nothing for undefined (a cell ending in a statement or console.log)', async () => {
    const reply = await kernel.execute({ code: 'console.log("x")' });
    expect(resultOf(reply.outputs)).toBeUndefined();
  });

  it('renders html`` and md`` templates, escaping interpolated values in html', async () => {
    expect(await result('html`<b>${"<i>&"}</b>`')).toMatchObject({ 'text/html': '<b>&#60;i&#62;&#38;</b>' });
    expect(await result('html`<p>${html`<i>kept</i>`}</p>`')).toMatchObject({ 'text/html': '<p><i>kept</i></p>' });
    expect(await result('md`# Title ${1 + 1}`')).toMatchObject({ 'text/markdown': '# Title 2', 'text/plain': '# Title 2' });
  });

  it('display() emits display_data in order with other output, and raw bundles as given', async () => {
    const reply = await kernel.execute({ code: 'console.log("before"); display(md`**mid**`); display({ "application/json": { k: 1 }, "text/plain": "k" }, { raw: true }); console.log("after")' });
    expect(reply.outputs.map((o) => o.output_type)).toEqual(['stream', 'display_data', 'display_data', 'stream']);
    expect(displays(reply.outputs)).toEqual([{ 'text/markdown': '**mid**', 'text/plain': '**mid**' }, { 'application/json': { k: 1 }, 'text/plain': 'k' }]);
  });

  it("uses an object's own [Symbol.for('Jupyter.display')]() bundle, sync or async", async () => {
    expect(await result('({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<em>mine</em>" } } })')).toMatchObject({ 'text/html': '<em>mine</em>' });
    const asyncBundle = await result('class Card { async [Symbol.for("Jupyter.display")]() { return { "image/svg+xml": "<svg xmlns=\\"http://www.w3.org/2000/svg\\"></svg>", "text/plain": "card" } } }; new Card()');
    expect(asyncBundle).toEqual({ 'image/svg+xml': '<svg xmlns="http://www.w3.org/2000/svg"></svg>', 'text/plain': 'card' });
  });

  it('renders an array of objects as a table with a row count', async () => {
    const data = await result('Array.from({ length: 120 }, (_, i) => ({ id: i, name: "row" + i, when: new Date(Date.UTC(2024, 0, 1)) }))');
    const htmlText = data['text/html'] as string;
    expect(htmlText).toMatch(/^<table/);
    expect(htmlText).toContain('<th>id</th><th>name</th><th>when</th>');
    expect(htmlText.match(/<tr>/g)).toHaveLength(51); // header + first 50 rows
    expect(htmlText).toContain('120 rows × 3 columns (first 50 shown)');
    expect(htmlText).toContain('<td>2024-01-01T00:00:00.000Z</td>');
    expect(data['text/plain']).toContain('120 rows × 3 columns');
    expect((data['application/json'] as unknown[]).length).toBe(120);
  });

  it('renders an Observable Plot figure to SVG', async () => {
    const data = await result('Plot.plot({ marks: [Plot.barY([{ k: "a", v: 3 }, { k: "b", v: 5 }], { x: "k", y: "v" })] })');
    const svg = data['image/svg+xml'] as string;
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<rect/g)!.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(data).sort()).toEqual(['image/svg+xml', 'text/plain']);
  });

  it('renders a Plot figure with a legend (a <figure> wrapper) as HTML, via mark.plot()', async () => {
    const data = await result('Plot.dot([{ x: 1, y: 2, c: "a" }, { x: 2, y: 1, c: "b" }], { x: "x", y: "y", fill: "c" }).plot({ color: { legend: true }, title: "Dots" })');
    const figure = data['text/html'] as string;
    expect(figure).toMatch(/^<figure/);
    expect(figure).toContain('Dots');
    expect(figure).toMatch(/<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(figure.match(/<circle/g)!.length).toBe(2);
  });

  it('cuts stream output over 1 MB per cell with a notice', async () => {
    const reply = await kernel.execute({ code: 'for (let i = 0; i < 30000; i++) console.log("x".repeat(99))' });
    const all = textOf(reply.outputs) + textOf(reply.outputs, 'stderr');
    expect(all.length).toBeLessThan(1024 * 1024 + 500);
    expect(all.length).toBeGreaterThan(1000 * 1000);
    expect(textOf(reply.outputs, 'stderr')).toMatch(/output truncated: this cell wrote more than 1 MB/);
  });

  it('cuts a MIME payload over 5 MB with a notice', async () => {
    // A long string result is already shortened by inspect; a bundle can still carry a huge text/plain.
    expect(((await result('"y".repeat(6 * 1024 * 1024)'))['text/plain'] as string).length).toBeLessThan(20_000);
    const text = (await result('({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "y".repeat(6 * 1024 * 1024) }) })'))['text/plain'] as string;
    expect(text.length).toBeLessThan(5 * 1024 * 1024 + 200);
    expect(text.length).toBeGreaterThan(5 * 1024 * 1024 - 10);
    expect(/output truncated: 6\.0 MB exceeds the 5 MB limit/.test(text.slice(-200))).toBe(true);
    const big = await result('html`<p>${"z".repeat(6 * 1024 * 1024)}</p>`');
    expect(big['text/html']).toBeUndefined();
    expect(big['text/plain']).toMatch(/text\/html \(6\.0 MB\) exceeded the 5 MB limit/);
  });
});
