import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRecords, writeFixtureDir } from '../../mcp/fixture.ts';
import { JupyterClient } from './client.ts';

/** %%sql cells through the Jupyter front door: run, complete, interrupt, as JupyterLab drives them. */

const records = fixtureRecords();
let client: JupyterClient;
let cache: string;

beforeAll(async () => {
  const dir = await writeFixtureDir(records);
  cache = await mkdtemp(join(tmpdir(), 'trailbook-jupyter-sql-'));
  client = await JupyterClient.launch({ env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dir, TRAILBOOK_CACHE_DIR: cache, TRAILBOOK_TYPECHECK: 'off' } });
  await client.ready();
  await client.execute('1', {}, 110_000);
}, 120_000);
afterAll(async () => {
  await client?.close();
  await rm(cache, { recursive: true, force: true });
});

const result = (iopub: { header: { msg_type: string }; content: any }[]) => iopub.find((m) => m.header.msg_type === 'execute_result')?.content.data;

describe('Jupyter kernel: %%sql cells', () => {
  it('runs the SQL, shows a table and binds the rows for later cells', async () => {
    const { reply, iopub } = await client.execute("%%sql denied <<\nSELECT eventname, count(*) AS n FROM cloudtrail\nWHERE errorcode IS NOT NULL GROUP BY 1 ORDER BY n DESC, eventname", {}, 60_000);
    expect(reply.content.status).toBe('ok');
    expect(String(result(iopub)?.['text/html'])).toMatch(/<table class="trailbook-table">/);
    const expected = new Set(records.filter((r) => r.errorCode).map((r) => r.eventName)).size;
    expect(result((await client.execute('denied.length')).iopub)?.['text/plain']).toBe(String(expected));
  }, 60_000);

  it("completes the table's columns and struct fields in a %%sql cell, and the bound variable in TypeScript", async () => {
    const code = '%%sql\nSELECT useridentity.ar';
    const fields = await client.request('shell', 'complete_request', { code, cursor_pos: code.length });
    expect(fields.content).toMatchObject({ status: 'ok', matches: ['arn'], cursor_start: code.length - 2, cursor_end: code.length });
    const from = '%%sql\nSELECT * FROM cl';
    const columns = await client.request('shell', 'complete_request', { code: from, cursor_pos: from.length });
    expect(columns.content.matches).toEqual(['cloudtrail']);
    const ts = await client.request('shell', 'complete_request', { code: 'denie', cursor_pos: 5 }, 120_000);
    expect(ts.content.matches).toContain('denied');
  }, 150_000);

  it('describes the column or field under the cursor on inspect_request', async () => {
    const code = '%%sql\nSELECT eventtime, useridentity.sessioncontext.sessionissuer FROM cloudtrail';
    const column = await client.request('shell', 'inspect_request', { code, cursor_pos: code.indexOf('eventtime') + 3, detail_level: 0 });
    expect(column.content).toMatchObject({ status: 'ok', found: true, data: { 'text/plain': expect.stringMatching(/^eventtime: STRING\n\nISO 8601/) } });
    const field = await client.request('shell', 'inspect_request', { code, cursor_pos: code.indexOf('sessionissuer') + 13, detail_level: 0 });
    expect(field.content.data['text/plain']).toMatch(/^sessionissuer: STRUCT<type:STRING,principalid:STRING/);
    const header = await client.request('shell', 'inspect_request', { code, cursor_pos: 3, detail_level: 0 });
    expect(header.content.found).toBe(false);
  });

  it('stops a running query on interrupt_request and stays usable', async () => {
    const id = await client.send('shell', 'execute_request', { code: '%%sql\nSELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    await client.waitFor('iopub', (m) => m.parent_header.msg_id === id && m.header.msg_type === 'execute_input');
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    await client.request('control', 'interrupt_request');
    expect((await client.reply('shell', id)).content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(result((await client.execute('%%sql\nSELECT 1 AS one')).iopub)?.['application/json']).toEqual([{ one: 1 }]);
    expect(result((await client.execute('denied.length > 0')).iopub)?.['text/plain']).toBe('true');
  }, 60_000);
});
