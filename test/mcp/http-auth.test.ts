import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpClient } from '../../kernel/prelude/cloudtrail.ts';
import { fixtureRecords, writeFixtureDir } from './fixture.ts';

// `trailbook mcp --http` as a user runs it: a real MCP SDK client over Streamable HTTP, and raw requests for
// what a client library would never send. Traffic goes to 127.0.0.1 only.

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'cli/trailbook.js');
const TOKEN = 'test-token-0123456789abcdef';
const records = fixtureRecords(60);
let dataDir: string;

beforeAll(async () => {
  dataDir = await writeFixtureDir(records);
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const env = (extra: Record<string, string>) =>
  ({ ...process.env, TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dataDir, TRAILBOOK_CACHE_DIR: resolve(dataDir, '.cache'), TRAILBOOK_MCP_TOKEN: '', TRAILBOOK_MCP_ALLOWED_ORIGINS: '', ...extra }) as Record<string, string>;

interface Running {
  child: ChildProcess;
  url: string;
  stdout: string;
  stderr: string;
}

async function startServer(args: string[], extraEnv: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'mcp', '--http', '0', ...args], { env: env(extraEnv), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Running = { child, url: '', stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (run.stdout += d));
  child.stderr!.on('data', (d) => (run.stderr += d));
  const until = Date.now() + 45_000;
  while (!/MCP endpoint: (\S+)/.test(run.stdout)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`server did not start: ${run.stdout}${run.stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  // Bound to 0.0.0.0 it prints that address; test traffic goes to loopback only.
  run.url = /MCP endpoint: (\S+)/.exec(run.stdout)![1].replace('://0.0.0.0:', '://127.0.0.1:');
  return run;
}

async function stop(run: Running | undefined): Promise<void> {
  if (!run || run.child.exitCode !== null) return;
  run.child.kill('SIGTERM');
  await new Promise((r) => run.child.once('exit', r));
}

function exited(args: string[], extraEnv: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, 'mcp', ...args], { env: env(extraEnv), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
const post = (url: string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: initialize });

async function sdkClient(url: string, headers?: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'auth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: headers ? { headers } : undefined }));
  return client;
}

describe('trailbook mcp --http on loopback with TRAILBOOK_MCP_TOKEN', () => {
  let run: Running;
  beforeAll(async () => {
    run = await startServer([], { TRAILBOOK_MCP_TOKEN: TOKEN, TRAILBOOK_MCP_ALLOWED_ORIGINS: 'https://notebooks.example.com' });
  });
  afterAll(() => stop(run));

  it('serves a real MCP client that sends the bearer token', async () => {
    const client = await sdkClient(run.url, { authorization: `Bearer ${TOKEN}` });
    try {
      const names = await client.callTool({ name: 'get_cloudtrail_event_names', arguments: {} });
      expect((names.structuredContent as { total_events: number }).total_events).toBe(records.length);
    } finally {
      await client.close();
    }
    expect(run.stdout + run.stderr).not.toContain(TOKEN); // a configured token is never echoed
  });

  it('refuses a real MCP client without the token, and raw requests with a missing or wrong one, with 401 and WWW-Authenticate: Bearer', async () => {
    await expect(sdkClient(run.url)).rejects.toThrow(/Unauthorized: send the token as/);
    const missing = await post(run.url, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="trailbook-mcp"');
    expect((await missing.json()).error.message).toMatch(/Authorization: Bearer <token>/);
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`, `Bearer`]) {
      const res = await post(run.url, { authorization });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="trailbook-mcp"/);
    }
    // GET and DELETE are checked too, before the 405.
    expect((await fetch(run.url, { method: 'GET' })).status).toBe(401);
  });

  it('refuses browser requests from foreign origins with 403, even with the token; loopback pages and listed origins pass', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const origin of ['https://evil.example', 'http://localhost.evil.example:8888', 'null', 'https://notebooks.example.com.evil.example']) {
      const res = await post(run.url, { ...auth, origin });
      expect(res.status, origin).toBe(403);
      expect((await res.json()).error.message).toContain(`Origin "${origin}" is not allowed`);
    }
    for (const origin of ['http://localhost:8888', 'http://127.0.0.1:5173', 'http://[::1]:3000', 'https://notebooks.example.com']) {
      expect((await post(run.url, { ...auth, origin })).status, origin).toBe(200);
    }
    // A foreign origin is refused before the token is looked at: no oracle for guessing tokens from a page.
    expect((await post(run.url, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('lets the kernel\'s remote MCP client in with TRAILBOOK_MCP_TOKEN', async () => {
    const client = await mcpClient({ cwd: ROOT, env: { TRAILBOOK_MCP_URL: run.url, TRAILBOOK_MCP_TOKEN: TOKEN } });
    try {
      const status = await client.readResource({ uri: 'cloudtrail://status' });
      expect(JSON.parse((status.contents[0] as { text: string }).text).count).toBe(records.length);
    } finally {
      await client.close();
    }
  });
});

describe('trailbook mcp --http beyond loopback', () => {
  it('refuses to listen without a token: exit code 2 and a message saying what to set, before loading any data', async () => {
    const r = await exited(['--http', '0', '--host', '0.0.0.0'], { TRAILBOOK_DATA_DIR: resolve(dataDir, 'never-read') });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('trailbook mcp: refusing to listen on 0.0.0.0 without a token: anyone who can reach it could read the CloudTrail data. Set TRAILBOOK_MCP_TOKEN (or --token), or listen on 127.0.0.1');
    const weak = await exited(['--http', '0', '--host', '0.0.0.0', '--token', 'hunter2'], {});
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('the token must be at least 16 characters');
    const badOrigin = await exited(['--http', '0'], { TRAILBOOK_MCP_ALLOWED_ORIGINS: 'notebooks.example.com' });
    expect(badOrigin.code).toBe(2);
    expect(badOrigin.stderr).toContain('TRAILBOOK_MCP_ALLOWED_ORIGINS: "notebooks.example.com" is not an origin');
  }, 60_000);

  it('with --token: serves clients that send it, and allows no browser origin that is not listed', async () => {
    let run: Running | undefined;
    try {
      run = await startServer(['--host', '0.0.0.0', '--token', TOKEN], {});
      const client = await sdkClient(run.url, { authorization: `Bearer ${TOKEN}` });
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await client.close();
      expect((await post(run.url, {})).status).toBe(401);
      // Not on loopback: a loopback page is just another origin.
      expect((await post(run.url, { authorization: `Bearer ${TOKEN}`, origin: 'http://localhost:8888' })).status).toBe(403);
      expect(run.stderr).toContain('clients send the header "Authorization: Bearer <token>" (the token from --token)');
    } finally {
      await stop(run);
    }
  }, 60_000);
});
