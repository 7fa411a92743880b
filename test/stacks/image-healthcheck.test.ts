import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../stacks/paths.ts';
import { envOf, execForm, last, parseDockerfile } from './dockerfile.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';

const run = promisify(execFile);
const runtime = parseDockerfile().at(-1)!;
const cmd = execForm(last(runtime, 'CMD')!.args);
const healthcheck = last(runtime, 'HEALTHCHECK')!.args;
const healthcheckCmd = execForm(healthcheck.slice(healthcheck.indexOf('CMD')));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

let server: ChildProcess;
let port: number;
let output = '';
let exited: Promise<number | null>;
const notebooks = mkdtempSync(path.join(tmpdir(), 'trailbook-image-notebooks-'));
const state = mkdtempSync(path.join(tmpdir(), 'trailbook-image-state-'));

beforeAll(async () => {
  port = await freePort();
  // The image's CMD exactly, from the repository root (the image's WORKDIR holds the same tree), on a free port
  // instead of 8888 so it cannot collide with anything else on this machine.
  const args = cmd.slice(1);
  args[args.indexOf('--port') + 1] = String(port);
  expect(cmd[0]).toBe('node');
  server = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...envOf(runtime),
      TRAILBOOK_NOTEBOOK_DIR: notebooks, // the EFS mount in the image
      TRAILBOOK_STATE_DIR: state, // the state volume in the image
      TRAILBOOK_TOKEN: 'image-test-token-0123456789',
      // The vendored real dataset: no sample generation in the test.
      TRAILBOOK_DATA_DIR: INVICTUS,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (output += chunk));
  exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 110_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`serve exited with ${server.exitCode}:\n${output}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthcheck`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`serve did not become healthy:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGKILL');
    await exited;
  }
  rmSync(notebooks, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
});

describe('the image command', () => {
  it('answers GET /healthcheck with 200 and no token, on all interfaces', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthcheck`);
    expect(response.status).toBe(200);
    expect(cmd).toContain('0.0.0.0');
  });

  it('keeps everything else behind the token', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/notebooks`, { redirect: 'manual' });
    expect([401, 403]).toContain(response.status);
  });

  it('passes the Dockerfile HEALTHCHECK command', async () => {
    const [program, ...args] = healthcheckCmd.map((part) => part.replace(':8888/', `:${port}/`));
    expect(program).toBe('node');
    await expect(run(process.execPath, args, { timeout: 10_000 })).resolves.toBeDefined();
  });

  it('fails the HEALTHCHECK command when nothing answers', async () => {
    const closed = await freePort();
    const [, ...args] = healthcheckCmd.map((part) => part.replace(':8888/', `:${closed}/`));
    await expect(run(process.execPath, args, { timeout: 10_000 })).rejects.toMatchObject({ code: 1 });
  });

  it('stops cleanly on SIGTERM, as ECS stops a task', async () => {
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);
});
