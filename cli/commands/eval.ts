import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCommandArgs, UsageError, type Command } from '../command.ts';
import type { TrailEvent } from '../../cloudtrail/event.ts';
import { mostlyUnusable, nothingSkipped, skippedCounts } from '../../cloudtrail/skipped.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { evaluate, type EvaluationReport } from '../../predict/evaluate.ts';
import { loadTruth } from '../../predict/truth.ts';

const usage = `Usage: trailbook eval DIR [--json] [--train-fraction F] [--no-tune]

Evaluates next-action prediction on the CloudTrail files under DIR (S3 delivery layout or JSON
arrays): trains on the first 70% of each principal's events in time order and tests on the rest.
Reports top-1, top-5 and MRR@5 of the model and of baselines (global frequency, principal
frequency, first-order Markov per principal). When DIR holds the generator's truth.json it also
reports the oracle's scores under the true transition probabilities and the model's distance to them.

Input that cannot be used (files that are not CloudTrail, corrupt gzip, invalid records) is counted and
listed on stderr, and the counts are part of the report. When most of it is unusable (more than half of
the records found, or more than half of the files) eval fails with exit code 1 instead of scoring the rest.

Options:
  --json               print the full report as JSON
  --train-fraction F   share of each principal's events used for training (default 0.7)
  --no-tune            skip choosing order/cache weights on a validation split of the training part
  -h, --help           show this help`;

function table(r: EvaluationReport): string {
  const lines = [
    ...(r.input ? [`input: ${r.input.loadedRecords} records loaded; skipped ${r.input.skippedFiles} unusable files and ${r.input.skippedRecords} unusable records; ${r.input.ignoredPaths} paths without events ignored`] : []),
    `${r.split.principals} principals, ${r.split.trainEvents} training events, ${r.split.testEvents} test events, ${r.split.vocabulary} actions (${r.split.unseenTestActions} test events with actions unseen in training)`,
    `trained in ${r.trainMs} ms; one prediction: median ${r.predictMicros.median} us, p99 ${r.predictMicros.p99} us`,
    '',
    'model                 top-1   top-5   MRR@5',
  ];
  const rows = r.truth ? [...r.scores, r.truth.oracle] : r.scores;
  for (const s of rows) lines.push(`${s.model.padEnd(20)} ${s.top1.toFixed(4).padStart(6)}  ${s.top5.toFixed(4).padStart(6)}  ${s.mrr5.toFixed(4).padStart(6)}`);
  lines.push('', `gain over first-order Markov: top-1 ${signed(r.gainOverMarkov.top1)}, top-5 ${signed(r.gainOverMarkov.top5)}`);
  if (r.truth)
    lines.push(
      `against the generator's truth (${r.truth.predictions} events): mean KL ${r.truth.meanKlBits} bits, mean total variation ${r.truth.meanTotalVariation} (Markov ${r.truth.markovMeanTotalVariation})`,
    );
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
    const report = evaluate(events, { trainFraction, tune: !values['no-tune'], truth: loadTruth(dir) });
    report.input = { loadedRecords: skipped.loadedRecords, skippedFiles: skipped.files, skippedRecords: skipped.records, ignoredPaths: skipped.ignored };
    console.log(values.json ? JSON.stringify(report, null, 2) : table(report));
    return 0;
  },
};
export default command;
