import { resolve } from 'node:path';
import { parseCommandArgs, UsageError, type Command } from '../command.ts';
import { DEFAULT_DATA_DIR } from '../../cloudtrail/config.ts';
import { DEFAULTS, generate, writeSampleMarker } from '../../cloudtrail/generator/index.ts';
import { timeProblem } from '../../cloudtrail/time.ts';

const usage = `Usage: trailbook sample-data [--out DIR] [--seed N] [--days N] [--events N] [--start ISO]

Generates a realistic, deterministic CloudTrail dataset (teams of developers, data and platform
engineers, security, managers, CI pipelines, scheduled jobs, AWS services and a compromised access
key, acting in bursts: console page loads, paginated listings, CI steps) as gzipped S3 delivery files
in the real layout (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/...json.gz), plus truth.json
with the generator's teams, tasks and burst templates. Same options => byte-identical files.
The default directory holds the default sample: \`serve\`, \`mcp\` and \`run\` regenerate it when it was
written with other settings or by another generator version. Keep other settings in another
directory (--out DIR) and point TRAILBOOK_DATA_DIR at it.

Options:
  --out DIR     output directory (default ${DEFAULT_DATA_DIR}, or TRAILBOOK_DATA_DIR)
  --seed N      PRNG seed (default ${DEFAULTS.seed})
  --days N      number of days (default ${DEFAULTS.days})
  --events N    approximate number of events (default ${DEFAULTS.events})
  --start ISO   first day, UTC (default ${DEFAULTS.start.slice(0, 10)})
  -h, --help    show this help`;

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new UsageError(`--${name} needs a positive integer, got "${text}"`);
  return n;
}

const command: Command = {
  name: 'sample-data',
  summary: 'Generate the realistic sample CloudTrail dataset',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        days: { type: 'string' },
        events: { type: 'string' },
        start: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    const seedText = values.seed;
    if (seedText !== undefined && !/^\d+$/.test(seedText)) throw new UsageError(`--seed needs a non-negative integer, got "${seedText}"`);
    if (values.start !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(values.start)) throw new UsageError(`--start needs an ISO date such as 2026-10-01, got "${values.start}"`);
    const startProblem = values.start === undefined ? undefined : timeProblem('--start', values.start, Date.now()); // no 2026-02-30 rolling over to March
    if (startProblem) throw new UsageError(startProblem);
    const outDir = resolve(values.out ?? process.env.TRAILBOOK_DATA_DIR ?? DEFAULT_DATA_DIR);
    const t0 = Date.now();
    const settings = {
      seed: seedText === undefined ? undefined : Number(seedText),
      days: positiveInt('days', values.days),
      events: positiveInt('events', values.events),
      start: values.start,
    };
    const result = generate({ outDir, ...settings });
    writeSampleMarker(outDir, settings);
    console.log(`Wrote ${result.events} events in ${result.files} delivery files to ${result.dir} (${result.start} .. ${result.end}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`Truth (transition probabilities per persona): ${result.truthFile}`);
    for (const [persona, n] of Object.entries(result.perPersona)) console.log(`  ${persona.padEnd(20)} ${n}`);
    return 0;
  },
};
export default command;
