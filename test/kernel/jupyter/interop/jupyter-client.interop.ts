import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPESCRIPT_METADATA } from '../../../../notebook/format.ts';
import { jupyterEnv, python, withoutPendingNote, type JupyterEnv } from './python.ts';

/** jupyter_client's KernelManager (what JupyterLab's server and VS Code's Python side use) against the kernel. */

let j: JupyterEnv;
let dir: string;
beforeAll(async () => {
  j = await jupyterEnv();
  dir = mkdtempSync(join(tmpdir(), 'trailbook-interop-client-'));
});
afterAll(() => {
  for (const d of [dir, j?.prefix]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('jupyter_client drives the Trailbook kernel', () => {
  it('starts it, executes, completes, inspects, interrupts with state kept, restarts and shuts it down', async () => {
    const { stdout } = await python(j, [join(import.meta.dirname, 'client_session.py'), dir]);
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(r.kernel_info).toMatchObject({ status: 'ok', protocol_version: '5.3', implementation: 'trailbook', language_info: TYPESCRIPT_METADATA.language_info });
    r.first.outputs = withoutPendingNote(r.first.outputs as [string, { text?: string }][], ([, c]) => c.text);
    expect(r.first).toEqual({
      status: 'ok',
      execution_count: 1,
      outputs: [
        ['stream', { name: 'stdout', text: 'side\n' }],
        ['execute_result', { execution_count: 1, data: { 'text/plain': '42' }, metadata: {} }],
      ],
    });
    expect(r.complete.matches).toEqual(expect.arrayContaining(['lookupEvents', 'events', 'eventNames', 'principals', 'status', 'call']));
    expect(r.complete.cursor_start).toBe(11);
    expect(r.inspect).toMatchObject({ status: 'ok', found: true });
    expect(r.is_complete).toEqual({ status: 'incomplete', indent: '  ' });
    expect(r.interrupted).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(r.kept_after_interrupt).toBe('41');
    expect(r.after_restart).toBe("'undefined'");
    expect(r.alive_after_shutdown).toBe(false);
  });
});
