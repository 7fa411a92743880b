import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelEvent, KernelHandle } from '../../kernel/protocol.ts';
import { errorOf, resultOf, startKernel, textOf } from './helpers.ts';

let kernel: KernelHandle;
let close: () => Promise<void>;
const statuses: string[] = [];
beforeAll(async () => {
  ({ kernel, close } = await startKernel({ interruptGraceMs: 1000 }));
  kernel.subscribe((e: KernelEvent) => {
    if (e.type === 'status') statuses.push(e.detail ? `${e.status}: ${e.detail}` : e.status);
  });
});
afterAll(() => close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a cell prints once it is in the state a test interrupts. Printed first, it would leave the
 * rest of the synchronous part to run after it: on a loaded machine the interrupt can land there,
 * before the loop (or the variable it counts in) exists.
 */
const STARTED = 'console.log("started")';

/** Runs a cell and resolves once it has printed STARTED (and run 100 ms more). */
function startCell(code: string) {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const reply = kernel.execute({ code, onOutput: (o) => o.output_type === 'stream' && started() });
  return { reply, started: running.then(() => sleep(100)) };
}
const value = async (code: string) => resultOf((await kernel.execute({ code })).outputs)?.['text/plain'];

describe('kernel interrupt, restart and death', () => {
  it('reports busy then idle around a cell', async () => {
    statuses.length = 0;
    await kernel.execute({ code: '1' });
    expect(statuses).toEqual(['busy', 'idle']);
    expect(kernel.status).toBe('idle');
  });

  it('interrupts a synchronous infinite loop and keeps state', async () => {
    await kernel.execute({ code: 'const kept = "still here"; let spins = 0;' });
    const { reply: running, started } = startCell(`while (true) { if (spins++ === 0) ${STARTED} }`);
    await started;
    const t0 = Date.now();
    expect(await kernel.interrupt()).toEqual({ stateLost: false });
    expect(Date.now() - t0).toBeLessThan(900);
    const reply = await running;
    expect(reply.status).toBe('aborted');
    expect(errorOf(reply.outputs)?.ename).toBe('KeyboardInterrupt');
    expect(await value('kept')).toBe("'still here'");
    expect(Number(await value('spins'))).toBeGreaterThan(0);
  });

  it('interrupts an async loop and keeps state', async () => {
    const { reply: running, started } = startCell(`let ticks = 0; while (true) { ticks++; if (ticks === 2) ${STARTED}; await new Promise((r) => setTimeout(r, 1)); }`);
    await started;
    expect(await kernel.interrupt()).toEqual({ stateLost: false });
    const reply = await running;
    expect(reply.status).toBe('aborted');
    const ticks = Number(await value('ticks'));
    expect(ticks).toBeGreaterThan(0);
    // The loop really stopped: no more ticks later.
    await sleep(100);
    expect(Number(await value('ticks'))).toBe(ticks);
    expect(await value('kept')).toBe("'still here'");
  });

  it('sends no SIGINT to a cell past its synchronous part, where one would stop the next cell or end the kernel', async () => {
    await kernel.execute({ code: 'let sigints = 0; const countSigint = () => sigints++; process.on("SIGINT", countSigint)' });
    try {
      const { reply: running, started } = startCell(`let waits = 0; while (true) { if (++waits === 2) ${STARTED}; await new Promise((r) => setTimeout(r, 1)); }`);
      await started;
      expect(await kernel.interrupt()).toEqual({ stateLost: false });
      expect((await running).status).toBe('aborted');
      await sleep(200); // a signal reaches listeners on a later turn of the kernel's event loop
      expect(await value('sigints')).toBe('0');
      expect(Number(await value('waits'))).toBeGreaterThan(1);
    } finally {
      await kernel.execute({ code: 'process.off("SIGINT", countSigint)' });
    }
  });

  it('interrupts a cell waiting on a promise that never settles', async () => {
    const { reply: running, started } = startCell(`await null; ${STARTED}; await new Promise(() => {})`);
    await started;
    expect(await kernel.interrupt()).toEqual({ stateLost: false });
    expect((await running).status).toBe('aborted');
    expect(await value('kept')).toBe("'still here'");
  });

  it('interrupts a synchronous loop that runs after an await, keeping state', async () => {
    const { reply: running, started } = startCell(`await null; let laps = 0; while (true) { if (laps++ === 0) ${STARTED} }`);
    await started;
    expect(await kernel.interrupt()).toEqual({ stateLost: false });
    expect((await running).status).toBe('aborted');
    expect(Number(await value('laps'))).toBeGreaterThan(0);
    expect(await value('kept')).toBe("'still here'");
  });

  it('interrupts a loop in a function defined in an earlier cell', async () => {
    await kernel.execute({ code: 'function spin() { let k = 0; for (;;) k++ }' });
    const { reply: running, started } = startCell(`await null; ${STARTED}; spin()`);
    await started;
    expect(await kernel.interrupt()).toEqual({ stateLost: false });
    expect((await running).status).toBe('aborted');
    expect(await value('kept')).toBe("'still here'");
  });

  it('kills and restarts a kernel that ignores the interrupt, saying state was lost', async () => {
    // Blocked in native code after an await: neither breakOnSigint nor a loop check can reach it.
    const { reply: running, started } = startCell(`await null; ${STARTED}; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)`);
    await started;
    expect(await kernel.interrupt()).toEqual({ stateLost: true });
    const reply = await running;
    expect(reply.status).toBe('aborted');
    expect(errorOf(reply.outputs)?.evalue).toMatch(/restarted.*state.*lost/);
    expect(kernel.status).toBe('idle');
    expect(await value('typeof kept')).toBe("'undefined'");
  });

  it('survives process.exit() in a cell: clear error, dead, next run starts fresh and says so', async () => {
    await kernel.execute({ code: 'const before = 1' });
    const reply = await kernel.execute({ code: 'console.log("leaving"); process.exit(3)' });
    expect(reply.status).toBe('error');
    expect(textOf(reply.outputs)).toBe('leaving\n');
    expect(errorOf(reply.outputs)).toMatchObject({ ename: 'KernelDied' });
    expect(errorOf(reply.outputs)!.evalue).toContain('process.exit(3)');
    expect(kernel.status).toBe('dead');

    const next = await kernel.execute({ code: 'typeof before' });
    expect(next.status).toBe('ok');
    expect(next.restartNotice).toContain('process.exit(3)');
    expect(textOf(next.outputs, 'stderr')).toContain('A fresh kernel was started');
    expect(next.executionCount).toBe(1);
    expect(resultOf(next.outputs)?.['text/plain']).toBe("'undefined'");
  });

  it('survives the kernel process being killed while a cell runs', async () => {
    const { reply: running, started } = startCell(`${STARTED}; await new Promise((r) => setTimeout(r, 5000))`);
    await started;
    process.kill(kernel.pid!, 'SIGKILL');
    const reply = await running;
    expect(reply.status).toBe('error');
    expect(errorOf(reply.outputs)!.evalue).toContain('killed (SIGKILL');
    expect(kernel.status).toBe('dead');
    expect(statuses.at(-1)).toMatch(/^dead: The kernel was killed/);
    expect(await value('6 * 7')).toBe('42');
  });

  it('survives a kernel running out of memory: one clean line, never V8\'s dump, and a working restart', async () => {
    const small = await startKernel({ memoryMb: 64 });
    const seen: KernelEvent[] = [];
    small.kernel.subscribe((e) => seen.push(e));
    try {
      const reply = await small.kernel.execute({ code: 'const hog: number[][] = []; while (true) hog.push(new Array(1e6).fill(1))' });
      expect(reply.status).toBe('error');
      expect(reply.outputs).toHaveLength(1);
      // Why, in one line, and that line once: the traceback is the message, nothing repeats it.
      const died = errorOf(reply.outputs)!;
      expect(died).toMatchObject({ ename: 'KernelDied', evalue: 'The kernel ran out of memory: limit 64 MB. Variables from earlier cells are gone; the next run starts a fresh kernel.' });
      expect(died.traceback).toEqual([`KernelDied: ${died.evalue}`]);
      expect(small.kernel.status).toBe('dead');
      expect(seen).toContainEqual({ type: 'status', status: 'dead', detail: 'The kernel ran out of memory: limit 64 MB.' });
      // Give a late stderr chunk the time to arrive: nothing of the dump may reach any listener.
      await sleep(300);
      const shown = JSON.stringify(seen);
      for (const dump of ['FATAL ERROR', 'Last few GCs', 'JS stacktrace', 'Native stack trace', 'OOMErrorHandler']) expect(shown).not.toContain(dump);

      const next = await small.kernel.execute({ code: '1 + 1' });
      expect(next.restartNotice).toBe('The kernel ran out of memory: limit 64 MB. A fresh kernel was started: variables from earlier cells are gone.');
      expect(resultOf(next.outputs)?.['text/plain']).toBe('2');
    } finally {
      await small.close();
    }
  });

  it('passes on what programs a cell starts write to stderr, without the process.exit marker', async () => {
    // The pause lets the pipe deliver before the cell ends (fd 2 and IPC are separate channels).
    const reply = await kernel.execute({ code: 'require("node:child_process").execSync("echo from-a-tool >&2; printf partial >&2", { stdio: "inherit" }); await new Promise((r) => setTimeout(r, 50))' });
    expect(textOf(reply.outputs, 'stderr')).toBe('from-a-tool\npartial');
    const exit = await kernel.execute({ code: 'process.exit(4)' });
    expect(textOf(exit.outputs, 'stderr')).toBe('');
    expect(errorOf(exit.outputs)!.evalue).toContain('process.exit(4)');
  });

  it('restarts on request, clearing state and the execution count', async () => {
    await kernel.execute({ code: 'const gone = 1' });
    await kernel.restart();
    expect(statuses.slice(-2)).toEqual(['starting: restarted', 'idle']);
    const r = await kernel.execute({ code: 'typeof gone' });
    expect(r.executionCount).toBe(1);
    expect(resultOf(r.outputs)?.['text/plain']).toBe("'undefined'");
    expect(r.restartNotice).toBeUndefined();
  });

  it('shuts down: the handle reports dead and refuses work', async () => {
    const other = await startKernel();
    const pid = other.kernel.pid!;
    await other.kernel.shutdown();
    expect(other.kernel.status).toBe('dead');
    expect(other.host.list()).toHaveLength(0);
    await expect(other.kernel.execute({ code: '1' })).rejects.toThrow(/shut down/);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
