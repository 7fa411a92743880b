import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CellDiagnostic, TypeChecker } from '../../../kernel/typecheck/checker.ts';
import { KernelTypecheck } from '../../../kernel/typecheck/session.ts';
import type { Output } from '../../../notebook/format.ts';

/**
 * When a kernel's checks run, on a fake clock, with a stand-in for the checker thread that records what
 * it was asked (the real thread is tested in checker.test.ts and kernel.test.ts).
 */

const QUIET = 100;
const LONG = 500;
const wrong: CellDiagnostic = { line: 1, column: 7, code: 2322, message: "Type 'number' is not assignable to type 'string'." };

class RecordingChecker {
  readonly checks: { cells: string[]; code: string; background: boolean }[] = [];
  readonly warmUps: boolean[] = [];
  check(_cwd: string, cells: string[], code: string, background = false): Promise<CellDiagnostic[]> {
    this.checks.push({ cells, code, background });
    return Promise.resolve(code.includes(': string = 1') ? [wrong] : []);
  }
  warmUp(_cwd: string, background = true): void {
    this.warmUps.push(background);
  }
}

function session(mode: 'warn' | 'block') {
  const checker = new RecordingChecker();
  const typecheck = new KernelTypecheck(mode, () => checker as unknown as TypeChecker, '/notebooks', QUIET, LONG);
  return { checker, typecheck };
}

/** A cell that ran and ended: what the host does with its check. */
async function runCell(typecheck: KernelTypecheck, code: string, cellId: string, late: Output[], wait = false) {
  const check = typecheck.begin(code, cellId, wait)!;
  typecheck.cellEnded();
  return check.finish([], (o) => late.push(o));
}

describe('KernelTypecheck in warn mode', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads TypeScript only at the first quiet moment after the kernel is ready, never before its first cell', async () => {
    const { checker, typecheck } = session('warn');
    typecheck.reset();
    await runCell(typecheck, '1 + 1', 'a', []);
    expect(checker.warmUps).toEqual([]);
    expect(checker.checks).toEqual([]);
    await vi.advanceTimersByTimeAsync(QUIET);
    expect(checker.warmUps).toEqual([true]); // as background work
    expect(checker.checks.map((c) => c.code)).toEqual(['1 + 1']);
  });

  it("starts a check someone waits for after the reply (soon: Jupyter) as its cell ends, or after LONG_CELL_MS, at normal priority, and drops it at shutdown", async () => {
    const { checker, typecheck } = session('warn');
    const quick = typecheck.begin('const s: string = 1;', 'a', false, true)!;
    expect(checker.checks).toEqual([]); // not beside the cell: on a busy machine it would delay the reply
    typecheck.cellEnded();
    expect(checker.checks).toEqual([{ cells: [], code: 'const s: string = 1;', background: false }]);
    const late: Output[] = [];
    await quick.finish([], (o) => late.push(o));
    await quick.settled();
    expect(late.map((o) => (o.output_type === 'display_data' ? o.data['text/plain'] : o.output_type))).toEqual(["Type warning (line 1, col 7): Type 'number' is not assignable to type 'string'."]);

    typecheck.begin('while (true) {}', 'b', false, true);
    await vi.advanceTimersByTimeAsync(LONG);
    expect(checker.checks.map((c) => c.code)).toEqual(['const s: string = 1;', 'while (true) {}']);

    const cut = typecheck.begin('2', 'c', false, true)!;
    typecheck.close();
    await cut.settled(); // a TypeCheckClosed: no result, no hang
    expect(checker.checks).toHaveLength(2);
    expect(await cut.finish([], () => {})).toEqual([]);
  });

  it('checks cells run back to back once they stop, each against the cells before it, and delivers late warnings to their cell', async () => {
    const { checker, typecheck } = session('warn');
    const late: Output[] = [];
    expect(await runCell(typecheck, 'const s: string = 1;', 'a', late)).toEqual([]);
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(QUIET / 2);
      await runCell(typecheck, `${i}`, `c${i}`, []);
    }
    expect(checker.checks).toEqual([]);
    await vi.advanceTimersByTimeAsync(QUIET);
    expect(checker.checks).toHaveLength(21);
    expect(checker.checks.every((c) => c.background)).toBe(true);
    expect(checker.checks[0]!.cells).toEqual([]);
    expect(checker.checks[2]!.cells).toEqual(['const s: string = 1;', '0']);
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ output_type: 'display_data', metadata: { trailbook: { typeWarnings: 1 } } });
  });

  it('waits longer while a cell runs, and checks a long cell while it runs, so it ends with its warning block', async () => {
    const { checker, typecheck } = session('warn');
    const check = typecheck.begin('const s: string = 1;', 'slow')!;
    await vi.advanceTimersByTimeAsync(LONG - 1); // a trivial cell slowed down by a busy machine
    expect(checker.checks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1); // a long cell, still running
    expect(checker.checks).toHaveLength(1);
    typecheck.cellEnded();
    const late: Output[] = [];
    const outputs = await check.finish([], (o) => late.push(o));
    expect(outputs).toHaveLength(1);
    expect(late).toEqual([]);
  });

  it('starts at once a check the caller waits for (trailbook run), at normal priority', async () => {
    const { checker, typecheck } = session('warn');
    const outputs = await runCell(typecheck, 'const s: string = 1;', 'a', [], true);
    expect(checker.checks).toEqual([{ cells: [], code: 'const s: string = 1;', background: false }]);
    expect(outputs).toHaveLength(1);
  });

  it('drops the checks not started when the kernel shuts down', async () => {
    const { checker, typecheck } = session('warn');
    typecheck.reset();
    const late: Output[] = [];
    await runCell(typecheck, 'const s: string = 1;', 'a', late);
    typecheck.close();
    await vi.advanceTimersByTimeAsync(QUIET * 10);
    expect(checker.checks).toEqual([]);
    expect(checker.warmUps).toEqual([]);
    expect(late).toEqual([]);
  });
});

describe('KernelTypecheck in block mode', () => {
  it('checks before the cell runs, and warms up at normal priority', async () => {
    vi.useFakeTimers();
    try {
      const { checker, typecheck } = session('block');
      typecheck.reset();
      const check = typecheck.begin('const s: string = 1;', 'a')!;
      expect(checker.checks).toHaveLength(1);
      expect((await check.blocking()).stop).toMatchObject({ output_type: 'error', ename: 'TypeCheckError' });
      typecheck.cellEnded();
      await vi.advanceTimersByTimeAsync(QUIET);
      expect(checker.warmUps).toEqual([false]);
    } finally {
      vi.useRealTimers();
    }
  });
});
