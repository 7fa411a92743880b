import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPreludeHelp } from '../../kernel/prelude/help-plugin.ts';
import type { PreludeHelp } from '../../kernel/prelude/help-data.ts';
import type { KernelHandle } from '../../kernel/protocol.ts';
import type { Output } from '../../notebook/format.ts';
import { errorOf, INVICTUS, startKernel } from './helpers.ts';

/** Self-describing globals in a real kernel: the cards come from the declarations, built into the kernel bundle. */

let kernel: KernelHandle;
let close: () => Promise<void>;
let declared: PreludeHelp;
beforeAll(async () => {
  declared = await buildPreludeHelp();
  ({ kernel, close } = await startKernel({ typecheck: 'off' }, { env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: INVICTUS } }));
}, 120_000);
afterAll(() => close());

/** The one rich output of a cell: its result, or what help() displayed. */
async function shown(code: string): Promise<{ text: string; html: string; outputs: Output[] }> {
  const r = await kernel.execute({ code });
  expect(errorOf(r.outputs), code).toBeUndefined();
  const out = r.outputs.find((o) => o.output_type === 'execute_result' || o.output_type === 'display_data');
  const data = out && 'data' in out ? out.data : {};
  return { text: String(data['text/plain'] ?? ''), html: String(data['text/html'] ?? ''), outputs: r.outputs };
}

describe('displaying a kernel global', () => {
  it.each(['cloudtrail', 'predict', 'agent', 'mcp', 'Plot'])('%s shows a card of its declared methods with signatures and one-line docs', async (name) => {
    const card = await shown(name);
    const help = declared.globals[name]!;
    expect(card.text.split('\n')[0]).toBe(`${name}: ${help.doc}`);
    for (const m of help.members.filter((m) => m.kind === 'method')) {
      expect(card.text, `${name}.${m.name}`).toContain(`  ${m.name}${m.params}`);
      if (m.doc) expect(card.text, `${name}.${m.name}`).toContain(`\n      ${m.doc}\n`);
    }
    expect(card.html).toMatch(/^<div class="trailbook-help">/);
    expect(card.html).toContain(`<code>${name}</code>`);
  });

  it('names the members beyond the declared ones (Plot\'s marks), and never shows `{}`', async () => {
    const card = await shown('Plot');
    expect(card.text).toMatch(/\b(dot|barY|lineY)\b.*\b(dot|barY|lineY)\b/);
    const ct = await shown('cloudtrail');
    expect(ct.text).not.toBe('{}');
    expect(ct.text).toContain("lookupEvents(args?: CloudTrailLookupArgs) → Promise<{ events: CloudTrailEvent[];");
  });
});

describe('help(x)', () => {
  it('shows one method of a global in full', async () => {
    const card = await shown('help(cloudtrail.lookupEvents)');
    expect(card.outputs.map((o) => o.output_type)).toEqual(['display_data']);
    expect(card.text).toBe(
      "cloudtrail.lookupEvents: One page of events (newest first unless order: 'asc'), with next_cursor when there are more.\n" +
        "  (args?: CloudTrailLookupArgs) → Promise<{ events: CloudTrailEvent[]; count: number; order: 'asc' | 'desc'; next_cursor?: string }>",
    );
  });

  it('lists the globals with no argument', async () => {
    const card = await shown('help()');
    for (const name of ['cloudtrail', 'predict', 'agent', 'mcp', 'Plot', 'sql', 'display', 'help']) expect(card.text).toContain(`\n  ${name}`);
  });

  it('describes values of the notebook\'s own: objects, functions and classes', async () => {
    const obj = await shown('const tools = { limit: 5, async fetchPage(cursor: string, size = 50) { return [cursor, size] } };\nhelp(tools)');
    expect(obj.text).toBe(['object: 2 members', '  fetchPage(cursor, size = 50)', '  limit: number 5'].join('\n'));
    const cls = await shown('class Finder { constructor(readonly region: string) {} find(name: string) { return name } }\nhelp(Finder)');
    expect(cls.text).toBe(['class Finder(region): 1 instance member', '  find(name)'].join('\n'));
    const fn = await shown('help((a: number, b: number) => a + b)');
    expect(fn.text).toBe('anonymous function(a, b): function of 2 declared parameters');
  });
});
