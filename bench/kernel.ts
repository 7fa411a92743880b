/**
 * Kernel figures, with the per-cell type check on (TRAILBOOK_TYPECHECK=warn, the default) and off, one
 * after the other in one run: cold start to first result, trivial cell round trip (median, p95),
 * restart time, and the CPU each costs (host process, its type-check thread included, plus the kernel
 * process), as wall times on a shared machine mostly measure the wait for a core.
 * Run: npx tsx bench/kernel.ts [--cells N] [--starts N] [--modes warn,off]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kernelBundle } from '../kernel/bundle.ts';
import { createKernelHost } from '../kernel/host.ts';
import { typecheckMode } from '../kernel/typecheck/session.ts';
import { loadLine, nicedThreadsCpuMs, ownCpuMs, processCpuMs } from './cpu.ts';

const { values } = parseArgs({
  options: { cells: { type: 'string', default: '500' }, starts: { type: 'string', default: '5' }, modes: { type: 'string', default: 'warn,off' } },
});
const cells = Number(values.cells);
const starts = Number(values.starts);
const modes = values.modes.split(',').map((m) => typecheckMode(m));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

// Bundle build, in a scratch cache so the shared one is untouched.
const scratch = mkdtempSync(join(tmpdir(), 'trailbook-bundle-'));
let t = performance.now();
await kernelBundle(scratch);
const buildMs = performance.now() - t;
rmSync(scratch, { recursive: true, force: true });
await kernelBundle(); // make sure the shared cache is warm
console.log(`kernel bundle build (esbuild, once per source change): ${ms(buildMs)}; ${loadLine()}`);
{
  // One untimed start, so the host's own first-use loading is not charged to the first mode measured.
  const host = createKernelHost({ typecheck: 'off' });
  await (await host.start()).execute({ code: '1' });
  await host.shutdownAll();
}

for (const mode of modes) {
  const host = createKernelHost({ typecheck: mode });
  const coldStarts: number[] = [];
  const coldCpu: number[] = [];
  for (let i = 0; i < starts; i++) {
    t = performance.now();
    const cpu0 = ownCpuMs();
    const k = await host.start();
    const r = await k.execute({ code: '1 + 1' });
    if (r.status !== 'ok') throw new Error('first cell failed');
    coldStarts.push(performance.now() - t);
    coldCpu.push(ownCpuMs() - cpu0 + processCpuMs(k.pid!));
    await k.shutdown();
  }

  const kernel = await host.start();
  for (let i = 0; i < 50; i++) await kernel.execute({ code: `${i}` }); // warm up
  const trips: number[] = [];
  const hostCpu0 = ownCpuMs();
  const kernelCpu0 = processCpuMs(kernel.pid!);
  for (let i = 0; i < cells; i++) {
    t = performance.now();
    await kernel.execute({ code: `${i} + 1` });
    trips.push(performance.now() - t);
  }
  const tripCpu = (ownCpuMs() - hostCpu0 + processCpuMs(kernel.pid!) - kernelCpu0) / cells;
  // The checks put off to quiet moments run in the checker's thread, at a lowered priority.
  const checkerCpu = nicedThreadsCpuMs();

  const restarts: number[] = [];
  for (let i = 0; i < starts; i++) {
    t = performance.now();
    await kernel.restart();
    await kernel.execute({ code: '1' });
    restarts.push(performance.now() - t);
  }
  await host.shutdownAll();

  console.log(`TRAILBOOK_TYPECHECK=${mode} (${loadLine()}):`);
  console.log(`  cold start to first result (median of ${starts}): ${ms(quantile(coldStarts, 0.5))} (min ${ms(Math.min(...coldStarts))}, max ${ms(Math.max(...coldStarts))}); CPU ${ms(quantile(coldCpu, 0.5))} (host + kernel)`);
  console.log(`  trivial cell round trip (n=${cells}): median ${ms(quantile(trips, 0.5))}, p95 ${ms(quantile(trips, 0.95))}; CPU ${ms(tripCpu)} per cell (host + kernel)`);
  console.log(`  restart to first result (median of ${starts}): ${ms(quantile(restarts, 0.5))}`);
  console.log(`  type-check thread CPU up to the end of the round trips: ${ms(checkerCpu)} in all`);
}
