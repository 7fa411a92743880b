/**
 * Kernel figures: cold start to first result, trivial cell round trip (median, p95), restart time,
 * and a one-off bundle build. Run: npx tsx bench/kernel.ts [--cells N] [--starts N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kernelBundle } from '../kernel/bundle.ts';
import { createKernelHost } from '../kernel/host.ts';

const { values } = parseArgs({ options: { cells: { type: 'string', default: '500' }, starts: { type: 'string', default: '5' } } });
const cells = Number(values.cells);
const starts = Number(values.starts);

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

const host = createKernelHost();
const coldStarts: number[] = [];
for (let i = 0; i < starts; i++) {
  t = performance.now();
  const k = await host.start();
  const r = await k.execute({ code: '1 + 1' });
  if (r.status !== 'ok') throw new Error('first cell failed');
  coldStarts.push(performance.now() - t);
  await k.shutdown();
}

const kernel = await host.start();
for (let i = 0; i < 50; i++) await kernel.execute({ code: `${i}` }); // warm up
const trips: number[] = [];
for (let i = 0; i < cells; i++) {
  t = performance.now();
  await kernel.execute({ code: `${i} + 1` });
  trips.push(performance.now() - t);
}

const restarts: number[] = [];
for (let i = 0; i < starts; i++) {
  t = performance.now();
  await kernel.restart();
  await kernel.execute({ code: '1' });
  restarts.push(performance.now() - t);
}
await host.shutdownAll();

console.log(`kernel bundle build (esbuild, once per source change): ${ms(buildMs)}`);
console.log(`cold start to first result (median of ${starts}): ${ms(quantile(coldStarts, 0.5))} (min ${ms(Math.min(...coldStarts))}, max ${ms(Math.max(...coldStarts))})`);
console.log(`trivial cell round trip (n=${cells}): median ${ms(quantile(trips, 0.5))}, p95 ${ms(quantile(trips, 0.95))}`);
console.log(`restart to first result (median of ${starts}): ${ms(quantile(restarts, 0.5))}`);
