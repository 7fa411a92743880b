import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from './cli-process.ts';
import { DATASET } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('trailbook serve', () => {
  it('starts on the configured port, prints the URL and, apart from it, a generated token; stops on SIGTERM', async () => {
    const notebooks = await mkdtemp(join(tmpdir(), 'trailbook-serve-'));
    dirs.push(notebooks);
    const state = await mkdtemp(join(tmpdir(), 'trailbook-serve-state-'));
    dirs.push(state);
    const env: Record<string, string> = { TRAILBOOK_DATA_DIR: DATASET, TRAILBOOK_TOKEN: '', TRAILBOOK_STATE_DIR: state };
    const server = run(['serve', '--port', '0', '--host', '127.0.0.1', '--notebook-dir', notebooks], env);
    const deadline = Date.now() + 60_000;
    let match: RegExpMatchArray | null = null;
    let exited = false;
    void server.exited.then(() => (exited = true));
    while (!(match = server.output().match(/running at (http:\/\/127\.0\.0\.1:\d+)\/\s+Sign in: paste this token into the login form:\s+([0-9a-f]{48})\n/)) && !exited && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(match, server.output()).not.toBeNull();
    const [, url, token] = match!;
    expect((await fetch(`${url}/healthcheck`)).status).toBe(200);
    expect((await fetch(`${url}/api/notebooks`)).status).toBe(401);
    expect((await fetch(`${url}/api/notebooks`, { headers: { authorization: `token ${token}` } })).status).toBe(200);
    // The token is never part of a URL, and one in a URL logs nobody in.
    expect(server.output()).not.toMatch(/token=/);
    const viaUrl = await fetch(`${url}/?token=${token}`, { redirect: 'manual' });
    expect(viaUrl.status).toBe(302);
    expect(viaUrl.headers.get('location')).toBe('/login?next=%2F');
    expect(viaUrl.headers.getSetCookie()).toEqual([]);
    // The share secret was generated in the state directory (0600), not beside the notebooks.
    expect((await stat(join(state, 'share-secret'))).mode & 0o777).toBe(0o600);
    expect(await readdir(notebooks)).toEqual([]);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 90_000);

  it('rejects bad options and configuration with a clear message and exit code 2', async () => {
    const shortToken = run(['serve'], { TRAILBOOK_TOKEN: 'short' });
    expect(await shortToken.exited).toBe(2);
    expect(shortToken.output()).toMatch(/TRAILBOOK_TOKEN must be at least 8 characters/);
    const bad = run(['serve', '--port', 'eighty'], {});
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--port must be an integer/);
    const unknown = run(['serve', '--bogus'], {});
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toMatch(/Usage: trailbook serve/);
  }, 60_000);
});
