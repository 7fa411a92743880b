import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixtureRecords, writeFixtureDir } from './fixture.ts';
import { functionUrlEvent, invokeStreaming, jsonRpcMessages } from './lambda-invoke.ts';

// The function ships as one esbuild ESM bundle (stacks/cloudtrail-mcp-stack.ts); bundling can reorder module
// initialisation, so the bundle itself is built and invoked, not just the source.
const ROOT = resolve(import.meta.dirname, '../..');
const records = fixtureRecords(60);
let outDir: string;
let dataDir: string;
const saved = { ...process.env };

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'trailbook-lambda-'));
  dataDir = await writeFixtureDir(records);
  await build({
    entryPoints: [join(ROOT, 'mcp/lambda.ts')],
    outfile: join(outDir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    // As in stacks/cloudtrail-mcp-stack.ts: DuckDB's native module stays out of the bundle.
    external: ['@duckdb/node-api'],
    minify: true,
    banner: { js: "import { createRequire as __trailbookCreateRequire } from 'node:module'; const require = __trailbookCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}');
  process.env.TRAILBOOK_SOURCE = 'files';
  process.env.TRAILBOOK_DATA_DIR = dataDir;
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await rm(outDir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

it('the bundled handler loads and answers initialize and tools/call', async () => {
  const { handler } = await import(pathToFileURL(join(outDir, 'index.mjs')).href);
  const init = await invokeStreaming(handler, functionUrlEvent({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bundle', version: '1' } } }));
  expect(init.prelude.statusCode).toBe(200);
  expect(jsonRpcMessages(init.body)[0].result.serverInfo.name).toBe('trailbook-cloudtrail');
  const called = await invokeStreaming(handler, functionUrlEvent({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'lookup_cloudtrail_events', arguments: { max_results: 1000 } } }));
  // The first lookup builds the index, whose progress comes first as log messages: the answer is the message with id 2.
  const answer = jsonRpcMessages(called.body).find((m) => m.id === 2);
  expect(answer.result.structuredContent.count).toBe(records.length);
});
