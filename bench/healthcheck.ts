/**
 * /healthcheck latency of the real `trailbook serve` process while it is attacked (issue #9): the load balancer
 * replaces a task whose health check stops answering, which ends every analyst's kernels on it. Starts the
 * server on 127.0.0.1 with temp directories, then runs each flood for a bounded count or time while a separate
 * process polls /healthcheck every 20 ms, and prints p50/p99/max per flood. Target: p99 < 100 ms.
 *
 *   npx tsx bench/healthcheck.ts [--seconds 15]
 */
import { copyFile, truncate } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  concurrentGets,
  DISPLAY_FLOOD,
  garbageFrames,
  pollHealthcheck,
  runCell,
  sampleRss,
  summarise,
  wrongTokenStorm,
  writeBigNotebook,
  type Summary,
} from '../test/fault/floods.ts';
import { MB, startFaultServer } from '../test/fault/server.ts';
import { openKernelSocket } from '../test/workbench/helpers.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' } } });
const seconds = Number(values.seconds);
const MESSAGE_LIMIT = 4 * MB; // the default TRAILBOOK_MAX_MESSAGE_MB

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`load average at start: ${load()} (2 cores)`);
const server = await startFaultServer();
const rows: { flood: string; what: string; seconds: number; health: Summary; failures: number }[] = [];

/** Runs `flood` while /healthcheck is polled; `flood` returns what it did, in words. */
async function measure(name: string, flood: () => Promise<string>): Promise<void> {
  const poll = pollHealthcheck(server.url);
  await poll.ready;
  const started = performance.now();
  const what = await flood();
  const elapsed = (performance.now() - started) / 1000;
  const { latencies, failures } = await poll.stop();
  if (!server.alive()) throw new Error(`the server exited during ${name}:\n${server.output()}`);
  rows.push({ flood: name, what, seconds: elapsed, health: summarise(latencies), failures: failures.length });
  console.log(`  ${name}: done in ${elapsed.toFixed(1)} s`);
}

try {
  const api = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `token ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (const name of ['target.ipynb', 'flood.ipynb']) await api('/api/notebooks', { name });
  await copyFile('/dev/null', join(server.notebookDir, 'giant.ipynb'));
  await truncate(join(server.notebookDir, 'giant.ipynb'), 200 * MB); // sparse: refused by its size, never read
  const bigSize = await writeBigNotebook(join(server.notebookDir, 'big.ipynb'), 90);

  await measure('none (baseline)', async () => {
    await new Promise((r) => setTimeout(r, 5_000));
    return 'idle for 5 s';
  });

  await measure('WebSocket garbage frames', async () => {
    const codes = await garbageFrames(server, 'target.ipynb', 2_000, MESSAGE_LIMIT, { deadline: Date.now() + seconds * 1000 });
    return `${[...codes.values()].reduce((a, b) => a + b, 0)} connections, invalid UTF-8 / 4.5 MB frames alternately (closes: ${[...codes].map(([c, n]) => `${c}×${n}`).join(', ')})`;
  });

  await measure('big notebook GETs', async () => {
    const [big, giant] = await Promise.all([concurrentGets(server, '/api/notebooks/big.ipynb', 6), concurrentGets(server, '/api/notebooks/giant.ipynb', 6)]);
    const statuses = [...big, ...giant].map((d) => d.status).join(' ');
    return `6 × ${(bigSize / MB).toFixed(0)} MB and 6 × 200 MB at once (statuses ${statuses})`;
  });

  await measure('wrong-token storm', async () => {
    const deadline = Date.now() + seconds * 1000;
    const statuses: number[] = [];
    while (statuses.length < 5_000 && Date.now() < deadline) statuses.push(...(await wrongTokenStorm(server, 100, '127.0.0.2')));
    return `${statuses.length} wrong tokens from one client (${statuses.filter((s) => s === 429).length} answered 429)`;
  });

  const socket = await openKernelSocket(server, 'flood.ipynb');
  await runCell(socket, 'warm', '1');
  await measure('output flood', async () => {
    const rss = sampleRss(server);
    const baseline = await server.rssBytes();
    let runs = 0;
    const deadline = Date.now() + seconds * 1000;
    while (runs < 10 && (runs === 0 || Date.now() < deadline)) {
      const run = await runCell(socket, 'flood', DISPLAY_FLOOD);
      if (run.status !== 'ok') throw new Error(`the flood cell ended with ${run.status}`);
      runs++;
    }
    const peak = await rss.stop();
    return `${runs} runs of 1500 × 4.5 MB displays (server RSS ${Math.round(baseline / MB)} → peak ${Math.round(peak / MB)} MB)`;
  });
  socket.close();
} finally {
  await server.stop();
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
console.log(`\n/healthcheck every 20 ms during each flood (load average at end: ${load()})\n`);
console.log('| flood | what | time | probes | p50 | p99 | max | failed |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.flood} | ${r.what} | ${r.seconds.toFixed(1)} s | ${r.health.count} | ${ms(r.health.p50)} | ${ms(r.health.p99)} | ${ms(r.health.max)} | ${r.failures} |`);
