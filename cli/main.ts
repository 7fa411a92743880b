import { UsageError, type Command } from './command.ts';

/** Subcommands, loaded lazily so `trailbook mcp` does not pay for the workbench and vice versa. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'Start the workbench (UI, API and kernels)', load: async () => (await import('./commands/serve.ts')).default },
  run: { summary: 'Execute a notebook headlessly and store its outputs', load: async () => (await import('./commands/run.ts')).default },
  mcp: { summary: 'Serve the CloudTrail MCP tools over stdio or Streamable HTTP', load: async () => (await import('./commands/mcp.ts')).default },
  kernel: { summary: 'Install the Jupyter kernelspec (TypeScript (Trailbook)) or run the kernel', load: async () => (await import('./commands/kernel.ts')).default },
  'sample-data': { summary: 'Generate the realistic sample CloudTrail dataset', load: async () => (await import('./commands/sample-data.ts')).default },
  eval: { summary: 'Evaluate next-action prediction against baselines', load: async () => (await import('./commands/eval.ts')).default },
};

export function topLevelHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: trailbook <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `trailbook <command> --help` for a command\'s options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topLevelHelp());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`trailbook: unknown command "${name}"\n\n${topLevelHelp()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`trailbook ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    throw err;
  }
}
