import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../stacks/paths.ts';
import type { AssetManifest } from '../../workbench/build.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'trailbook-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** npm as a person would run it: none of the npm_* settings of an `npm test` around this process. */
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD')) as Record<string, string>;

const npm = (args: string[], cwd: string) =>
  run('npm', args, { cwd, env: { ...cleanEnv(), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }, maxBuffer: 64 * 1024 * 1024, timeout: 480_000 });

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/** A lockfile for a project whose only dependency is the packed tarball, with the repository's production packages. */
function consumerLockfile(packed: { filename: string; version: string; integrity: string }, dependencies: Record<string, string>) {
  const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const root = lock.packages[''];
  const production = Object.fromEntries(Object.entries(lock.packages).filter(([key, entry]) => key && !entry.dev && !entry.devOptional));
  return {
    name: 'empty-project',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'empty-project', version: '1.0.0', dependencies },
      'node_modules/trailbook': {
        version: packed.version,
        resolved: `file:${packed.filename}`,
        integrity: packed.integrity,
        license: root.license,
        dependencies: root.dependencies,
        bin: root.bin,
        engines: root.engines,
      },
      ...production,
    },
  };
}

describe('the published package', () => {
  // `npm pack`, then an install of the tarball into an empty folder from the local npm cache,
  // then `npx trailbook mcp` over stdio with a real MCP client: what an MCP client's configuration runs.
  it('installs from its tarball into an empty folder, serves the MCP tools over stdio with npx, and the workbench with the UI prepack built', { timeout: 900_000 }, async () => {
    // With its lifecycle scripts, as `npm publish` packs: prepack builds the workbench UI into the tarball.
    const { stdout } = await npm(['pack', '--json', '--pack-destination', work], REPO_ROOT);
    // The build's own log may precede npm's JSON on stdout.
    const packed = JSON.parse(stdout.slice(stdout.search(/^\[/m)))[0];
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(files).toContain('cli/trailbook.js');
    expect(files).toContain('mcp/stdio.ts');
    // Sources to run and the UI build, nothing else: no tests, infrastructure code, local data.
    expect(files.filter((f) => /^(test|bench|stacks|bin|\.data|\.cache|node_modules)\//.test(f))).toEqual([]);
    // The UI as built: an installed copy has no Monaco or esbuild input (dev dependencies) to build it with.
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'workbench/public/build/manifest.json'), 'utf8')) as AssetManifest;
    expect(files).toContain('workbench/public/build/manifest.json');
    const missing = Object.keys(manifest.files).filter((file) => !files.includes(`workbench/public/build/${file}`));
    expect(missing).toEqual([]);
    expect(files.filter((f) => /share-secret|share-links|\.pem$|\.env/.test(f))).toEqual([]);

    // An empty project depending on the tarball, pinned to the versions this repository tested (its lockfile's
    // production packages): `npm ci` takes them from the local npm cache and asks the registry only for a miss.
    const app = path.join(work, 'empty-project');
    mkdirSync(app);
    copyFileSync(path.join(work, packed.filename), path.join(app, packed.filename));
    const dependencies = { trailbook: `file:${packed.filename}` };
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true, dependencies }));
    writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(consumerLockfile(packed, dependencies)));
    await npm(['ci', '--prefer-offline'], app);
    const installed = JSON.parse(readFileSync(path.join(app, 'node_modules/trailbook/package.json'), 'utf8'));
    expect(installed.private).toBeUndefined();
    expect(installed.bin).toEqual({ trailbook: 'cli/trailbook.js' });

    const transport = new StdioClientTransport({
      command: 'npx',
      args: ['--no-install', 'trailbook', 'mcp'],
      cwd: app,
      env: { ...cleanEnv(), TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: INVICTUS, TRAILBOOK_CACHE_DIR: path.join(work, 'cache') },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr!.on('data', (chunk) => (stderr += chunk));
    const client = new Client({ name: 'pack-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['lookup_cloudtrail_events', 'get_cloudtrail_event_names', 'get_cloudtrail_status']));
      // And a tool answers from the data, through the installed copy.
      const names = await client.callTool({ name: 'get_cloudtrail_event_names', arguments: {} });
      expect(names.isError, stderr).toBeFalsy();
      expect(JSON.stringify(names.structuredContent ?? names.content)).toMatch(/"count":\s*\d+/);
    } finally {
      await client.close();
    }

    // `npx trailbook serve` from the installed copy: the shell page and its script come from the packed build.
    const serve = spawn('npx', ['--no-install', 'trailbook', 'serve', '--port', '0', '--no-sample-data', '--notebook-dir', path.join(work, 'notebooks')], {
      cwd: app,
      env: { ...cleanEnv(), TRAILBOOK_TOKEN: 'pack-test-token-0123456789', TRAILBOOK_DATA_DIR: INVICTUS, TRAILBOOK_STATE_DIR: path.join(work, 'state'), TRAILBOOK_GIT: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: npx, the shell it may start and the server stop together.
      detached: true,
    });
    let output = '';
    serve.stdout!.on('data', (chunk) => (output += chunk));
    serve.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    try {
      const deadline = Date.now() + 120_000;
      let url: string | undefined;
      while (!(url = /running at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1]) && serve.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(url, output).toBeDefined();
      expect(output).not.toMatch(/built the workbench UI/);
      const script = await fetch(`${url}/build/${manifest.assets['app.js']}`);
      expect(script.status, output).toBe(200);
      expect(Number(script.headers.get('content-length') ?? (await script.arrayBuffer()).byteLength)).toBeGreaterThan(1000);
      const login = await fetch(`${url}/login`);
      expect(login.status).toBe(200);
    } finally {
      if (serve.exitCode === null) process.kill(-serve.pid!, 'SIGTERM');
      await exited;
    }
  });
});
