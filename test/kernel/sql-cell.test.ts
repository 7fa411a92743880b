import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelHandle } from '../../kernel/protocol.ts';
import type { Output } from '../../notebook/format.ts';
import { fixtureRecords, writeFixtureDir } from '../mcp/fixture.ts';
import { errorOf, resultOf, startKernel, textOf } from './helpers.ts';

/** %%sql cells in a real kernel over the local DuckDB table of the fixture records. */

const records = fixtureRecords();
const SLOW = 'SELECT count(*) AS n FROM range(100000000000) a WHERE a.range % 7 = 3';

let dir: string;
let cache: string;
let kernel: KernelHandle;
let close: () => Promise<void>;

const warningsOf = (outputs: Output[]) =>
  outputs.filter((o) => o.output_type === 'display_data' && (o.metadata as { trailbook?: { typeWarnings?: number } }).trailbook?.typeWarnings).map((o) => (o.output_type === 'display_data' ? String(o.data['text/plain']) : ''));

const run = async (code: string, cellId?: string) => {
  const { outputs, status } = await kernel.execute({ code, cellId, waitForTypecheck: true });
  return { outputs, status, err: errorOf(outputs), data: resultOf(outputs), stderr: textOf(outputs, 'stderr'), warnings: warningsOf(outputs) };
};

beforeAll(async () => {
  dir = await writeFixtureDir(records);
  cache = await mkdtemp(join(tmpdir(), 'trailbook-sql-cell-'));
  ({ kernel, close } = await startKernel({ typecheck: 'warn' }, { env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dir, TRAILBOOK_CACHE_DIR: cache } }));
}, 60_000);
afterAll(async () => {
  await close?.();
  await rm(cache, { recursive: true, force: true });
});

describe('%%sql cells', () => {
  it('show the rows as a table and bind them to the named variable, typed for later cells', async () => {
    const cell = await run('%%sql top <<\nSELECT eventname, count(*) AS n\nFROM cloudtrail\nGROUP BY 1 ORDER BY n DESC, eventname', 'sql-top');
    expect(cell.err).toBeUndefined();
    // SQL is not type-checked as TypeScript.
    expect(cell.warnings).toEqual([]);
    expect(String(cell.data?.['text/html'])).toMatch(/<table class="trailbook-table"><thead><tr><th>eventname<\/th><th>n<\/th>/);
    const counts = new Map<string, number>();
    for (const r of records) counts.set(r.eventName, (counts.get(r.eventName) ?? 0) + 1);
    const expected = [...counts].map(([eventname, n]) => ({ eventname, n })).sort((a, b) => b.n - a.n || (a.eventname < b.eventname ? -1 : 1));
    expect(cell.data?.['application/json']).toEqual(expected);

    const later = await run('const first: string = top[0].eventname;\n[first, top.length, top.columns.map((c) => c.type)]', 'uses-top');
    expect(later.data?.['application/json']).toEqual([expected[0]!.eventname, expected.length, ['VARCHAR', 'BIGINT']]);
    expect(later.warnings).toEqual([]);
    // The variable is declared as SqlRows for the checker, so a typo in a member is caught.
    const typo = await run('top.colums', 'typo');
    expect(typo.warnings.join('\n')).toMatch(/Property 'colums' does not exist on type 'SqlRows.*Did you mean 'columns'\?/);
  }, 120_000);

  it('bind to _sql without a name, and take ${} values as parameters', async () => {
    const cut = records[60]!.eventTime;
    await run(`const since = ${JSON.stringify(cut)};`);
    const cell = await run('%%sql\nSELECT count(*) AS n FROM cloudtrail WHERE eventtime > ${since}');
    expect(cell.err).toBeUndefined();
    expect((await run('_sql[0].n')).data?.['text/plain']).toBe(String(records.filter((r) => r.eventTime > cut).length));
  }, 60_000);

  it("give wrong SQL the engine's message with the cell's line and column", async () => {
    const wrong = await run('%%sql\nSELECT eventname\nFROM cloudtrail\nWHERE nosuch = 1');
    expect(wrong.status).toBe('error');
    expect(wrong.err?.ename).toBe('SqlError');
    expect(wrong.err?.evalue).toMatch(/nosuch.*\(line 4, column 7\)/s);
    // The engine's message once, not again as the cause.
    expect(wrong.err?.traceback.join('\n').match(/Referenced column "nosuch"/g)).toHaveLength(1);
    expect(wrong.err?.traceback.join('\n')).not.toMatch(/Caused by/);
    const refused = await run('%%sql\nDELETE FROM cloudtrail');
    expect(refused.err?.evalue).toMatch(/only SELECT/);
    const header = await run('%%sql rows extra\nSELECT 1');
    expect(header.err).toMatchObject({ ename: 'SyntaxError', evalue: expect.stringMatching(/one variable name/) });
  }, 60_000);

  it('show the columns of a query that found no rows', async () => {
    const none = await run("%%sql\nSELECT eventname, errorcode FROM cloudtrail WHERE eventname = 'NoSuchCall'");
    expect(String(none.data?.['text/html'])).toMatch(/<thead><tr><th>eventname<\/th><th>errorcode<\/th><\/tr><\/thead><tbody><\/tbody>.*0 rows × 2 columns/);
    expect(none.data?.['application/json']).toEqual([]);
  }, 60_000);

  it('say when the row limit cut the result and how to raise it', async () => {
    const cut = await run('%%sql few\nSELECT eventid FROM cloudtrail', 'few');
    expect(cut.stderr).toBe('');
    await run('sql.maxRows = 3');
    const limited = await run('%%sql few\nSELECT eventid FROM cloudtrail', 'few');
    expect(limited.stderr).toMatch(/only the first 3 rows are returned.*sql\.maxRows = N/);
    expect((await run('[few.length, few.truncated]')).data?.['application/json']).toEqual([3, true]);
    await run('sql.maxRows = 10_000');
  }, 60_000);

  it('stop the query in the engine on interrupt, within seconds, keeping the kernel and its variables', async () => {
    const started = new Promise<void>((resolve) => {
      const off = kernel.subscribe((e) => e.type === 'status' && e.status === 'busy' && (off(), resolve()));
    });
    const running = kernel.execute({ code: `%%sql slow\n${SLOW}` });
    await started;
    await new Promise((r) => setTimeout(r, 1500)); // well inside the query, which runs for minutes
    const t0 = Date.now();
    const { stateLost } = await kernel.interrupt();
    const reply = await running;
    const took = Date.now() - t0;
    expect(stateLost).toBe(false);
    expect(reply.status).toBe('aborted');
    expect(errorOf(reply.outputs)?.ename).toBe('KeyboardInterrupt');
    expect(took).toBeLessThan(3_000);

    // The interrupt reaches DuckDB: the abandoned query itself ends as cancelled, long before its time limit.
    await run('sql.timeoutMs = 600_000');
    const started2 = new Promise<void>((resolve) => {
      const off = kernel.subscribe((e) => e.type === 'output' && (off(), resolve()));
    });
    const pending = kernel.execute({ code: `console.log('started'); globalThis.pending = sql.query(${JSON.stringify(SLOW)}).then(() => 'finished', (e) => e.kind); await pending` });
    await started2;
    await new Promise((r) => setTimeout(r, 1000));
    await kernel.interrupt();
    expect((await pending).status).toBe('aborted');
    const t1 = Date.now();
    expect((await run('await (globalThis as any).pending')).data?.['text/plain']).toBe("'cancelled'");
    expect(Date.now() - t1).toBeLessThan(10_000);

    const after = await run('%%sql\nSELECT 42 AS answer');
    expect(after.data?.['application/json']).toEqual([{ answer: 42 }]);
    expect((await run('top.length > 0')).data?.['text/plain']).toBe('true');
  }, 120_000);

  it('run through the kernel engine even when a cell reused the name sql', async () => {
    await run("const sql = 'SELECT 1';");
    const cell = await run('%%sql\nSELECT 7 AS seven');
    expect(cell.data?.['application/json']).toEqual([{ seven: 7 }]);
  }, 60_000);
});
