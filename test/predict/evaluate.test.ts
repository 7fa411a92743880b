import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import evalCommand from '../../cli/commands/eval.ts';
import { UsageError } from '../../cli/command.ts';
import type { TrailEvent } from '../../cloudtrail/event.ts';
import { generate } from '../../cloudtrail/generator/index.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { evaluate, splitByPrincipal, type EvaluationReport } from '../../predict/evaluate.ts';
import { loadTruth } from '../../predict/truth.ts';
import { markovEvents } from './support.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function runCli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const code = await evalCommand.run(args);
    return { code, out: lines.join('\n') };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

const score = (r: EvaluationReport, model: string) => r.scores.find((s) => s.model === model)!;

describe('evaluation', () => {
  it('splits every principal 70/30 in time order', () => {
    const events = [...markovEvents('a', 100), ...markovEvents('b', 10, 2)];
    const { train, cut } = splitByPrincipal(events);
    expect(cut.get('a')).toBe(70);
    expect(cut.get('b')).toBe(7);
    const a = train.get('a')!;
    expect(a).toHaveLength(70);
    expect(Math.max(...a.map((e) => e.time))).toBeLessThan(Math.min(...events.filter((e) => e.principal.key === 'a' && !a.includes(e)).map((e) => e.time)));
  });

  it('trailbook eval on invictus-aws: meets the issue #15 goals at both levels, with tie-order spread and calibration', async () => {
    const { code, out } = await runCli([INVICTUS, '--json']);
    expect(code).toBe(0);
    const r: EvaluationReport = JSON.parse(out);
    expect(r.split.trainEvents + r.split.testEvents).toBe(2900);
    expect(r.scores.map((s) => s.model)).toEqual(['model', 'global-frequency', 'principal-frequency', 'markov-1']);
    const model = score(r, 'model');
    const markov = score(r, 'markov-1');
    // Event level, mean over 5 random tie orders: no worse than the mean the model before the realistic generator
    // scored on the same orders (0.239 / 0.434).
    expect(r.tieOrders.orders).toBe(5);
    expect(model.top1).toBeGreaterThanOrEqual(0.239);
    expect(model.top5).toBeGreaterThanOrEqual(0.434);
    expect(model.top1).toBeGreaterThan(markov.top1);
    expect(model.mrr5).toBeGreaterThan(markov.mrr5);
    expect(r.gainOverMarkov.top1).toBeCloseTo(model.top1 - markov.top1, 4);
    for (const s of r.scores) {
      expect(s.top1).toBeLessThanOrEqual(s.mrr5);
      expect(s.mrr5).toBeLessThanOrEqual(s.top5);
    }
    // The spread is real: re-ordering ties moves first-order Markov, and each score is the mean of its orders.
    const spread = r.tieOrders.spread.find((s) => s.model === 'markov-1')!;
    expect(spread.top1.sd).toBeGreaterThan(0.005);
    expect(spread.top1.min).toBeLessThan(spread.top1.max);
    expect(spread.top1.mean).toBe(markov.top1);
    // Burst level: hit@5 >= 0.55 and recall@5 >= 0.45, well above the reference of the issue (0.455 / 0.362).
    const bursts = r.bursts!;
    expect(bursts.scores.map((s) => s.model)).toEqual(['model', 'global-frequency', 'principal-frequency', 'latest-burst', 'burst-reference']);
    const b = bursts.scores[0];
    expect(b.hit5).toBeGreaterThanOrEqual(0.55);
    expect(b.recall5).toBeGreaterThanOrEqual(0.45);
    const ref = bursts.scores.find((s) => s.model === 'burst-reference')!;
    expect(ref.hit5).toBeCloseTo(0.455, 1);
    expect(ref.recall5).toBeCloseTo(0.362, 1);
    for (const s of bursts.scores.slice(1)) expect(b.hit5, s.model).toBeGreaterThan(s.hit5);
    expect(bursts.split.meanBurstEvents).toBeCloseTo(4.61, 2);
    expect(bursts.shapes.count).toBeGreaterThan(5);
    // Calibration: both levels' probabilities are within a few points of what happened.
    expect(r.calibration.events.ece).toBeLessThan(0.05);
    expect(r.calibration.bursts!.ece).toBeLessThan(0.1);
    expect(r.calibration.bursts!.bins.reduce((n, bin) => n + bin.predictions, 0)).toBe(r.calibration.bursts!.predictions);
    // Tuning looked only at a validation split inside the training part.
    expect(r.tuning!.validation.length).toBeGreaterThan(1);
    expect(r.truth).toBeUndefined();
  });

  it('prints a readable table and rejects bad arguments', async () => {
    const { code, out } = await runCli([INVICTUS, '--no-tune', '--tie-orders', '2', '--seed', '7']);
    expect(code).toBe(0);
    expect(out).toMatch(/mean over 2 random orders of same-second events \(seed 7\)/);
    expect(out).toMatch(/model\s+top-1\s+top-5\s+MRR@5/);
    expect(out).toMatch(/markov-1\s+0\.\d{4} \+-0\.\d{4}/);
    expect(out).toMatch(/model\s+hit@1\s+hit@5\s+recall@5/);
    expect(out).toMatch(/burst-reference\s+0\.\d{4}/);
    expect(out).toMatch(/next burst: ECE 0\.\d{4} over \d+ predictions/);
    await expect(evalCommand.run([INVICTUS, '--tie-orders', '0'])).rejects.toThrow(/--tie-orders must be an integer of at least 1/);
    await expect(evalCommand.run([])).rejects.toThrow(UsageError);
    await expect(evalCommand.run(['/definitely/not/here'])).rejects.toThrow(/not a directory/);
    await expect(evalCommand.run([INVICTUS, '--train-fraction', '1.5'])).rejects.toThrow(/between 0 and 1/);
  });

  it('on generated data: beats Markov and the burst-level reference, and rediscovers the generator\'s burst templates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trailbook-predict-'));
    dirs.push(dir);
    generate({ outDir: dir, events: 12_000, days: 7, seed: 7 });
    const store = await openFilesStore(dir);
    const events: TrailEvent[] = [];
    for await (const e of store.scan()) events.push(e);
    const truth = loadTruth(dir);
    expect(truth).toBeDefined();
    const r = evaluate(events, { truth, tieOrders: 2 });
    const model = score(r, 'model');
    const markov = score(r, 'markov-1');
    expect(model.top1).toBeGreaterThan(markov.top1);
    expect(model.mrr5).toBeGreaterThan(markov.mrr5);
    const bursts = r.bursts!.scores;
    const reference = bursts.find((s) => s.model === 'burst-reference')!;
    expect(bursts[0].hit5).toBeGreaterThan(reference.hit5);
    expect(bursts[0].recall5).toBeGreaterThan(reference.recall5);
    // The shapes learned without labels match the templates the generator fired.
    const t = r.truth!;
    expect(t.templates).toBe(truth!.templates.length);
    expect(t.recovered / t.templates).toBeGreaterThan(0.5);
    for (const s of t.shapes.slice(0, 5)) expect(s.similarity, `${s.shape} ~ ${s.template}`).toBeGreaterThan(0.5);
    await expect(Promise.resolve().then(() => loadTruth(INVICTUS))).resolves.toBeUndefined();
  });
});
