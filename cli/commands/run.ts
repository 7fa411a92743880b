import { parseCommandArgs, UsageError, type Command } from '../command.ts';

const usage = `Usage: trailbook run NOTEBOOK.ipynb [--out FILE] [--param KEY=VALUE]... [--allow-errors] [--timeout SECONDS]

Executes every code cell of the notebook in order in a fresh TypeScript kernel and stores the
outputs in the notebook (nbformat 4.5). Stops at the first failing cell, still writing the outputs
up to it, and exits 1 naming the cell (index and id).

Options:
  --out FILE         write the executed notebook here instead of overwriting NOTEBOOK
  -p, --param K=V    set a parameter (repeatable): a cell declaring K is injected after the cell
                     tagged "parameters", as papermill does; V is JSON if it parses (30, true,
                     ["a"], "007"), else a string
  --allow-errors     keep running after a failing cell (still exits 1 if any cell failed)
  --timeout SECONDS  interrupt a cell that runs longer than this and count it as failed
  --no-sample-data   do not generate the sample CloudTrail dataset on first use
  -q, --quiet        do not print per-cell progress

Notebooks in nbformat 4.0-4.4 are read and written back as 4.5 (cells get ids). A notebook made for
another kernel is switched to Trailbook's TypeScript kernel; both are noted on stderr.
With the default data settings the sample dataset is generated on first use, as \`serve\` does.`;

const command: Command = {
  name: 'run',
  summary: 'Execute a notebook headlessly and store its outputs',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        'allow-errors': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
        'no-sample-data': { type: 'boolean', default: false },
        param: { type: 'string', short: 'p', multiple: true },
      },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one notebook' : 'missing NOTEBOOK.ipynb');
    let cellTimeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const seconds = Number(values.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
      cellTimeoutMs = seconds * 1000;
    }

    const { parseParameter, ParameterError } = await import('../../notebook/parameters.ts');
    let parameters: Record<string, ReturnType<typeof parseParameter>[1]> | undefined;
    try {
      if (values.param) parameters = Object.fromEntries(values.param.map(parseParameter));
    } catch (err) {
      if (err instanceof ParameterError) throw new UsageError(err.message);
      throw err;
    }

    const log = (line: string) => console.error(`trailbook run: ${line}`);
    const { runNotebook, describeFailure } = await import('../../kernel/runner.ts');
    const { NotebookFormatError } = await import('../../notebook/format.ts');
    try {
      if (!values['no-sample-data']) {
        const { loadDataConfig } = await import('../../cloudtrail/config.ts');
        const { ensureDefaultSampleData } = await import('../../cloudtrail/generator/index.ts');
        await ensureDefaultSampleData(loadDataConfig(), log);
      }
      const result = await runNotebook(positionals[0]!, {
        out: values.out,
        allowErrors: values['allow-errors'],
        cellTimeoutMs,
        parameters,
        onCell: values.quiet ? undefined : (p) => console.error(`[${p.position}/${p.total}] cell ${p.index} (id ${p.id}) ${p.status} in ${Math.round(p.durationMs)} ms`),
      });
      for (const notice of result.notices) log(`notice: ${positionals[0]}: ${notice}`);
      if (result.failed) {
        log(describeFailure(result.failed));
        if (result.failed.traceback.length) console.error(result.failed.traceback.join('\n'));
        console.error(`Outputs written to ${result.outPath}`);
        return 1;
      }
      if (!values.quiet) console.error(`Executed ${result.executed} cells in ${result.durationMs} ms; wrote ${result.outPath}`);
      return 0;
    } catch (err) {
      // Bad notebook, missing file, kernel that cannot start: a message, not a stack.
      log(err instanceof NotebookFormatError ? err.message : ((err as Error).message ?? String(err)));
      return 1;
    }
  },
};
export default command;
