import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelHandle } from '../../kernel/protocol.ts';
import { errorOf, resultOf, startKernel, textOf } from './helpers.ts';

let kernel: KernelHandle;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ kernel, close } = await startKernel());
});
afterAll(() => close());

const run = async (code: string) => {
  const reply = await kernel.execute({ code });
  return { ...reply, result: resultOf(reply.outputs)?.['text/plain'], error: errorOf(reply.outputs) };
};

describe('kernel execution', () => {
  it('keeps state across cells and shows the last expression', async () => {
    expect((await run('const a: number = 20;')).result).toBeUndefined();
    const r = await run('a + 22');
    expect(r.status).toBe('ok');
    expect(r.result).toBe('42');
  });

  it('allows re-running a cell that declares const', async () => {
    await run('const once = 1');
    const r = await run('const once = 2; once');
    expect(r.status).toBe('ok');
    expect(r.result).toBe('2');
  });

  it('persists functions, classes, enums, destructured names and imports', async () => {
    await run(`
      function triple(n: number) { return n * 3 }
      class Counter { constructor(public n = 0) {} inc() { return ++this.n } }
      enum Colour { Red, Green }
      const { p, q: [r] } = { p: 1, q: [2] };
      import { basename } from 'node:path';
      import * as nodeUtil from 'node:util';
      import { z } from 'zod';
    `);
    const r = await run('[triple(2), new Counter(4).inc(), Colour.Green, p + r, basename("/x/y.ts"), typeof nodeUtil.inspect, z.string().parse("ok")]');
    expect(r.error).toBeUndefined();
    expect(JSON.parse(JSON.stringify(resultOf(r.outputs)?.['application/json']))).toEqual([6, 5, 1, 3, 'y.ts', 'function', 'ok']);
  });

  it('runs top-level await', async () => {
    const r = await run('const v = await new Promise<number>((res) => setTimeout(() => res(7), 20)); v * 6');
    expect(r.result).toBe('42');
  });

  it('handles nested rewrites: loops with awaits, for await, destructuring from await, do-while', async () => {
    expect((await run('let n2 = 0; while (n2 < 3) n2 = await Promise.resolve(n2 + 1)\nn2')).result).toBe('3');
    const gen = await run('for await (const v of (async function* () { yield 1; yield 2 })()) console.log(v)');
    expect(textOf(gen.outputs)).toBe('1\n2\n');
    expect((await run('const { d1, d2 = 4 } = await Promise.resolve({ d1: 3 } as { d1: number; d2?: number }); let k2 = 0; do k2++; while (k2 < d1 + d2)\nk2')).result).toBe('7');
    expect((await run('class Box { static of(v: number) { return new Box(v) } constructor(readonly v: number) {} }\nBox.of(await Promise.resolve(9)).v')).result).toBe('9');
  });

  it('ignores type errors (TypeScript is transpiled, not checked)', async () => {
    const r = await run('const s: number = "not a number" as any as string; s.length');
    expect(r.result).toBe('12');
  });

  it('counts executions', async () => {
    const a = await run('1');
    const b = await run('2');
    expect(b.executionCount).toBe(a.executionCount! + 1);
    expect(resultOf(b.outputs)).toBeDefined();
    expect(b.outputs[0]).toMatchObject({ output_type: 'execute_result', execution_count: b.executionCount });
  });

  it('streams console output while the cell runs, before it ends', async () => {
    const arrivals: { text: string; at: number }[] = [];
    const started = Date.now();
    const reply = await kernel.execute({
      code: `for (let i = 0; i < 3; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 150)); } console.error('done')`,
      onOutput: (o) => {
        if (o.output_type === 'stream') arrivals.push({ text: String(o.text), at: Date.now() - started });
      },
    });
    const ended = Date.now() - started;
    expect(textOf(reply.outputs)).toBe('tick 0\ntick 1\ntick 2\n');
    expect(textOf(reply.outputs, 'stderr')).toBe('done\n');
    const first = arrivals.find((a) => a.text.includes('tick 0'))!;
    const second = arrivals.find((a) => a.text.includes('tick 1'))!;
    // tick 0 arrives long before the cell ends (it sleeps 450 ms in total), and ticks arrive apart.
    expect(ended - first.at).toBeGreaterThan(300);
    expect(second.at - first.at).toBeGreaterThan(100);
  });

  it('maps a runtime error to the line and column in the cell TypeScript', async () => {
    const r = await run(['const n: number = 1;', 'type T = { a: string };', '', 'function fail(): never {', '  throw new Error("boom");', '}', 'fail();'].join('\n'));
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ ename: 'Error', evalue: 'boom' });
    const count = r.executionCount;
    expect(r.error!.traceback[0]).toBe('Error: boom');
    expect(r.error!.traceback[1]).toBe(`    at fail (<cell ${count}>:5:9)`);
    expect(r.error!.traceback[2]).toBe(`    at <cell ${count}>:7:1`);
    expect(r.error!.traceback.join('\n')).not.toMatch(/kernel|node:internal|async_hooks/);
  });

  it('maps errors thrown from functions defined in earlier cells to that cell', async () => {
    const def = await run('const pad = 1;\nfunction later(x: string) {\n  return x.toUpperCase();\n}');
    const r = await run('later(undefined as any)');
    expect(r.error!.ename).toBe('TypeError');
    expect(r.error!.traceback[1]).toContain(`<cell ${def.executionCount}>:3:12`);
  });

  it('reports a syntax error with its position', async () => {
    const r = await run('const ok = 1;\nconst = 2;');
    expect(r.status).toBe('error');
    expect(r.error!.ename).toBe('SyntaxError');
    expect(r.error!.traceback[1]).toBe(`    at <cell ${r.executionCount}>:2:7`);
  });

  it('runs empty, whitespace-only and comment-only cells as no-ops', async () => {
    for (const code of ['', '   \n\t\n', '// nothing yet', '/* a note\n   over two lines */', '// a\n\n// b\n']) {
      const r = await run(code);
      expect(r.status, JSON.stringify(code)).toBe('ok');
      expect(r.outputs, JSON.stringify(code)).toEqual([]);
    }
    expect((await run('const afterEmpty = 41; afterEmpty + 1')).result).toBe('42');
  });

  it('prints a multi-line error message once: the traceback starts with it, the frames do not repeat it', async () => {
    const r = await run('class SetupError extends Error { name = "SetupError" }\nthrow new SetupError("Bedrock is not set up.\\nEnable model access,\\nthen run the cell again.")');
    expect(r.error).toMatchObject({ ename: 'SetupError', evalue: 'Bedrock is not set up.\nEnable model access,\nthen run the cell again.' });
    expect(r.error!.traceback[0]).toBe(`SetupError: ${r.error!.evalue}`);
    const all = r.error!.traceback.join('\n');
    expect(all.split('then run the cell again.').length - 1).toBe(1);
    expect(r.error!.traceback.slice(1).every((line) => line.startsWith('    at '))).toBe(true);
  });

  it('reports non-Error throws and keeps running after errors', async () => {
    const r = await run('throw { code: 7 }');
    expect(r.error!.ename).toBe('Uncaught');
    expect(r.error!.evalue).toContain('code: 7');
    expect((await run('40 + 2')).result).toBe('42');
  });

  it('reports output from timers under the cell that started them', async () => {
    const events: { cellId?: string; text: string }[] = [];
    const off = kernel.subscribe((e) => {
      if (e.type === 'output' && e.output.output_type === 'stream') events.push({ cellId: e.cellId, text: String(e.output.text) });
    });
    await kernel.execute({ code: 'setTimeout(() => console.log("late"), 50); 0', cellId: 'timer-cell' });
    await kernel.execute({ code: 'await new Promise((r) => setTimeout(r, 150))', cellId: 'other-cell' });
    for (let waited = 0; !events.some((e) => e.text === 'late\n') && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    off();
    expect(events).toContainEqual({ cellId: 'timer-cell', text: 'late\n' });
    expect(events.filter((e) => e.cellId === 'other-cell')).toEqual([]);
  });

  it('supports require() and TypeScript import-equals for CommonJS', async () => {
    const r = await run('import nodePath = require("node:path"); const { marked: m } = require("marked"); [nodePath.sep, typeof m.parse]');
    expect(resultOf(r.outputs)?.['application/json']).toEqual(['/', 'function']);
  });

  it('loads packages from the project and reports a missing package clearly', async () => {
    const r = await run('import { marked } from "marked"; marked.parse("# T")');
    expect(r.result).toContain('<h1>T</h1>');
    const missing = await run('import nope from "no-such-package-xyz"');
    expect(missing.status).toBe('error');
    expect(missing.error!.evalue).toContain('no-such-package-xyz');
  });
});

describe('local TypeScript modules next to the notebook', () => {
  it('imports a .ts file relative to the notebook directory, and reloads it when it changes', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'trailbook-nbdir-'));
    await writeFile(join(dir, 'util.ts'), 'import { z } from "zod";\nexport const shout = (s: string): string => z.string().parse(s).toUpperCase() + "!";\n');
    const local = await startKernel({}, { cwd: dir });
    try {
      const r = await local.kernel.execute({ code: 'import { shout } from "./util.ts"; shout("hi")' });
      expect(errorOf(r.outputs)).toBeUndefined();
      expect(resultOf(r.outputs)?.['text/plain']).toBe("'HI!'");
      await writeFile(join(dir, 'util.ts'), 'export const shout = (s: string): string => s + "?";\n');
      const again = await local.kernel.execute({ code: 'import { shout } from "./util.ts"; shout("hi")' });
      expect(resultOf(again.outputs)?.['text/plain']).toBe("'hi?'");
    } finally {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
