import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { InterruptError } from '../../../kernel/child/execution.ts';
import { clearInterrupt, markInterrupted } from '../../../kernel/child/interrupt-pipe.ts';
import { runSynchronousPart } from '../../../kernel/child/sync-part.ts';

const RUNS = join(import.meta.dirname, 'sync-part-runs.mts');

async function cycles(n: number, mode: 'sync-part' | 'plain'): Promise<{ interrupted: number; stray: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', RUNS, String(n), mode], { cwd: import.meta.dirname, timeout: 60_000 });
  return JSON.parse(stdout);
}

describe("a cell's synchronous part and SIGINT", () => {
  it('leaves a SIGINT that lands as a plain breakOnSigint run ends to stop the next run (the flaw sync-part.ts works around)', async () => {
    // If this starts failing, Node fixed its watchdog and sync-part.ts's wait can go.
    expect((await cycles(20, 'plain')).stray).toBeGreaterThan(0);
  });

  it('stops the part the interrupt was for, even as it ends, and never the next one', async () => {
    expect(await cycles(20, 'sync-part')).toEqual({ interrupted: 20, stray: 0 });
  });

  it('does not start a part whose interrupt came before it (nothing was there to signal), and runs the next one', () => {
    markInterrupted(7);
    try {
      expect(() => runSynchronousPart(new Script('globalThis.partRan = true'), 7)).toThrow(InterruptError);
      expect((globalThis as { partRan?: boolean }).partRan).toBeUndefined();
      expect(runSynchronousPart(new Script('"next"'), 8)).toBe('next');
    } finally {
      clearInterrupt(7);
    }
  });
});
