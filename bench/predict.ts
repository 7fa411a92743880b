/**
 * Prediction-engine figures: training time (profiles + peer groups + sequence model + burst model) and the time of one top-5
 * prediction (median, p99) for 100k events from the sample-data generator, and for 1M events (the generated
 * 100k repeated over ten consecutive periods, so the same principals have ten times the history).
 * The 100k are trained from the events as read, and from the files store's columns (readTrainingColumns).
 * Training is reported in wall and CPU time (the CPU time says more on a loaded machine), prediction for the sequence
 * model alone and for both levels as predict.next answers (next action blended with the burst model, next burst).
 * Also the held-out evaluation on the 100k set (both levels, calibration, burst shapes against the generator's templates).
 * Run: npx tsx bench/predict.ts            (generated data is cached in .cache/bench-predict-100k)
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { actionOf, type TrailEvent } from '../cloudtrail/event.ts';
import { generate, hasDeliveryFiles } from '../cloudtrail/generator/index.ts';
import { openFilesStore } from '../cloudtrail/stores/files.ts';
import type { TrainingColumns } from '../predict/columns.ts';
import { readTrainingColumns, trainEngine } from '../predict/engine.ts';
import { evaluate } from '../predict/evaluate.ts';
import { nextActions } from '../predict/service.ts';
import { loadTruth } from '../predict/truth.ts';

const dir = resolve(import.meta.dirname, '../.cache/bench-predict-100k');
if (!existsSync(dir) || !hasDeliveryFiles(dir)) {
  const t = performance.now();
  generate({ outDir: dir, events: 100_000, seed: 42 });
  console.log(`generated 100k events in ${ms(performance.now() - t)}`);
}

// The machine's load when the figures were taken: on a shared machine wall time says little without it.
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`);
let t = performance.now();
const store = await openFilesStore(dir);
const base: TrailEvent[] = [];
for await (const e of store.scan()) base.push(e);
console.log(`loaded ${base.length} events from ${dir} in ${ms(performance.now() - t)}`);

function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`;
}

// A full collection before each training, outside its timing: otherwise a step pays for collecting what the step
// before it dropped (the 100k from columns, after the 1M, started with a ~740 MB full collection).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * A full collection, then a wait until the process is idle. The collection finds the garbage; V8's helper threads then
 * sweep and release it, and after the 1M (~650 MB dropped) that went on during the next step: about 1 CPU-s of helper
 * threads counted in the 100k-from-columns training (process CPU 2.3-2.8 s against 1.3-1.7 s on the main thread).
 */
async function settle(): Promise<void> {
  collectGarbage();
  for (let quiet = 0, waits = 0; quiet < 2 && waits < 100; waits++) {
    const c0 = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const c = process.cpuUsage(c0);
    quiet = c.user + c.system < 5_000 ? quiet + 1 : 0;
  }
}

async function measure(label: string, events: TrailEvent[] | TrainingColumns): Promise<void> {
  await settle();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const engine = trainEngine(events);
  const trainMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const trainCpuMs = (cpu.user + cpu.system) / 1000;
  // Real contexts: the 200 actions before random positions of random principals.
  const seqs = [...engine.events].filter(([, l]) => l.length > 300);
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const contexts = Array.from({ length: 2000 }, () => {
    const [principal, list] = seqs[Math.floor(rand() * seqs.length)];
    const i = 200 + Math.floor(rand() * (list.length - 200));
    return { principal, recent: list.slice(i - 200, i).map(actionOf) };
  });
  // The sequence model alone, and what predict.next and the MCP tool answer: both levels (next action blended
  // with the burst model, next burst and its shapes).
  // Wall time, and the process's CPU time per call: a call the OS preempts on a busy machine takes longer on the
  // clock but not in CPU time, so the CPU percentiles are what the code costs.
  const timed = (predict: (c: (typeof contexts)[number]) => unknown) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let round = 0; round < 5; round++)
      for (const c of contexts) {
        const c0 = process.cpuUsage();
        const s = performance.now();
        predict(c);
        const w = performance.now() - s;
        const u = process.cpuUsage(c0);
        if (round > 0) (wall.push(w * 1000), cpu.push(u.user + u.system)); // round 0 warms the JIT and the per-principal caches
      }
    const at = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))].toFixed(0);
    return `median ${at(wall, 0.5)} us, p99 ${at(wall, 0.99)} us (CPU ${at(cpu, 0.5)} / ${at(cpu, 0.99)} us) over ${wall.length}`;
  };
  const sequence = timed((c) => engine.model.predict(c.principal, 5, { recent: c.recent }));
  const both = timed((c) => nextActions(engine, { principal: c.principal, recent: c.recent, k: 5 }));
  const mem = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    `${label}: ${engine.eventCount} events, ${engine.profiles.size} principals, ${engine.model.vocab.size - 2} actions | ` +
      `train ${ms(trainMs)} (${ms(trainCpuMs)} CPU) | next action, sequence model (200-action context): ${sequence} | ` +
      `both levels (nextActions): ${both} | heap ${mem.toFixed(0)} MB`,
  );
}

await measure('100k', base);

// 1M: the same principals over ten consecutive periods of the generated range.
const span = base[base.length - 1].time - base[0].time + 86_400_000;
/** The record and resources of a shifted copy are the original's, read on demand like the store's own. */
const ORIGINAL = Symbol('original');
const original = {
  get raw(): TrailEvent['raw'] {
    return (this as unknown as { [ORIGINAL]: TrailEvent })[ORIGINAL].raw;
  },
  get resources(): TrailEvent['resources'] {
    return (this as unknown as { [ORIGINAL]: TrailEvent })[ORIGINAL].resources;
  },
};
/**
 * A copy of an event moved `r` periods later. The store may hand out views whose fields are getters over its
 * columns, which a spread would not copy: the fields prediction reads are copied one by one.
 */
function shifted(of: TrailEvent, r: number): TrailEvent {
  const { source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly } = of;
  const fields = { [ORIGINAL]: of, id: `${of.id}#${r}`, time: of.time + r * span, source, name, region, account, principal, sourceIp, userAgent, errorCode, errorMessage, readOnly };
  return Object.assign(Object.create(original) as typeof original, fields);
}
const million: TrailEvent[] = [];
for (let r = 0; r < 10; r++) for (const e of base) million.push(r === 0 ? e : shifted(e, r));
await measure('1M', million);
million.length = 0;
// The same 100k from the store's columns (what trainEngineFromStore reads; predict/columns.ts), no event made. After
// the 1M: the columns it reads stay in the heap and would slow the 1M's collections (1M 1.5-1.8 s -> 2.9 s).
await measure('100k from columns', await readTrainingColumns(store));

t = performance.now();
const report = evaluate(base, { truth: loadTruth(dir) });
console.log(`evaluation on 100k (with tuning) in ${ms(performance.now() - t)}:`);
for (const s of report.scores) console.log(`  ${s.model.padEnd(20)} top-1 ${s.top1.toFixed(4)}  top-5 ${s.top5.toFixed(4)}  MRR@5 ${s.mrr5.toFixed(4)}  (mean of ${report.tieOrders.orders} tie orders)`);
for (const s of report.bursts?.scores ?? []) console.log(`  next burst ${s.model.padEnd(20)} hit@1 ${s.hit1.toFixed(4)}  hit@5 ${s.hit5.toFixed(4)}  recall@5 ${s.recall5.toFixed(4)}`);
console.log(`  calibration: ECE next action ${report.calibration.events.ece}, next burst ${report.calibration.bursts?.ece}`);
if (report.truth) console.log(`  vs truth: ${report.truth.recovered} of ${report.truth.templates} generator burst templates matched by a learned shape`);
