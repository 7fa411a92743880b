import { parseCommandArgs, UsageError, type Command } from '../command.ts';

const usage = `Usage: trailbook run NOTEBOOK.ipynb [--out FILE] [--allow-errors] [--timeout SECONDS]

Executes every code cell of the notebook in order in a fresh TypeScript kernel and stores the
outputs in the notebook (nbformat 4.5). Stops at the first failing cell, still writing the outputs
up to it, and exits 1 naming the cell (index and id).

Options:
  --out FILE         write the executed notebook here instead of overwriting NOTEBOOK
  --allow-errors     keep running after a failing cell (still exits 1 if any cell failed)
  --timeout SECONDS  interrupt a cell that runs longer than this and count it as failed
  -q, --quiet        do not print per-cell progress`;

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
      },
    });
    if (positionals.length !== 1) throw new UsageError(positionals.length ? 'give exactly one notebook' : 'missing NOTEBOOK.ipynb');
    let cellTimeoutMs: number | undefined;
    if (values.timeout !== undefined) {
      const seconds = Number(values.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
      cellTimeoutMs = seconds * 1000;
    }

    const { runNotebook, describeFailure } = await import('../../kernel/runner.ts');
    const { NotebookFormatError } = await import('../../notebook/format.ts');
    try {
      const result = await runNotebook(positionals[0]!, {
        out: values.out,
        allowErrors: values['allow-errors'],
        cellTimeoutMs,
        onCell: values.quiet ? undefined : (p) => console.error(`[${p.position}/${p.total}] cell ${p.index} (id ${p.id}) ${p.status} in ${Math.round(p.durationMs)} ms`),
      });
      if (result.failed) {
        console.error(`trailbook run: ${describeFailure(result.failed)}`);
        if (result.failed.traceback.length) console.error(result.failed.traceback.join('\n'));
        console.error(`Outputs written to ${result.outPath}`);
        return 1;
      }
      if (!values.quiet) console.error(`Executed ${result.executed} cells in ${result.durationMs} ms; wrote ${result.outPath}`);
      return 0;
    } catch (err) {
      // Bad notebook, missing file, kernel that cannot start: a message, not a stack.
      console.error(`trailbook run: ${err instanceof NotebookFormatError ? err.message : (err as Error).message ?? String(err)}`);
      return 1;
    }
  },
};
export default command;
