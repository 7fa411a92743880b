import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArgs, UsageError, type Command } from '../command.ts';
import type { TrailEvent } from '../../cloudtrail/event.ts';
import { mostlyUnusable, nothingSkipped, skippedCounts } from '../../cloudtrail/skipped.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { evaluate, type EvaluationReport } from '../../predict/evaluate.ts';
import { loadTruth } from '../../predict/truth.ts';

const usage = `Usage: trailbook eval DIR [--json] [--train-fraction F] [--no-tune] [--tie-orders N] [--seed N]

Evaluates prediction on the CloudTrail files under DIR (S3 delivery layout or JSON arrays), at two levels:

  next action  trains on the first 70% of each principal's events in time order and tests on the rest:
               top-1, top-5 and MRR@5 of the model and of baselines (global frequency, principal frequency,
               first-order Markov per principal). Events in the same second have no knowable order, so this
               is repeated over N random orders of those ties (--tie-orders, default 5): each score is the
               mean, with its standard deviation and range.
  next burst   a burst is a principal's events in one second (a page load, a paginated listing, a CI step);
               trains on the first 70% of each principal's bursts and predicts each later burst's actions:
               hit@1 (the top action occurs in it), hit@5, recall@5 (share of its distinct actions in the
               top 5, out of at most 5), for the model and for baselines, among them the burst-level
               reference of issue #15 (what followed bursts containing the latest burst's actions).

Calibration: reliability tables and expected calibration error of the model's top-5 probabilities at both
levels. When DIR holds the generator's truth.json it also says how many of the generator's burst templates
the learned burst shapes match.

Input that cannot be used (files that are not CloudTrail, corrupt gzip, invalid records) is counted and
listed on stderr, and the counts are part of the report. When most of it is unusable (more than half of
the records found, or more than half of the files) eval fails with exit code 1 instead of scoring the rest.

Options:
  --json               print the full report as JSON
  --train-fraction F   share of each principal's events used for training (default 0.7)
  --no-tune            skip choosing order/cache weights on a validation split of the training part
  --tie-orders N       random orders of same-second events the next-action scores are averaged over (default 5)
  --seed N             seed of those orders (default 1)
  -h, --help           show this help`;

function table(r: EvaluationReport): string {
  const lines = [
    ...(r.input ? [`input: ${r.input.loadedRecords} records loaded; skipped ${r.input.skippedFiles} unusable files and ${r.input.skippedRecords} unusable records; ${r.input.ignoredPaths} paths without events ignored`] : []),
    `${r.split.principals} principals, ${r.split.trainEvents} training events, ${r.split.testEvents} test events, ${r.split.vocabulary} actions (${r.split.unseenTestActions} test events with actions unseen in training)`,
    `trained in ${r.trainMs} ms; one prediction: median ${r.predictMicros.median} us, p99 ${r.predictMicros.p99} us`,
    '',
    `Next action: mean over ${r.tieOrders.orders} random orders of same-second events (seed ${r.tieOrders.seed}), +- standard deviation`,
    'model                 top-1            top-5            MRR@5',
  ];
  const pm = (s: { mean: number; sd: number }) => `${s.mean.toFixed(4)} +-${s.sd.toFixed(4)}`.padEnd(17);
  for (const s of r.tieOrders.spread) lines.push(`${s.model.padEnd(20)}  ${pm(s.top1)}${pm(s.top5)}${pm(s.mrr5)}`.trimEnd());
  lines.push(`gain over first-order Markov: top-1 ${signed(r.gainOverMarkov.top1)}, top-5 ${signed(r.gainOverMarkov.top5)}`);
  const b = r.bursts;
  if (b) {
    lines.push(
      '',
      `Next burst: ${b.split.trainBursts} training bursts, ${b.split.testBursts} test bursts, ${b.split.meanBurstEvents} events per burst; one prediction: median ${b.predictMicros.median} us`,
      'model                 hit@1   hit@5   recall@5',
    );
    for (const s of b.scores) lines.push(`${s.model.padEnd(20)} ${s.hit1.toFixed(4).padStart(6)}  ${s.hit5.toFixed(4).padStart(6)}  ${s.recall5.toFixed(4).padStart(6)}`);
    lines.push(`gain over the burst-level reference: hit@1 ${signed(b.gainOverReference.hit1)}, hit@5 ${signed(b.gainOverReference.hit5)}, recall@5 ${signed(b.gainOverReference.recall5)}`);
    lines.push(`${b.shapes.count} burst shapes learned; most frequent: ${b.shapes.top.slice(0, 5).map((s) => `${s.name} (${s.bursts})`).join(', ')}`);
  }
  if (r.truth)
    lines.push(
      `against the generator's truth: ${r.truth.recovered} of its ${r.truth.templates} burst templates found by a learned shape (weighted Jaccard >= ${r.truth.threshold}); ` +
        r.truth.shapes.slice(0, 3).map((s) => `${s.shape} ~ ${s.template} (${s.similarity})`).join(', '),
    );
  lines.push('', 'Calibration of the top-5 probabilities (expected calibration error, ECE)');
  const levels: [string, typeof r.calibration.events | undefined][] = [['next action', r.calibration.events], ['next burst', r.calibration.bursts]];
  for (const [name, c] of levels) {
    if (!c) continue;
    lines.push(`${name}: ECE ${c.ece.toFixed(4)} over ${c.predictions} predictions (mean predicted ${c.meanPredicted.toFixed(4)}, observed ${c.observed.toFixed(4)})`);
    lines.push('  predicted     n        mean p   observed');
    for (const bin of c.bins) lines.push(`  ${bin.from.toFixed(1)}-${bin.to.toFixed(1)}  ${String(bin.predictions).padStart(7)}  ${bin.meanPredicted.toFixed(4).padStart(8)}   ${bin.observed.toFixed(4).padStart(8)}`);
  }
  return lines.join('\n');
}

/** Skipped files listed on stderr; the counts cover all of them. */
const LISTED = 10;

const signed = (x: number) => (x >= 0 ? `+${x.toFixed(4)}` : x.toFixed(4));

const command: Command = {
  name: 'eval',
  summary: 'Score next-action prediction against baselines on a CloudTrail directory',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        'train-fraction': { type: 'string' },
        'no-tune': { type: 'boolean', default: false },
        'tie-orders': { type: 'string' },
        seed: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one directory' : 'missing DIR');
    const dir = resolve(positionals[0]);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`not a directory: ${dir}`);
    let trainFraction: number | undefined;
    if (values['train-fraction'] !== undefined) {
      trainFraction = Number(values['train-fraction']);
      if (!(trainFraction > 0 && trainFraction < 1)) throw new UsageError(`--train-fraction must be a number between 0 and 1, got "${values['train-fraction']}"`);
    }
    const count = (name: 'tie-orders' | 'seed', min: number) => {
      const text = values[name];
      if (text === undefined) return undefined;
      const n = Number(text);
      if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer of at least ${min}, got "${text}"`);
      return n;
    };
    const tieOrders = count('tie-orders', 1);
    const seed = count('seed', 0);
    const store = await openFilesStore(dir);
    const skipped = store.skipped;
    if (!nothingSkipped(skipped)) {
      console.error(`trailbook eval: skipped ${skippedCounts(skipped)} that could not be used:`);
      const listed = [...store.errors.map((e) => e.message), ...store.warnings.map((w) => w.message)];
      for (const line of listed.slice(0, LISTED)) console.error(`  ${line}`);
      if (listed.length > LISTED) console.error(`  ... and ${listed.length - LISTED} more files`);
    }
    if (mostlyUnusable(skipped)) {
      console.error(
        `trailbook eval: most of the input under ${dir} is unusable (${skipped.records} of ${skipped.records + skipped.loadedRecords} records, ` +
          `${skipped.files} of ${skipped.candidateFiles} files): not scoring what is left. Fix or remove the files listed above.`,
      );
      return 1;
    }
    const events: TrailEvent[] = [];
    for await (const e of store.scan()) events.push(e);
    if (events.length < 2) {
      console.error(`no CloudTrail events to evaluate under ${dir}`);
      return 1;
    }
    const report = evaluate(events, { trainFraction, tune: !values['no-tune'], tieOrders, seed, truth: loadTruth(dir) });
    report.input = { loadedRecords: skipped.loadedRecords, skippedFiles: skipped.files, skippedRecords: skipped.records, ignoredPaths: skipped.ignored };
    console.log(values.json ? JSON.stringify(report, null, 2) : table(report));
    return 0;
  },
};
export default command;
