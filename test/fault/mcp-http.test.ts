import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureRecords } from '../mcp/fixture.ts';
import { runCli } from '../workbench/cli-process.ts';
import { NULL_FIELD_RECORDS, writeFaultDataset } from './server.ts';

/**
 * Issue #9's MCP rows, replayed against the real `trailbook mcp --http` process with a real MCP client: no
 * authentication, no Origin check, impossible dates, null optional fields and non-CloudTrail files. After every row
 * the process is still running and still serves a client with the token. The details of each check are tested in
 * test/mcp/http-auth.test.ts, test/mcp/time-args.test.ts and test/mcp/skipped.test.ts.
 */

const TOKEN = 'fault-mcp-token-0123456789abcdef';
let dataDir: string;
let server: ReturnType<typeof runCli>;
let url: string;

const env = (extra: Record<string, string> = {}) => ({
  TRAILBOOK_SOURCE: 'files',
  TRAILBOOK_DATA_DIR: dataDir,
  TRAILBOOK_CACHE_DIR: `${dataDir}/.cache`,
  TRAILBOOK_MCP_TOKEN: TOKEN,
  TRAILBOOK_MCP_ALLOWED_ORIGINS: '',
  TRAILBOOK_MCP_ALLOWED_HOSTS: '',
  ...extra,
});

async function client(): Promise<Client> {
  const c = new Client({ name: 'fault-suite', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  return c;
}

const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
const post = (headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: initialize });

/** fetch() sets Host itself: a foreign one needs node:http. */
function foreignHost(): Promise<number> {
  return new Promise((done, reject) => {
    const { port, pathname } = new URL(url);
    const req = request({ host: '127.0.0.1', port, path: pathname, method: 'POST', headers: { host: `evil.example:${port}`, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(initialize);
  });
}

beforeAll(async () => {
  dataDir = await writeFaultDataset();
  server = runCli(['mcp', '--http', '0'], env());
  const until = Date.now() + 60_000;
  let match: RegExpMatchArray | null = null;
  while (!(match = server.output().match(/MCP endpoint: (\S+)/)) && server.child.exitCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(match, server.output()).not.toBeNull();
  url = match![1]!;
}, 90_000);

afterAll(async () => {
  if (server?.child.exitCode === null) server.child.kill('SIGTERM');
  await server?.exited;
  await rm(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
  expect(server.child.exitCode, `the MCP server exited:\n${server.output()}`).toBeNull();
  const c = await client();
  expect((await c.listTools()).tools.length).toBeGreaterThan(0);
  await c.close();
});

describe('trailbook mcp --http under the attacks of issue #9', () => {
  it('refuses to listen beyond loopback without a token (exit 2)', async () => {
    // Refused before it binds: no traffic leaves loopback.
    const open = runCli(['mcp', '--http', '0', '--host', '0.0.0.0'], env({ TRAILBOOK_MCP_TOKEN: '' }));
    expect(await open.exited).toBe(2);
    expect(open.output()).toContain('refusing to listen on 0.0.0.0 without a token');
  });

  it('answers 401 without the bearer token, and 403 to a foreign Origin or Host even with it', async () => {
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await post({ authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' })).status).toBe(403);
    expect(await foreignHost()).toBe(403); // DNS rebinding
  });

  it('refuses 2026-02-30 as a time argument with an error naming the argument', async () => {
    const c = await client();
    const result = await c.callTool({ name: 'lookup_cloudtrail_events', arguments: { start_time: '2026-02-30' } });
    await c.close();
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('start_time: 2026-02-30 is not a valid date (February 2026 has 28 days)');
  });

  it('counts records with null optional fields as events and non-CloudTrail files as skipped', async () => {
    const c = await client();
    const status = (await c.callTool({ name: 'get_cloudtrail_status', arguments: {} })).structuredContent as {
      count: number;
      skipped: { files: number; records: number; examples: { file: string }[] };
    };
    const logins = (await c.callTool({ name: 'lookup_cloudtrail_events', arguments: { event_name: 'ConsoleLogin' } })).structuredContent as { count: number };
    await c.close();
    expect(status.count).toBe(fixtureRecords().length + NULL_FIELD_RECORDS);
    expect(logins.count).toBe(NULL_FIELD_RECORDS);
    expect(status.skipped).toMatchObject({ files: 2, records: 1 });
    expect(status.skipped.examples.map((e) => e.file)).toEqual(expect.arrayContaining(['notes.json', 'exports/broken.json.gz', 'lake-export.json.gz']));
  });
});
