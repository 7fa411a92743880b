import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernelHost } from '../../../kernel/host.ts';
import type { KernelEvent, KernelHandle } from '../../../kernel/protocol.ts';
import type { Output } from '../../../notebook/format.ts';
import { errorOf, resultOf, startKernel } from '../helpers.ts';

/** TypeScript diagnostics of each cell, with a real kernel and the real checker thread. */

const warningsOf = (outputs: Output[]) =>
  outputs.filter((o) => o.output_type === 'display_data' && (o.metadata as { trailbook?: { typeWarnings?: number } }).trailbook?.typeWarnings).map((o) => (o.output_type === 'display_data' ? String(o.data['text/plain']) : ''));

describe('type warnings (TRAILBOOK_TYPECHECK=warn, the default)', () => {
  let kernel: KernelHandle;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ kernel, close } = await startKernel());
  });
  afterAll(() => close());

  const run = (code: string, cellId?: string) => kernel.execute({ code, cellId, waitForTypecheck: true });

  it('shows a type error under the cell that still ran, with line and column', async () => {
    const r = await run('const s: string = 42;\ns', 'typed');
    expect(r.status).toBe('ok');
    expect(resultOf(r.outputs)?.['text/plain']).toBe('42');
    expect(warningsOf(r.outputs)).toEqual(["Type warning (line 1, col 7): Type 'number' is not assignable to type 'string'."]);
    // The warning block is the cell's last output.
    expect(r.outputs.at(-1)).toMatchObject({ output_type: 'display_data', metadata: { trailbook: { typeWarnings: 1 } } });
  });

  it('checks against the prelude and the cells run before', async () => {
    await run('const limit = 5;\nfunction twice(n: number) { return n * 2 }', 'defs');
    const fine = await run('twice(limit) + (await cloudtrail.tools()).length + process.pid * 0', 'uses');
    expect(warningsOf(fine.outputs)).toEqual([]);
    const wrong = await run('const label: number = twice(limit).toFixed(1);\ncloudtrail.lookupEvnts()', 'wrong');
    const warnings = warningsOf(wrong.outputs);
    expect(warnings).toHaveLength(1); // one block, a line per diagnostic
    const [first, second] = warnings[0]!.split('\n');
    expect(first).toBe("Type warning (line 1, col 7): Type 'string' is not assignable to type 'number'.");
    expect(second).toMatch(/^Type warning \(line 2, col 12\): Property 'lookupEvnts' does not exist on type .*Did you mean 'lookupEvents'\?$/);
  });

  it('takes a re-run cell\'s new version instead of its old one, and keeps notebook habits quiet', async () => {
    await run('let mode: string = "a";', 'mode');
    const rerun = await run('let mode: number = 1;\nconst again = await Promise.resolve(mode + 1);\nagain', 'mode');
    expect(warningsOf(rerun.outputs)).toEqual([]);
    expect(resultOf(rerun.outputs)?.['text/plain']).toBe('2');
  });

  it('adds nothing to empty cells and cells without type errors, and no warning to a syntax error', async () => {
    expect((await run('')).outputs).toEqual([]);
    expect((await run('// only a comment')).outputs).toEqual([]);
    const bad = await run('const = 1');
    expect(bad.outputs.map((o) => o.output_type)).toEqual(['error']);
  });

  it('never holds a cell back: a quick cell\'s warning follows it, a slow cell ends with it', async () => {
    const events: KernelEvent[] = [];
    const off = kernel.subscribe((e) => events.push(e));
    try {
      const quick = await kernel.execute({ code: 'const n: number = "x" as string;', cellId: 'quick' });
      expect(quick.status).toBe('ok');
      const late = () => events.filter((e) => e.type === 'output' && e.cellId === 'quick' && warningsOf([e.output]).length);
      for (let waited = 0; !late().length && waited < 30_000; waited += 20) await new Promise((res) => setTimeout(res, 20));
      expect(warningsOf(quick.outputs).length + late().length).toBe(1);
      // A cell that runs past LONG_CELL_MS (500 ms) is checked while it runs (tens of ms once TypeScript is loaded): it ends with its warning.
      const slow = await kernel.execute({ code: 'await new Promise((r) => setTimeout(r, 1500));\nconst m: string = 1;', cellId: 'slow' });
      expect(warningsOf(slow.outputs)).toEqual(["Type warning (line 2, col 7): Type 'number' is not assignable to type 'string'."]);
      expect(slow.outputs.at(-1)).toMatchObject({ output_type: 'display_data' });
    } finally {
      off();
    }
  });
});

describe('the first cells, while TypeScript loads', () => {
  it('are not held back: a warning not known when the cell ends follows as output of that cell, exactly once', async () => {
    const { kernel, close } = await startKernel();
    const events: KernelEvent[] = [];
    kernel.subscribe((e) => events.push(e));
    try {
      const r = await kernel.execute({ code: 'const early: string = 1;', cellId: 'early' });
      expect(r.status).toBe('ok');
      const inReply = warningsOf(r.outputs);
      const delivered = () => events.filter((e) => e.type === 'output' && e.cellId === 'early' && warningsOf([e.output]).length).length;
      for (let waited = 0; delivered() === 0 && waited < 60_000; waited += 100) await new Promise((res) => setTimeout(res, 100));
      await new Promise((res) => setTimeout(res, 300));
      expect(delivered()).toBe(1);
      expect(inReply.length).toBeLessThanOrEqual(1);
    } finally {
      await close();
    }
  });
});

describe('TRAILBOOK_TYPECHECK=block', () => {
  it('does not run a cell with type errors, and runs the others', async () => {
    const { kernel, close } = await startKernel({ typecheck: 'block' });
    try {
      const blocked = await kernel.execute({ code: 'globalThis.ranIt = true;\nconst s: string = 42;', cellId: 'b1' });
      expect(blocked.status).toBe('error');
      expect(errorOf(blocked.outputs)).toMatchObject({
        ename: 'TypeCheckError',
        evalue: '1 type error: the cell was not run (TRAILBOOK_TYPECHECK=block)',
        traceback: ['TypeCheckError: 1 type error: the cell was not run (TRAILBOOK_TYPECHECK=block)', "Type error (line 2, col 7): Type 'number' is not assignable to type 'string'."],
      });
      const after = await kernel.execute({ code: 'typeof (globalThis as { ranIt?: boolean }).ranIt', cellId: 'b2' });
      expect(after.status).toBe('ok');
      expect(resultOf(after.outputs)?.['text/plain']).toBe("'undefined'");
    } finally {
      await close();
    }
  });

  it('is read from TRAILBOOK_TYPECHECK when the host is not told, and a wrong value fails naming it', async () => {
    const saved = process.env.TRAILBOOK_TYPECHECK;
    try {
      process.env.TRAILBOOK_TYPECHECK = 'sometimes';
      expect(() => createKernelHost()).toThrow('TRAILBOOK_TYPECHECK must be block, warn or off, not "sometimes"');
      process.env.TRAILBOOK_TYPECHECK = 'off';
      const { kernel, close } = await startKernel();
      try {
        const r = await kernel.execute({ code: 'const s: string = 42;', waitForTypecheck: true });
        expect(r.outputs).toEqual([]);
      } finally {
        await close();
      }
    } finally {
      if (saved === undefined) delete process.env.TRAILBOOK_TYPECHECK;
      else process.env.TRAILBOOK_TYPECHECK = saved;
    }
  });
});
