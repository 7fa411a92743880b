import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPECHECK_PENDING_NOTE } from '../../../kernel/jupyter/kernel.ts';
import { JupyterClient, type Msg } from './client.ts';

/** Type warnings through the Jupyter front door (TRAILBOOK_TYPECHECK=warn, the default). */

let client: JupyterClient;
beforeAll(async () => {
  client = await JupyterClient.launch();
  await client.ready();
}, 120_000);
afterAll(() => client?.close());

const isWarning = (m: Msg) => m.header.msg_type === 'display_data' && (m.content.metadata as { trailbook?: { typeWarnings?: number } } | undefined)?.trailbook?.typeWarnings !== undefined;

/** The warning block published for a request (also after its idle: the first check loads TypeScript, which may outlast the wait). */
const warningsFor = async (id: string) => String((await client.waitFor('iopub', (m) => m.parent_header.msg_id === id && isWarning(m), 120_000)).content.data['text/plain']);

describe('type warnings in Jupyter', () => {
  it('come between execute_reply and idle under the request, as clients stop listening at idle; a clean cell has none', async () => {
    await client.warmTypecheck();
    const bad = await client.execute('const late: number = "x";', {}, 60_000);
    expect(bad.reply.content.status).toBe('ok');
    // execute() resolves at the request's idle: what it collected is what JupyterLab and nbclient show.
    const warnings = bad.iopub.filter(isWarning);
    expect(warnings.map((m) => m.content.data['text/plain'])).toEqual(["Type warning (line 1, col 7): Type 'string' is not assignable to type 'number'."]);
    expect(warnings[0]!.parent_header.msg_id).toBe(bad.id);
    expect(warnings[0]!.header.date >= bad.reply.header.date).toBe(true); // published after the reply was sent
    const order = client.received.iopub.filter((m) => m.parent_header.msg_id === bad.id).map((m) => m.content.execution_state ?? m.header.msg_type);
    expect(order).toEqual(['busy', 'execute_input', 'display_data', 'idle']);
    expect(bad.iopub.filter((m) => m.header.msg_type === 'stream')).toEqual([]); // no "still running" note

    const clean = await client.execute('const fine: number = 2;\nfine + 1', {}, 60_000);
    expect(clean.iopub.map((m) => m.header.msg_type)).toEqual(['execute_input', 'execute_result']);
  }, 300_000);

  it("go to the request of their cell, and a re-run notebook cell (JupyterLab's metadata.cellId) replaces its earlier version", async () => {
    await client.execute('let mode: string = "a";', {}, 60_000, { cellId: 'notebook-cell-1' });
    await client.execute('let mode: number = 1;', {}, 60_000, { cellId: 'notebook-cell-1' });
    const { id, reply } = await client.execute('const n: number = mode;\nconst s: string = 1;', {}, 60_000, { cellId: 'notebook-cell-2' });
    expect(reply.content.status).toBe('ok');
    // Only the second line: had the first version of cell 1 stayed, `mode` would read as a string.
    expect(await warningsFor(id)).toBe("Type warning (line 2, col 7): Type 'number' is not assignable to type 'string'.");
  }, 300_000);

  it("an interrupt ends the wait for a cell's check at once: the cell goes idle with its warning or the note that it follows", async () => {
    const fresh = await JupyterClient.launch();
    try {
      await fresh.ready();
      // A fresh kernel's first check loads TypeScript (seconds): the wait after the reply is interrupted.
      const id = await fresh.send('shell', 'execute_request', { code: 'void (1 as string)', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
      await fresh.reply('shell', id, 110_000);
      const t0 = Date.now();
      await fresh.request('control', 'interrupt_request');
      const outputs = await fresh.iopubFor(id, 60_000);
      expect(Date.now() - t0).toBeLessThan(2500); // the wait's own bound is 3 s from the reply
      const said = outputs.filter((m) => isWarning(m) || m.content.text === TYPECHECK_PENDING_NOTE);
      expect(said.length).toBeGreaterThan(0); // never neither
    } finally {
      await fresh.close();
    }
  }, 180_000);
});
