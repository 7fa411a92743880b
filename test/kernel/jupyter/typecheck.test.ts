import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JupyterClient, type Msg } from './client.ts';

/** Type warnings through the Jupyter front door (TRAILBOOK_TYPECHECK=warn, the default). */

let client: JupyterClient;
beforeAll(async () => {
  client = await JupyterClient.launch();
  await client.ready();
}, 120_000);
afterAll(() => client?.close());

const isWarning = (m: Msg) => m.header.msg_type === 'display_data' && (m.content.metadata as { trailbook?: { typeWarnings?: number } } | undefined)?.trailbook?.typeWarnings !== undefined;

/** The warning block published for a request, in the cell's outputs or after its idle (a quick cell's check waits for a quiet moment). */
const warningsFor = async (id: string) => String((await client.waitFor('iopub', (m) => m.parent_header.msg_id === id && isWarning(m), 120_000)).content.data['text/plain']);

describe('type warnings in Jupyter', () => {
  it("go to the request of their cell, and a re-run notebook cell (JupyterLab's metadata.cellId) replaces its earlier version", async () => {
    await client.execute('let mode: string = "a";', {}, 60_000, { cellId: 'notebook-cell-1' });
    await client.execute('let mode: number = 1;', {}, 60_000, { cellId: 'notebook-cell-1' });
    const { id, reply } = await client.execute('const n: number = mode;\nconst s: string = 1;', {}, 60_000, { cellId: 'notebook-cell-2' });
    expect(reply.content.status).toBe('ok');
    // Only the second line: had the first version of cell 1 stayed, `mode` would read as a string.
    expect(await warningsFor(id)).toBe("Type warning (line 2, col 7): Type 'number' is not assignable to type 'string'.");
  }, 300_000);
});
