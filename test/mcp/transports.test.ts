import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { checkServerAgainst } from './conformance.ts';
import { checkPromptsAndCompletions } from './prompts-check.ts';
import { call, textOf } from './helpers.ts';
import { fixtureRecords, writeFixtureDir } from './fixture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'cli/trailbook.js');
const records = fixtureRecords();
let dataDir: string;

beforeAll(async () => {
  dataDir = await writeFixtureDir(records);
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

const childEnv = () => ({ ...process.env, TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dataDir }) as Record<string, string>;

describe('stdio: trailbook mcp', () => {
  it('serves every tool to a real MCP client, matching counts computed from the files', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: childEnv(), cwd: ROOT, stderr: 'pipe' });
    const transportErrors: Error[] = [];
    transport.onerror = (e) => transportErrors.push(e);
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    const logs: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(String(n.params.data)));
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('trailbook-cloudtrail');
      await checkServerAgainst(client, records);
      await checkPromptsAndCompletions(client, records);
      // The index the tools use was built while the client connected, and the client heard about it.
      expect(logs).toContain(`indexing for the MCP tools: index ${records.length}/${records.length}`);
      // Anything but JSON-RPC on stdout would have surfaced as a parse error here.
      expect(transportErrors).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('answers the handshake before the data is open, and reports unusable data as tool errors without exiting', async () => {
    const env = { ...childEnv(), TRAILBOOK_DATA_DIR: join(dataDir, 'missing') };
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env, cwd: ROOT, stderr: 'pipe' });
    const client = new Client({ name: 'stdio-missing', version: '1.0.0' });
    await client.connect(transport);
    try {
      const r = await call(client, 'lookup_cloudtrail_events', {});
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/lookup_cloudtrail_events: ENOENT: no such file or directory, scandir '.*missing'/);
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('writes nothing but protocol on stdout, logs on stderr, and exits when stdin closes', async () => {
    const child = spawn(process.execPath, [CLI, 'mcp'], { env: childEnv(), cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_cloudtrail_event_names', arguments: { top: 2 } } });
    // Log notifications (the load's progress) may come first: wait for the answer itself.
    await waitFor(() => stdout.split('\n').some((l) => l.startsWith('{') && JSON.parse(l).id === 2), 20_000);
    child.stdin.end();
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.every((m) => m.jsonrpc === '2.0')).toBe(true);
    expect(lines.find((m) => m.id === 2).result.structuredContent.total_events).toBe(records.length);
    expect(stderr).toContain(`${records.length} events from files`);
  });
});

describe('Streamable HTTP: trailbook mcp --http', () => {
  let child: ChildProcess;
  let url: string;
  let stdout = '';
  let stderr = '';
  /** Generated for the run (loopback, no TRAILBOOK_MCP_TOKEN) and printed on stderr only. */
  let token: string;
  const withToken = (headers: Record<string, string> = {}) => ({ ...headers, authorization: `Bearer ${token}` });
  const transport = () => new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: withToken() } });

  beforeAll(async () => {
    const env = { ...childEnv(), TRAILBOOK_MCP_TOKEN: '' };
    child = spawn(process.execPath, [CLI, 'mcp', '--http', '0'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    await waitFor(() => /MCP endpoint: (\S+)/.test(stdout) && /access token for this run.*: (\S+)/.test(stderr), 30_000, () => stdout + stderr);
    url = /MCP endpoint: (\S+)/.exec(stdout)![1];
    token = /access token for this run.*: (\S+)/.exec(stderr)![1];
  });
  afterAll(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });

  it('prints a generated token on stderr only, with the URL, like Jupyter', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(stdout).not.toContain(token);
    expect(stderr).toContain(`clients send the header "Authorization: Bearer ${token}" to ${url}`);
  });

  it('serves every tool to a real MCP client, a fresh server per request', async () => {
    const client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(transport());
    try {
      await checkServerAgainst(client, records);
      await checkPromptsAndCompletions(client, records);
    } finally {
      await client.close();
    }
  });

  it('answers GET and DELETE with 405, other paths with 404, foreign Host headers with 403', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(url, { method, headers: withToken() });
      expect(res.status).toBe(405);
      expect((await res.json()).error.message).toMatch(/Method not allowed/);
    }
    expect((await fetch(new URL('/other', url))).status).toBe(404);
    const { request } = await import('node:http');
    const status = await new Promise<number>((done, fail) => {
      const req = request(url, { method: 'POST', headers: withToken({ host: 'evil.example:80', 'content-type': 'application/json', accept: 'application/json, text/event-stream' }) }, (res) => {
        res.resume();
        done(res.statusCode!);
      });
      req.on('error', fail);
      req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    });
    expect(status).toBe(403);
  });

  it('handles concurrent clients independently', async () => {
    const clients = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const c = new Client({ name: `c${i}`, version: '1' });
        await c.connect(transport());
        return c;
      }),
    );
    const results = await Promise.all(clients.map((c, i) => c.callTool({ name: 'lookup_cloudtrail_events', arguments: { max_results: i + 1 } })));
    expect(results.map((r) => (r.structuredContent as { count: number }).count)).toEqual([1, 2, 3]);
    await Promise.all(clients.map((c) => c.close()));
  });
});

async function waitFor(cond: () => boolean, ms: number, detail?: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out${detail ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('trailbook mcp command errors', () => {
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [CLI, 'mcp', ...args], { env: { ...process.env, ...env }, cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.once('exit', (code) => done({ code, stderr }));
    });

  it('reports unusable data, bad ports and busy ports clearly', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    // Independent processes: run them side by side.
    const [missing, badPort, inUse] = await Promise.all([
      run(['--http', '0'], { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: join(dataDir, 'nope') }),
      run(['--http', 'eighty'], {}),
      run(['--http', String(port)], { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dataDir }),
    ]);
    busy.close();
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot open the CloudTrail data: ENOENT/);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--http needs a port number from 0 to 65535, got "eighty"/);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(new RegExp(`cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`));
  });
});
