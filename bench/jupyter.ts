/**
 * The Jupyter front door beside the workbench path: launch to kernel_info_reply and to the first
 * result, and the `1+1` execute round trip over ZeroMQ (execute_request to both execute_reply and
 * the idle status, what a Jupyter client waits for) against KernelHost.execute directly.
 * Run: npx tsx bench/jupyter.ts [--cells N] [--starts N]
 */
import { parseArgs } from 'node:util';
import { loadDataConfig } from '../cloudtrail/config.ts';
import { ensureDefaultSampleData } from '../cloudtrail/generator/index.ts';
import { kernelBundle } from '../kernel/bundle.ts';
import { createKernelHost } from '../kernel/host.ts';
import { jupyterBundle } from '../kernel/jupyter/bundle.ts';
import { JupyterClient } from '../test/kernel/jupyter/client.ts';
import { loadLine, processCpuMs as cpuMs } from './cpu.ts';

const { values } = parseArgs({ options: { cells: { type: 'string', default: '500' }, starts: { type: 'string', default: '5' } } });
const cells = Number(values.cells);
const starts = Number(values.starts);

/** One cell: ms from execute_request to its execute_reply, and to its idle status (after the cell's type warnings). */
async function timedExecute(client: JupyterClient, code: string, timeoutMs?: number) {
  const t0 = performance.now();
  const id = await client.send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  const idle = client.iopubFor(id, timeoutMs).then(() => performance.now() - t0);
  const reply = await client.reply('shell', id, timeoutMs);
  const toReply = performance.now() - t0;
  if (reply.content.status !== 'ok') throw new Error(`${code} failed`);
  return { toReply, toIdle: await idle };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;
// Both bundles current and the default sample data in place, so no build or data generation is timed.
await Promise.all([kernelBundle(), jupyterBundle(), ensureDefaultSampleData(loadDataConfig())]);

// --- Launch ---
const toInfo: number[] = [];
const infoCpu: number[] = [];
const toResult: number[] = [];
const toFirstIdle: number[] = [];
for (let i = 0; i < starts; i++) {
  const t0 = performance.now();
  // A DEALER queues until it connects, so the request is sent while the kernel is still starting; it
  // retries the connection every 10 ms rather than ZeroMQ's default 100 ms, to time the kernel, not the back-off.
  const client = await JupyterClient.launch({ reconnectIntervalMs: 10 });
  await client.request('shell', 'kernel_info_request', {}, 30_000);
  toInfo.push(performance.now() - t0);
  infoCpu.push(cpuMs(client.process.pid!)); // the front door's whole life so far: node's own start included
  const sent = performance.now() - t0;
  const first = await timedExecute(client, '1 + 1', 300_000);
  toResult.push(sent + first.toReply);
  toFirstIdle.push(performance.now() - t0); // the idle follows the cell's type check, the kernel's first (TypeScript loads, up to 3 s)
  await client.close();
}
const host = createKernelHost();
const hostStarts: number[] = [];
for (let i = 0; i < starts; i++) {
  const t0 = performance.now();
  const k = await host.start();
  if ((await k.execute({ code: '1 + 1' })).status !== 'ok') throw new Error('first cell failed');
  hostStarts.push(performance.now() - t0);
  await k.shutdown();
}

// --- Round trip ---
const client = await JupyterClient.launch();
await client.ready();
if (process.env.TRAILBOOK_TYPECHECK !== 'off') await client.warmTypecheck(); // TypeScript loaded: each cell's check is then the warm one a session sees
for (let i = 0; i < 50; i++) await client.execute(`${i}`); // warm up
const viaZmq: number[] = [];
const zmqReply: number[] = [];
const cpuBefore = cpuMs(client.process.pid!);
for (let i = 0; i < cells; i++) {
  client.received.iopub.length = 0;
  client.received.shell.length = 0;
  const { toReply, toIdle } = await timedExecute(client, '1 + 1');
  zmqReply.push(toReply);
  viaZmq.push(toIdle);
}
const frontDoorCpu = (cpuMs(client.process.pid!) - cpuBefore) / cells;
await client.close();

const kernel = await host.start();
for (let i = 0; i < 50; i++) await kernel.execute({ code: `${i}` });
const viaHost: number[] = [];
for (let i = 0; i < cells; i++) {
  const t0 = performance.now();
  await kernel.execute({ code: '1 + 1' });
  viaHost.push(performance.now() - t0);
}
await host.shutdownAll();

console.log(loadLine());
console.log(`launch to kernel_info_reply (Jupyter, median of ${starts}): ${ms(median(toInfo))} (min ${ms(Math.min(...toInfo))}, max ${ms(Math.max(...toInfo))}); front-door CPU by then ${ms(median(infoCpu))} (10 ms ticks)`);
console.log(`launch to first result (median of ${starts}): Jupyter ${ms(median(toResult))} (to its idle, after the kernel's first type check: ${ms(median(toFirstIdle))}), workbench path (KernelHost) ${ms(median(hostStarts))}`);
console.log(`1+1 round trip (n=${cells}): Jupyter over ZeroMQ to execute_reply median ${ms(median(zmqReply))}, p95 ${ms(p95(zmqReply))}; to idle (after the type check) median ${ms(median(viaZmq))}, p95 ${ms(p95(viaZmq))}; workbench path (KernelHost.execute) median ${ms(median(viaHost))}, p95 ${ms(p95(viaHost))}; front-door CPU per cell ${ms(frontDoorCpu)}`);
