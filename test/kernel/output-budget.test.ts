import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MB, OutputBudget, outputBytes, truncationNote } from '../../kernel/output-budget.ts';
import type { KernelEvent, KernelHandle } from '../../kernel/protocol.ts';
import type { Output } from '../../notebook/format.ts';
import { errorOf, startKernel } from './helpers.ts';

const display = (data: Record<string, unknown>): Output => ({ output_type: 'display_data', data, metadata: {} });
const isNote = (o: Output) => o.output_type === 'stream' && String(o.text).startsWith('[Output truncated');
const notes = (outputs: Output[]) => outputs.filter(isNote);
const totalBytes = (outputs: Output[]) => outputs.reduce((n, o) => n + outputBytes(o), 0);

describe('output budget (pure)', () => {
  it('measures stream text, MIME payloads and error fields in UTF-8 bytes', () => {
    expect(outputBytes({ output_type: 'stream', name: 'stdout', text: 'héllo' })).toBe(6);
    expect(outputBytes({ output_type: 'stream', name: 'stdout', text: ['a\n', 'bc'] })).toBe(4);
    expect(outputBytes(display({ 'text/html': '<b>x</b>', 'application/json': { k: [1, 2] } }))).toBe(8 + '{"k":[1,2]}'.length);
    expect(outputBytes({ output_type: 'error', ename: 'E', evalue: 'bad', traceback: ['E: bad'] })).toBe(1 + 3 + 6);
  });

  it('admits outputs while they fit, then drops every later one but a single error', () => {
    const budget = new OutputBudget(10);
    const text = (t: string): Output => ({ output_type: 'stream', name: 'stdout', text: t });
    expect(budget.admit(text('123456'))).toBe(true);
    expect(budget.admit(text('12345'))).toBe(false); // would make 11
    expect(budget.admit(text('1'))).toBe(false); // fits, but output after a gap would mislead
    const error: Output = { output_type: 'error', ename: 'Error', evalue: 'why', traceback: [] };
    expect(budget.admit(error)).toBe(true);
    expect(budget.admit(error)).toBe(false);
    expect(budget).toMatchObject({ used: 6 + 8, dropped: 3 });
  });

  it('does not measure what it refuses anyway', () => {
    const budget = new OutputBudget(1);
    expect(budget.take(2)).toBe(false);
    expect(budget.take(() => expect.unreachable('measured a refused output'))).toBe(false);
    expect(budget.dropped).toBe(2);
  });

  it('words the note with the count, or without it for outputs after the cell finished', () => {
    expect(truncationNote(new OutputBudget(16 * MB).reason, 12)).toEqual({
      output_type: 'stream',
      name: 'stderr',
      text: '[Output truncated: this cell produced more than 16 MB of output; 12 further outputs were dropped.]\n',
    });
    expect(truncationNote('x', 1).text).toContain('1 further output was dropped');
    expect(truncationNote('x').text).toBe('[Output truncated: x; further outputs are dropped.]\n');
  });
});

describe('output budget in a real kernel', () => {
  let kernel: KernelHandle;
  let close: () => Promise<void>;
  const events: KernelEvent[] = [];
  beforeAll(async () => {
    ({ kernel, close } = await startKernel({ cellOutputBytes: 1 * MB }));
    kernel.subscribe((e) => events.push(e));
  });
  afterAll(() => close());

  it('drops what a cell displays beyond its budget and ends the cell with one note counting it', async () => {
    // Each html output is 2 × 100,007 bytes (text/html and text/plain): 5 fit in 1 MB.
    const reply = await kernel.execute({ code: 'for (let i = 0; i < 200; i++) display(html("<p>" + "q".repeat(100_000) + "</p>"))' });
    expect(reply.status).toBe('ok');
    expect(reply.outputs.filter((o) => o.output_type === 'display_data')).toHaveLength(5);
    expect(reply.outputs.at(-1)).toEqual(truncationNote('this cell produced more than 1 MB of output', 195));
    expect(notes(reply.outputs)).toHaveLength(1);
    expect(totalBytes(reply.outputs)).toBeLessThan(1 * MB + 200);
  });

  it('counts stream text and displays together, and still shows the error a failing cell ends with', async () => {
    const reply = await kernel.execute({ code: 'for (let i = 0; i < 20; i++) console.log("x".repeat(40_000)); for (let i = 0; i < 50; i++) display(html("y".repeat(100_000))); throw new Error("why it failed")' });
    expect(reply.status).toBe('error');
    expect(errorOf(reply.outputs)?.evalue).toBe('why it failed');
    expect(notes(reply.outputs)).toHaveLength(1);
    // 20 lines of 40,001 bytes (800 KB) leave room for one 200 KB display; 49 are dropped.
    expect(reply.outputs.filter((o) => o.output_type === 'display_data')).toHaveLength(1);
    expect(notes(reply.outputs)[0]).toMatchObject({ text: expect.stringContaining('49 further outputs were dropped') });
  });

  it('takes a tighter budget from the request, with its reason', async () => {
    const reply = await kernel.execute({ code: 'for (let i = 0; i < 10; i++) display(md`${"m".repeat(1000)}`)', outputBudget: { bytes: 4500, reason: 'the notebook is full' } });
    expect(reply.outputs.filter((o) => o.output_type === 'display_data')).toHaveLength(2);
    expect(reply.outputs.at(-1)).toEqual(truncationNote('the notebook is full', 8));
  });

  it('holds the budget in the host even when cell code bypasses the kernel and writes to IPC itself', async () => {
    const fresh = await startKernel({ cellOutputBytes: 1 * MB });
    try {
      const seen: Output[] = [];
      fresh.kernel.subscribe((e) => e.type === 'output' && seen.push(e.output));
      // The first execution of a kernel is exec 1; also send some with no exec at all.
      const forged = (exec: string) => `process.send({ type: "output", ${exec} output: { output_type: "display_data", data: { "text/html": "z".repeat(100_000) }, metadata: {} } })`;
      const reply = await fresh.kernel.execute({ code: `for (let i = 0; i < 100; i++) { ${forged('exec: 1,')}; ${forged('')} }` });
      expect(reply.outputs.filter((o) => o.output_type === 'display_data')).toHaveLength(10);
      expect(reply.outputs.at(-1)).toEqual(truncationNote('this cell produced more than 1 MB of output', 90));
      // Output outside any cell has its own budget, and one note when it runs out.
      const stray = seen.filter((o) => !reply.outputs.includes(o));
      expect(stray.filter((o) => o.output_type === 'display_data')).toHaveLength(10);
      expect(stray.at(-1)).toEqual(truncationNote('this cell produced more than 1 MB of output'));
      expect(stray).toHaveLength(11);
    } finally {
      await fresh.close();
    }
  });

  it('budgets output that arrives after the cell finished (timers), noting the drop once', async () => {
    events.length = 0;
    const reply = await kernel.execute({ cellId: 'late', code: 'globalThis.lateDone = new Promise((r) => setTimeout(() => { for (let i = 0; i < 100; i++) display(html("w".repeat(100_000))); r(1) }, 20)); 1' });
    expect(reply.status).toBe('ok');
    await kernel.execute({ code: 'await lateDone' });
    const late = events.flatMap((e) => (e.type === 'output' && e.cellId === 'late' && !reply.outputs.includes(e.output) ? [e.output] : []));
    expect(late.filter((o) => o.output_type === 'display_data')).toHaveLength(5);
    expect(notes(late)).toEqual([truncationNote('this cell produced more than 1 MB of output')]);
  });
});
