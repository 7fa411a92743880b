import type { Output } from '../../notebook/format.ts';
import { cellForTypes, isSqlCell } from '../../notebook/sql-cell.ts';
import { TypeCheckClosed, type CellDiagnostic, type TypeChecker } from './checker.ts';
import { typeErrorOutput, typeWarningOutput } from './outputs.ts';
import { QuietQueue } from './quiet-queue.ts';

/**
 * Type checking as one kernel sees it: the cells it ran (the names a new cell can use), the mode, and
 * for each cell a CellCheck that decides where its diagnostics go.
 *
 * - `warn` (default): the check never holds the cell back, and never competes with it for the CPU:
 *   it waits for a quiet moment (QUIET_MS after a cell ended, quiet-queue.ts), so a quick cell's
 *   warning follows it as late output of that cell and cells run back to back are checked once the
 *   run ends; a cell running longer than LONG_CELL_MS is checked while it runs and usually ends with
 *   its warning block. TypeScript itself is loaded at the first quiet moment after the kernel is ready, never
 *   before the first cell. A caller that needs every warning in the reply (a batch run) passes
 *   `waitForTypecheck`: that check starts at once and the reply waits for it.
 * - `block`: the check runs first; a cell with type errors does not run and fails with them.
 * - `off`: nothing.
 */

export type TypecheckMode = 'block' | 'warn' | 'off';

export const TYPECHECK_MODES: readonly TypecheckMode[] = ['block', 'warn', 'off'];

/** TRAILBOOK_TYPECHECK: block, warn (the default) or off. */
export function typecheckMode(value: string | undefined): TypecheckMode {
  if (value === undefined || value === '') return 'warn';
  const mode = value.trim().toLowerCase() as TypecheckMode;
  if (!TYPECHECK_MODES.includes(mode)) throw new Error(`TRAILBOOK_TYPECHECK must be block, warn or off, not "${value}"`);
  return mode;
}

/** A warm check answers in milliseconds, a cold one in seconds (minutes on a machine under heavy load); this only bounds a checker that hangs. */
const MAX_WAIT_MS = 120_000;

/**
 * Cells closer together than this are one batch (Run all, nbconvert, a benchmark): their checks wait
 * until it ends. A person between two cells takes longer; a warning this late is still on screen
 * before they have read the cell's result.
 */
export const QUIET_MS = 200;
/**
 * A cell running this long is a long one: the checks waiting (its own among them) run beside it, so
 * it usually ends with its warning block. Longer than QUIET_MS: on a busy machine a trivial cell can
 * take a few hundred ms of waiting for a core, and must not set the checks off.
 */
export const LONG_CELL_MS = 500;

export class KernelTypecheck {
  /** Cell (id, or its code when it has none) → the code it last ran, in the order they ran. */
  private readonly ran = new Map<string, string>();
  private noticeShown = false;
  /** Checks (and the TypeScript warm-up) put off until the kernel is quiet. */
  private readonly later: QuietQueue;
  /** Checks someone waits for after the reply (`soon`): started as their cell ends, or once it has run LONG_CELL_MS. */
  private readonly atCellEnd = new Set<{ start: () => void; cancel: () => void }>();

  constructor(
    readonly mode: TypecheckMode,
    private readonly checker: () => TypeChecker | undefined,
    private readonly cwd: string,
    private readonly quietMs = QUIET_MS,
    private readonly longCellMs = LONG_CELL_MS,
  ) {
    this.later = new QuietQueue(quietMs);
  }

  /**
   * A fresh kernel process is ready: the earlier cells' names are gone. TypeScript is loaded at the next
   * quiet moment if it is not yet (checks still waiting from the previous process keep their cells).
   */
  reset(): void {
    this.ran.clear();
    this.noticeShown = false;
    if (this.mode !== 'off') this.later.add(() => this.checker()?.warmUp(this.cwd, this.mode === 'warn'));
  }

  /** A cell ended: put-off checks wait for the next quiet moment. */
  cellEnded(): void {
    for (const task of this.atCellEnd) task.start();
    this.later.touch(this.quietMs);
  }

  /** The kernel shut down: checks not started yet are dropped (their cells' outputs have no reader left). */
  close(): void {
    for (const task of this.atCellEnd) task.cancel();
    this.later.cancel();
  }

  /**
   * `soon`: someone waits for the check after the reply (Jupyter, before idle): it starts as the cell
   * ends (or once it has run LONG_CELL_MS), not at a quiet moment, and not before: on a busy machine a
   * check beside a quick cell delays its reply.
   */
  begin(code: string, cellId: string | undefined, waitForTypecheck = false, soon = false): CellCheck | undefined {
    const checker = this.mode === 'off' ? undefined : this.checker();
    if (!checker) return undefined;
    const key = cellId ?? code;
    // The cell's own earlier version is replaced, not kept beside it (its names would be declared twice).
    // Taken on every cell, so the common case (a new cell) is one copy, not a filter over every entry.
    let cells: string[];
    if (this.ran.has(key)) {
      cells = [];
      for (const [k, c] of this.ran) if (k !== key) cells.push(c);
    } else cells = [...this.ran.values()];
    const wait = this.mode === 'block' || waitForTypecheck;
    // A %%sql cell is SQL, not TypeScript: nothing to check; later cells see its variable declared.
    const check = isSqlCell(code) ? Promise.resolve([]) : wait ? checker.check(this.cwd, cells, code) : soon ? this.whenCellEnds(checker, cells, code) : this.whenQuiet(checker, cells, code);
    this.later.touch(this.longCellMs); // the cell starts
    return new CellCheck(check, wait, (unavailable) => {
      if (this.noticeShown) return undefined;
      this.noticeShown = true;
      return { output_type: 'stream', name: 'stderr', text: `[type checking is off for this kernel: ${unavailable}]\n` };
    }, () => {
      this.ran.delete(key);
      this.ran.set(key, cellForTypes(code));
    });
  }

  private whenCellEnds(checker: TypeChecker, cells: string[], code: string): Promise<CellDiagnostic[]> {
    return new Promise((resolve, reject) => {
      const task = {
        start: () => {
          this.atCellEnd.delete(task);
          clearTimeout(timer);
          checker.check(this.cwd, cells, code).then(resolve, reject);
        },
        cancel: () => {
          this.atCellEnd.delete(task);
          clearTimeout(timer);
          reject(new TypeCheckClosed('the kernel shut down before the check ran'));
        },
      };
      const timer = setTimeout(task.start, this.longCellMs);
      timer.unref();
      this.atCellEnd.add(task);
    });
  }

  private whenQuiet(checker: TypeChecker, cells: string[], code: string): Promise<CellDiagnostic[]> {
    return new Promise((resolve, reject) =>
      this.later.add(
        () => checker.check(this.cwd, cells, code, true).then(resolve, reject),
        () => reject(new TypeCheckClosed('the kernel shut down before the check ran')),
      ),
    );
  }
}

export class CellCheck {
  private result?: CellDiagnostic[];
  private unavailable?: string;
  private delivered = false;
  private lateListener?: (o: Output) => void;
  private readonly done: Promise<void>;

  constructor(
    check: Promise<CellDiagnostic[]>,
    private readonly wait: boolean,
    private readonly notice: (unavailable: string) => Output | undefined,
    private readonly remember: () => void,
  ) {
    this.done = check.then(
      (d) => {
        this.result = d;
      },
      (err: Error) => {
        if (err instanceof TypeCheckClosed) this.result = [];
        else this.unavailable = err.message;
      },
    );
    void this.done.then(() => {
      if (this.lateListener && !this.delivered) for (const o of this.outputs()) this.lateListener(o);
    });
  }

  /** Resolves once the check's outcome is known (a late warning already handed on), or after MAX_WAIT_MS. */
  settled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([this.done, new Promise<void>((r) => (timer = setTimeout(r, MAX_WAIT_MS)))]).finally(() => clearTimeout(timer));
  }

  private outputs(): Output[] {
    this.delivered = true;
    if (this.unavailable !== undefined) {
      const notice = this.notice(this.unavailable);
      return notice ? [notice] : [];
    }
    return this.result?.length ? [typeWarningOutput(this.result)] : [];
  }

  /** Block mode, before the cell runs: the error that stops it, if it has type errors. */
  async blocking(): Promise<{ stop?: Output; notes: Output[] }> {
    await this.settled();
    if (this.result?.length) {
      this.delivered = true;
      return { stop: typeErrorOutput(this.result), notes: [] };
    }
    return { notes: this.unavailable !== undefined ? this.outputs() : [] };
  }

  /**
   * The cell ended: the warnings to show as its last outputs, if known (or waited for, when asked to);
   * otherwise they go to `late` once they are.
   */
  async finish(outputs: Output[], late: (o: Output) => void): Promise<Output[]> {
    // A cell that did not compile declares nothing, and its syntax error says all there is to say;
    // any other cell declared its names, even if it threw later.
    if (outputs.some((o) => o.output_type === 'error' && o.ename === 'SyntaxError')) this.delivered = true;
    else this.remember();
    if (this.delivered) return [];
    if (this.wait) await this.settled();
    if (this.result !== undefined || this.unavailable !== undefined) return this.outputs();
    this.lateListener = late;
    return [];
  }
}
