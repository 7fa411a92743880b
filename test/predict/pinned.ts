import { gunzipSync, gzipSync } from 'node:zlib';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionOf, type Principal, type TrailEvent } from '../../cloudtrail/event.ts';
import { detectAnomalies } from '../../predict/anomalies.ts';
import { burstContext } from '../../predict/burst-model.ts';
import type { Engine } from '../../predict/engine.ts';
import { evaluate } from '../../predict/evaluate.ts';
import { nextActions } from '../../predict/service.ts';

/**
 * Every answer the prediction engine gives on a fixed sample, pinned as computed before a change to the models'
 * code, so that a rewrite of how they count (tries, bursts, fits) is held to the same predictions, probabilities,
 * profiles, peers, shapes and evaluation bit for bit. The sample is generated CloudTrail (a dense day, like the load
 * bench's set: long sessions, deep contexts, more training bursts than the burst fit takes) kept as columns, so the
 * pin does not move when the generator changes.
 *
 *   npx tsx test/predict/pinned.ts --write      # re-pins from the code as it is (only when answers are meant to change)
 */

export const FIXTURES = join(import.meta.dirname, 'fixtures');
const SAMPLE = join(FIXTURES, 'pinned-sample.json.gz');
const ANSWERS = join(FIXTURES, 'pinned-answers.json.gz');

interface Sample {
  strings: string[];
  principals: Principal[];
  /** Nine numbers an event: time, principal, then string ids of source, name, region, sourceIp, userAgent, errorCode (0: none), readOnly (0, 1, 2 unknown). */
  events: number[];
}
const WIDTH = 9;

/** The sample's events as plain objects (in the order the store read them: time, then id). */
export function pinnedEvents(): TrailEvent[] {
  const s = JSON.parse(gunzipSync(readFileSync(SAMPLE)).toString('utf8')) as Sample;
  const out: TrailEvent[] = [];
  for (let i = 0; i < s.events.length; i += WIDTH) {
    const [time, p, source, name, region, ip, agent, error, ro] = s.events.slice(i, i + WIDTH);
    out.push({
      id: `pinned-${String(i / WIDTH).padStart(7, '0')}`,
      time,
      source: s.strings[source],
      name: s.strings[name],
      region: s.strings[region],
      account: '123456789012',
      principal: s.principals[p],
      sourceIp: s.strings[ip],
      userAgent: s.strings[agent],
      errorCode: error ? s.strings[error] : undefined,
      readOnly: ro === 2 ? undefined : ro === 1,
      resources: [],
    } as unknown as TrailEvent);
  }
  return out;
}

/** Writes the sample from events as a store read them. */
export function writeSample(events: readonly TrailEvent[]): void {
  const strings = [''];
  const ids = new Map<string, number>([['', 0]]);
  const code = (x: string | undefined) => {
    let id = ids.get(x ?? '');
    if (id === undefined) ids.set(x!, (id = strings.push(x!) - 1));
    return id;
  };
  const principals: Principal[] = [];
  const byKey = new Map<string, number>();
  const flat: number[] = [];
  for (const e of events) {
    // Generated access key ids look like real ones to secret scanners, and no model reads them.
    const { accessKeyId: _, ...who } = e.principal;
    const key = JSON.stringify(who);
    let p = byKey.get(key);
    if (p === undefined) byKey.set(key, (p = principals.push(who) - 1));
    flat.push(e.time, p, code(e.source), code(e.name), code(e.region), code(e.sourceIp), code(e.userAgent), code(e.errorCode), e.readOnly === undefined ? 2 : e.readOnly ? 1 : 0);
  }
  writeFileSync(SAMPLE, gzipSync(JSON.stringify({ strings, principals, events: flat })));
}

/** What an engine trained on the sample answers, as JSON (numbers round-trip exactly). */
export function answersOf(engine: Engine): unknown {
  const principals = [...engine.profiles.keys()];
  const out: Record<string, unknown> = {
    eventCount: engine.eventCount,
    profiles: [...engine.profiles.values()],
    peers: { groups: engine.peers.groups, groupOf: [...engine.peers.groupOf], similar: principals.map((p) => engine.peers.similar(p, 8)) },
    vocab: engine.model.vocab.names,
    counts: [engine.model.count(), ...principals.map((p) => engine.model.count(p))],
    bursts: { weights: Array.from(engine.bursts!.weights), fitted: engine.bursts!.fitted, trained: engine.bursts!.trainedBursts, shapes: engine.bursts!.shapes.shapes },
    anomalies: detectAnomalies(engine, { limit: 200 }),
  };
  const per: unknown[] = [];
  for (const principal of principals) {
    const list = engine.events.get(principal)!;
    const at = [1, 2, 5, Math.floor(list.length / 3), Math.floor((2 * list.length) / 3), list.length].filter((i, j, all) => i <= list.length && all.indexOf(i) === j);
    per.push({
      principal,
      next: nextActions(engine, { principal, k: 10 }),
      nextNewSession: nextActions(engine, { principal, k: 5, gapMinutes: 600 }),
      at: at.map((i) => {
        const recent = list.slice(Math.max(0, i - 200), i).map(actionOf);
        const ctx = burstContext(list.slice(0, i), 15);
        return {
          i,
          sequence: engine.model.predict(principal, 10, { recent }),
          sequenceShort: engine.model.predict(principal, 5, { recent: recent.slice(-3) }),
          sequenceNewSession: engine.model.predict(principal, 5, { recent, gapMs: 86_400_000 }),
          prob: engine.model.prob(principal, recent.at(-1) ?? 'nothing:Nothing', { recent: recent.slice(0, -1) }),
          burst: engine.bursts!.predict(principal, ctx, 8),
          next: nextActions(engine, { principal, k: 5, recent: recent.slice(-50) }),
        };
      }),
    });
  }
  out.principals = per;
  // Someone the model never saw: peers and account only.
  out.stranger = engine.model.predict('nobody-at-all', 10, { recent: ['s3.amazonaws.com:GetObject'] });
  return out;
}

/** The held-out evaluation of the sample (event level and bursts), without tuning. */
export function evaluationOf(events: readonly TrailEvent[]): unknown {
  const r = evaluate(events, { tune: false, tieOrders: 2 });
  // Timings vary from run to run: everything else is pinned.
  const untimed = JSON.stringify({ scores: r.scores, spread: r.tieOrders.spread, bursts: r.bursts, calibration: r.calibration, split: r.split }, (k, v) => (k === 'predictMicros' || k === 'trainMs' ? undefined : v));
  return JSON.parse(untimed);
}

export const readAnswers = (): { answers: unknown; evaluation: unknown } => JSON.parse(gunzipSync(readFileSync(ANSWERS)).toString('utf8'));

if (process.argv.includes('--write')) {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { generate } = await import('../../cloudtrail/generator/index.ts');
  const { openFilesStore } = await import('../../cloudtrail/stores/files.ts');
  const { trainEngine } = await import('../../predict/engine.ts');
  if (process.argv.includes('--sample')) {
    const dir = await mkdtemp(join(tmpdir(), 'trailbook-pinned-'));
    generate({ outDir: dir, events: 40_000, days: 2, seed: 61 });
    const store = await openFilesStore(dir, { cacheDir: false });
    const events: TrailEvent[] = [];
    for await (const e of store.scan()) events.push(e);
    writeSample(events);
    await rm(dir, { recursive: true, force: true });
  }
  const events = pinnedEvents();
  const answers = answersOf(trainEngine(events));
  writeFileSync(ANSWERS, gzipSync(JSON.stringify({ answers, evaluation: evaluationOf(events) })));
  console.log(`pinned ${events.length} events' answers in ${ANSWERS}`);
}
