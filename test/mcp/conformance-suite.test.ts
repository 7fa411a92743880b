import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { LOOPBACK_HOSTNAMES, originPolicy } from '../../mcp/http-guard.ts';
import { createMcpRequestHandler } from '../../mcp/http.ts';
import { writeFixtureDir } from './fixture.ts';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, `conformance server --url`) against
 * Trailbook's Streamable HTTP handler over node:http, on Node 20 through the fs.globSync shim in
 * ./conformance-suite/. The suite's client sends no Authorization header, so this server runs the handler
 * with the Host and Origin checks of a loopback server and no token (as when it is mounted behind another
 * app's authentication); the token itself is tested in http-auth.test.ts.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const SUITE = resolve(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const SHIM = resolve(import.meta.dirname, 'conformance-suite/node20-fs-glob.mjs');

/** Scenarios Trailbook implements. The others need the suite's own test tools, prompts and resources (test_simple_text, test://static-text, ...). */
const MUST_PASS = ['server-initialize', 'ping', 'tools-list', 'resources-list', 'dns-rebinding-protection', 'logging-set-level', 'completion-complete', 'prompts-list'];

let dataDir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dataDir = await writeFixtureDir();
  const store = await openFilesStore(dataDir, { cacheDir: false });
  const handle = createMcpRequestHandler({ store, allowedHostnames: LOOPBACK_HOSTNAMES, originAllowed: originPolicy({ loopback: true, allowed: [] }), log: () => undefined });
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await rm(dataDir, { recursive: true, force: true });
});

it('passes the official conformance suite for initialize, ping, tools, resources, DNS rebinding, logging, completion and prompts', async () => {
  // The suite exits non-zero when any scenario fails, and most of those it runs need its own test fixtures: read the summary.
  const run = await promisify(execFile)(process.execPath, ['--import', SHIM, SUITE, 'server', '--url', url], { cwd: ROOT, timeout: 240_000, maxBuffer: 64 * 2 ** 20 }).catch(
    (err: { stdout?: string; stderr?: string; code?: number }) => {
      if (typeof err.stdout !== 'string' || !err.stdout.includes('=== SUMMARY ===')) throw err;
      return { stdout: err.stdout, stderr: err.stderr ?? '' };
    },
  );
  const summary = run.stdout.slice(run.stdout.indexOf('=== SUMMARY ==='));
  console.log(summary);
  const results = new Map([...summary.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed$/gm)].map((m) => [m[2], { passed: Number(m[3]), failed: Number(m[4]) }]));
  for (const scenario of MUST_PASS) {
    const r = results.get(scenario);
    expect(r, `${scenario} in the summary`).toBeDefined();
    expect(r, scenario).toMatchObject({ failed: 0 });
    expect(r!.passed, scenario).toBeGreaterThan(0);
  }
}, 300_000);
