import { copyFile, readFile, rm, stat, truncate } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { emptyNotebook } from '../../notebook/format.ts';
import { SHARE_SECRET_FILE } from '../../workbench/share.ts';
import { fixtureRecords } from '../mcp/fixture.ts';
import { browserFetch, openKernelSocket, upgradeStatus } from '../workbench/helpers.ts';
import {
  concurrentGets,
  describeSummary,
  DISPLAY_FLOOD,
  INVALID_UTF8,
  kernelSocketUrl,
  overLimit,
  pollHealthcheck,
  resultText,
  runCell,
  sampleRss,
  sendFrame,
  streamText,
  summarise,
  wrongTokenStorm,
  writeBigNotebook,
} from './floods.ts';
import { DEPLOYMENT_SECRET, hashFiles, login, MB, NULL_FIELD_RECORDS, startFaultServer, type FaultServer } from './server.ts';

/**
 * Issue #9's table, replayed against the real `trailbook serve` process, one row per test. After every row the
 * process is still running, /healthcheck answers, and every notebook file is byte-identical to before it except
 * the ones the row changes on purpose (declared with `changes(...)`).
 *
 * Rows answered elsewhere: a tracked secret in git (test/repo/secrets.test.ts scans `git ls-files`); the UI
 * refusing to send a cell over the limit (test/workbench/kernel-socket-ui.test.ts, in a browser); MCP over HTTP
 * and impossible dates through a real MCP client (test/fault/mcp-http.test.ts, against `trailbook mcp --http`).
 */

const MESSAGE_LIMIT = 4 * MB; // the default TRAILBOOK_MAX_MESSAGE_MB
const KERNEL_MEMORY_MB = 192; // small, so a cell fills it in seconds

let server: FaultServer;
let before: Map<string, string>;
const changing = new Set<string>();
/** The row changes these notebook files on purpose; every other file must stay byte-identical. */
const changes = (...names: string[]) => names.forEach((n) => changing.add(n));

const auth = () => ({ authorization: `token ${server.token}` });
const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...auth(), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

/** Status of a request (101 when an upgrade was accepted), optionally from another loopback address. */
function status(path: string, headers: Record<string, string>, localAddress?: string): Promise<number> {
  return new Promise((done, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers, localAddress }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      done(101);
    });
    req.on('error', reject);
    req.end();
  });
}

const UPGRADE = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };

/** Raw bytes to the server; whatever it answered before closing. */
function raw(text: string, reset = false): Promise<string> {
  return new Promise((done) => {
    const socket = connect(server.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => done(answer));
    socket.on('close', () => done(answer));
    socket.write(text);
    if (reset) setTimeout(() => (socket.resetAndDestroy(), done(answer)), 200);
  });
}

beforeAll(async () => {
  server = await startFaultServer({ TRAILBOOK_KERNEL_MEMORY_MB: String(KERNEL_MEMORY_MB) });
  // Real saved reports with outputs, and notebooks the rows open kernels on.
  for (const name of ['01-getting-started.ipynb', '04-investigation.ipynb']) await copyFile(resolve(import.meta.dirname, '../../notebooks', name), join(server.notebookDir, name));
  for (const name of ['target.ipynb', 'flood.ipynb', 'env.ipynb', 'oom.ipynb', 'data.ipynb']) expect((await api('/api/notebooks', { method: 'POST', body: { name } })).status).toBe(201);
  before = await hashFiles(server.notebookDir);
}, 120_000);

afterAll(() => server?.stop());

afterEach(async () => {
  expect(server.alive(), `the server exited:\n${server.output()}`).toBe(true);
  const health = await fetch(`${server.url}/healthcheck`, { signal: AbortSignal.timeout(10_000) });
  expect(health.status).toBe(200);
  const after = await hashFiles(server.notebookDir);
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    if (!changing.has(name)) expect(after.get(name), `${name} changed`).toBe(before.get(name));
  }
  before = after;
  changing.clear();
}, 60_000);

describe('trailbook serve under every attack of issue #9', () => {
  it('an invalid UTF-8 WebSocket frame closes that connection with 1007', async () => {
    expect((await sendFrame(server, 'target.ipynb', INVALID_UTF8)).code).toBe(1007);
    // The next connection to the same notebook is served.
    const socket = await openKernelSocket(server, 'target.ipynb');
    await socket.waitFor((m) => m.type === 'status');
    socket.close();
  });

  it('a frame over the limit closes that connection with 1009 and a reason the UI shows', async () => {
    expect(await sendFrame(server, 'target.ipynb', overLimit(MESSAGE_LIMIT))).toEqual({ code: 1009, reason: 'message too large: over the 4 MB limit (TRAILBOOK_MAX_MESSAGE_MB)' });
  });

  it('an undecodable session cookie is "not logged in" on the upgrade and on HTTP', async () => {
    const bad = { cookie: 'trailbook_session=%E0%A4%A', origin: server.origin, host: server.host };
    expect(await status('/api/kernels/ws?notebook=target.ipynb', { ...UPGRADE, ...bad })).toBe(401);
    expect(await status('/api/notebooks', bad)).toBe(401);
    expect(await status('/', bad)).toBe(302); // to the login page
  });

  it('keeps the generated share secret in the state directory (0600), nothing secret beside the notebooks', async () => {
    const secret = await stat(join(server.stateDir, SHARE_SECRET_FILE));
    expect(secret.mode & 0o777).toBe(0o600);
    expect([...before.keys()].filter((name) => !name.endsWith('.ipynb'))).toEqual([]);
  });

  it('1500 displays of 4.5 MB through the workbench socket: one truncation note, server memory bounded', async () => {
    const socket = await openKernelSocket(server, 'flood.ipynb');
    expect((await runCell(socket, 'warm', '1')).status).toBe('ok');
    const baseline = await server.rssBytes();
    const rss = sampleRss(server);
    const poll = pollHealthcheck(server.url);
    await poll.ready;
    const started = performance.now();
    const run = await runCell(socket, 'flood', DISPLAY_FLOOD);
    const peak = await rss.stop();
    const { latencies, failures } = await poll.stop();
    socket.close();
    expect(run.status).toBe('ok');
    // One 9 MB display (text/html and text/plain) fits the default 16 MB cell budget; the other 1499 are dropped.
    expect(run.outputs.filter((o) => o.output_type === 'display_data')).toHaveLength(1);
    expect(streamText(run.outputs, 'stderr')).toBe('[Output truncated: this cell produced more than 16 MB of output (limit set by TRAILBOOK_CELL_OUTPUT_MB); 1499 further outputs were dropped.]\n');
    const health = summarise(latencies);
    console.log(`display flood: ${((performance.now() - started) / 1000).toFixed(1)} s, server RSS ${Math.round(baseline / MB)} MB → peak ${Math.round(peak / MB)} MB; /healthcheck ${describeSummary(health)}`);
    expect(peak - baseline).toBeLessThan(500 * MB);
    // Target p99 < 100 ms. Not met yet: the kernel host's IPC ('advanced' serialization) copies its receive buffer
    // per chunk, so taking in the one 9 MB display blocks the server's event loop for ~0.3-1 s (bench/healthcheck.ts).
    // This bound catches the server stalling for good, as it did before the budgets.
    expect(failures).toEqual([]);
    expect(health.max).toBeLessThan(5_000);
  }, 180_000);

  it('a cell reading process.env sees neither the token, the share secret nor other secrets, and cannot use the API', async () => {
    const socket = await openKernelSocket(server, 'env.ipynb');
    const run = await runCell(socket, 'env', `console.log(JSON.stringify(process.env)); (await fetch('${server.url}/api/notebooks')).status`);
    socket.close();
    expect(run.status).toBe('ok');
    const env = JSON.parse(streamText(run.outputs, 'stdout')) as Record<string, string>;
    const shareSecret = (await readFile(join(server.stateDir, SHARE_SECRET_FILE), 'utf8')).trim();
    const values = Object.values(env).join('\n');
    for (const secret of [server.token, shareSecret, DEPLOYMENT_SECRET.value]) expect(values).not.toContain(secret);
    expect(Object.keys(env)).not.toContain('TRAILBOOK_TOKEN');
    expect(env.TRAILBOOK_DATA_DIR).toBe(server.dataDir); // the data settings do reach the kernel
    expect(resultText(run.outputs)).toBe('401');
  });

  it('a cell filling memory ends with one clean line, and the next run starts a fresh kernel', async () => {
    const socket = await openKernelSocket(server, 'oom.ipynb');
    const hog = await runCell(socket, 'hog', 'const hog: number[][] = []; while (true) hog.push(new Array(1e6).fill(1))');
    expect(hog.status).toBe('error');
    expect(hog.outputs).toEqual([expect.objectContaining({ output_type: 'error', ename: 'KernelDied', evalue: expect.stringMatching(new RegExp(`^The kernel ran out of memory: limit ${KERNEL_MEMORY_MB} MB\\. `)) })]);
    expect(hog.messages).toContainEqual({ type: 'status', status: 'dead', detail: `The kernel ran out of memory: limit ${KERNEL_MEMORY_MB} MB.` });
    expect(JSON.stringify(hog.messages) + server.output()).not.toMatch(/FATAL ERROR|Last few GCs|Native stack trace/);
    const next = await runCell(socket, 'next', '1 + 1');
    socket.close();
    expect(resultText(next.outputs)).toBe('2');
  }, 120_000);

  it('six GETs each of a 200 MB notebook (413) and a ~90 MB one (200) leave /healthcheck answering', async () => {
    await rm(join(server.notebookDir, 'giant.ipynb'), { force: true });
    await copyFile('/dev/null', join(server.notebookDir, 'giant.ipynb'));
    await truncate(join(server.notebookDir, 'giant.ipynb'), 200 * MB); // sparse: only its size matters, it is never read
    const size = await writeBigNotebook(join(server.notebookDir, 'big.ipynb'), 90);
    changes('giant.ipynb', 'big.ipynb');
    const poll = pollHealthcheck(server.url);
    await poll.ready;
    const started = performance.now();
    const [giant, big] = await Promise.all([concurrentGets(server, '/api/notebooks/giant.ipynb', 6), concurrentGets(server, '/api/notebooks/big.ipynb', 6)]);
    const elapsed = performance.now() - started;
    const { latencies, failures } = await poll.stop();
    expect(failures).toEqual([]);
    expect(giant.map((g) => g.status)).toEqual(Array(6).fill(413));
    expect(big.map((b) => b.status)).toEqual(Array(6).fill(200));
    for (const b of big) expect(b.bytes).toBeGreaterThan(size * 0.7); // the API drops the file's indentation
    const summary = summarise(latencies);
    console.log(`six GETs of 200 MB + six of ${(size / MB).toFixed(0)} MB: ${(elapsed / 1000).toFixed(1)} s; /healthcheck ${describeSummary(summary)}`);
    expect(summary.count).toBeGreaterThan(10);
    expect(summary.p99).toBeLessThan(500); // target < 100 ms; generous for a loaded 2-core machine
    await rm(join(server.notebookDir, 'giant.ipynb'));
    await rm(join(server.notebookDir, 'big.ipynb'));
  }, 300_000);

  it('an old session cookie is refused after logout, on HTTP and on the kernel socket', async () => {
    const session = await login(server.url);
    const headers = { cookie: session.cookie, origin: server.origin };
    expect((await fetch(`${server.url}/api/notebooks`, { headers })).status).toBe(200);
    const out = await fetch(`${server.url}/logout`, { method: 'POST', redirect: 'manual', headers: { ...headers, 'x-csrf-token': session.csrf } });
    expect(out.status).toBe(302);
    expect((await fetch(`${server.url}/api/notebooks`, { headers })).status).toBe(401);
    expect(await upgradeStatus(kernelSocketUrl(server, 'target.ipynb'), headers)).toBe(401);
    // The suite's own session is untouched.
    expect((await browserFetch(server, '/api/notebooks')).status).toBe(200);
  });

  it('200 wrong tokens from one client: 429 after the tenth, while other clients are served', async () => {
    const statuses = await wrongTokenStorm(server, 200, '127.0.0.2');
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(190).fill(429));
    // Throttled, the right token is not even checked for that client; another client is unaffected.
    expect(await status('/api/notebooks', { ...auth(), host: server.host }, '127.0.0.2')).toBe(429);
    expect(await status('/api/notebooks', { ...auth(), host: server.host })).toBe(200);
  });

  it('a foreign Host (DNS rebinding) is refused on HTTP and on the upgrade', async () => {
    const foreign = `evil.example:${server.port}`;
    expect(await status('/api/notebooks', { ...auth(), host: foreign })).toBe(403);
    expect(await status('/', { host: foreign })).toBe(403);
    expect(await status('/api/kernels/ws?notebook=target.ipynb', { ...UPGRADE, ...auth(), host: foreign })).toBe(403);
  });

  it('share links follow a rename, die with a delete, can be revoked, refuse a trailing "=", and name the Host', async () => {
    changes('report.ipynb', 'renamed.ipynb');
    expect((await api('/api/notebooks', { method: 'POST', body: { name: 'report.ipynb' } })).status).toBe(201);
    // A script with the token and no Origin header: the link is built from the Host, never "null/share/…".
    const made = (await (await api('/api/notebooks/report.ipynb/share', { method: 'POST', body: {} })).json()) as { id: string; url: string };
    expect(made.url.startsWith(`${server.url}/share/`)).toBe(true);
    expect((await fetch(made.url)).status).toBe(200);

    const [payload, sig] = made.url.split('/share/')[1]!.split('.') as [string, string];
    expect((await fetch(`${server.url}/share/${payload}.${sig}=`)).status).toBe(403);

    expect((await api('/api/notebooks/report.ipynb/rename', { method: 'POST', body: { to: 'renamed.ipynb' } })).status).toBe(200);
    const followed = await fetch(made.url);
    expect(followed.status).toBe(200);
    expect(await followed.text()).toContain('renamed');

    expect((await api('/api/notebooks/renamed.ipynb', { method: 'DELETE' })).status).toBe(204);
    for (const name of ['renamed.ipynb', 'report.ipynb']) expect((await api('/api/notebooks', { method: 'POST', body: { name } })).status).toBe(201);
    expect((await fetch(made.url)).status).toBe(410); // a new notebook under either name is not the shared one

    const second = (await (await api('/api/notebooks/report.ipynb/share', { method: 'POST', body: { expiresInHours: 1 } })).json()) as { id: string; url: string };
    expect((await fetch(second.url)).status).toBe(200);
    expect((await api(`/api/shares/${second.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(second.url)).status).toBe(410);
  });

  it('a rename racing a save: the old name never comes back and no acknowledged save is lost', async () => {
    for (let i = 0; i < 6; i++) {
      const [from, to] = [`race-${i}.ipynb`, `race-${i}-renamed.ipynb`];
      changes(from, to);
      const created = (await (await api('/api/notebooks', { method: 'POST', body: { name: from } })).json()) as { version: string };
      const notebook = { ...emptyNotebook(), cells: [{ id: 'c1', cell_type: 'code' as const, source: `edit ${i}`, metadata: {}, execution_count: null, outputs: [] }] };
      const lead = (i % 3) * 2;
      const save = () => api(`/api/notebooks/${from}`, { method: 'PUT', body: { notebook, version: created.version } });
      const rename = () => new Promise<Response>((r) => setTimeout(() => r(api(`/api/notebooks/${from}/rename`, { method: 'POST', body: { to } })), i % 2 ? lead : 0));
      const [saved, renamed] = await Promise.all([save(), rename()]);
      expect(renamed.status).toBe(200);
      expect((await api(`/api/notebooks/${from}`)).status, `round ${i}: the old name came back`).toBe(404);
      const source = (JSON.parse(await readFile(join(server.notebookDir, to), 'utf8')) as { cells: { source: string[] }[] }).cells[0]?.source.join('');
      if (saved.status === 200) expect(source, `round ${i}: an acknowledged save was lost`).toBe(`edit ${i}`);
      else expect(saved.status).toBe(409);
    }
  }, 120_000);

  it('counts records with null optional fields as events and non-CloudTrail files as skipped, in cloudtrail.status() in a cell', async () => {
    const socket = await openKernelSocket(server, 'data.ipynb');
    const run = await runCell(
      socket,
      'status',
      "const s = await cloudtrail.status(); const logins = await cloudtrail.events({ eventName: 'ConsoleLogin' }); console.log(JSON.stringify({ count: s.count, skipped: s.skipped, logins: logins.length, failed: logins.filter((e) => e.errorCode).length }))",
    );
    socket.close();
    expect(run.status).toBe('ok');
    // The cell that loads the store says what was skipped, once.
    expect(streamText(run.outputs, 'stderr')).toMatch(/^cloudtrail: skipped 2 files and 1 record that could not be used .* — cloudtrail\.status\(\) lists them\n$/);
    const result = JSON.parse(streamText(run.outputs, 'stdout')) as { count: number; skipped: { files: number; records: number; examples: { file: string }[] }; logins: number; failed: number };
    expect(result.count).toBe(fixtureRecords().length + NULL_FIELD_RECORDS);
    expect(result.logins).toBe(NULL_FIELD_RECORDS); // none dropped for their nulls
    expect(result.failed).toBe(4); // "errorCode": null is a success, not a failure
    expect(result.skipped).toMatchObject({ files: 2, records: 1 });
    expect(result.skipped.examples.map((e) => e.file)).toEqual(expect.arrayContaining(['notes.json', 'exports/broken.json.gz', 'lake-export.json.gz']));
  }, 120_000);

  it('survives malformed upgrades, a reset mid-handshake and bodies cut off mid-stream', async () => {
    expect(await raw(`GET http://[/api/kernels/ws HTTP/1.1\r\nHost: ${server.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    await raw(`GET /api/kernels/ws?notebook=target.ipynb HTTP/1.1\r\nHost: ${server.host}\r\nAuthorization: token ${server.token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`, true);
    for (const [line, type, extra] of [
      ['POST /login', 'application/x-www-form-urlencoded', ''],
      ['PUT /api/notebooks/target.ipynb', 'application/json', `Authorization: token ${server.token}\r\n`],
    ] as const) {
      await raw(`${line} HTTP/1.1\r\nHost: ${server.host}\r\nOrigin: ${server.origin}\r\n${extra}Content-Type: ${type}\r\nContent-Length: 100000\r\n\r\ntoken=abc`, true);
    }
  });

  it('logged each refused connection with its cause, and nothing fatal', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(server.output()).toMatch(/WS_ERR_INVALID_UTF8/);
    expect(server.output()).toMatch(/WS_ERR_UNSUPPORTED_MESSAGE_LENGTH/);
    expect(server.output()).not.toMatch(/unhandled|fatal|Uncaught/i);
  });
});
