import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One `trailbook` subcommand. Each lives in cli/commands/<name>.ts and is loaded only when used. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text printed by `trailbook <name> --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad command-line input: printed without a stack, exit code 2. */
export class UsageError extends Error {}

/** `util.parseArgs`, with its errors turned into usage errors (printed with the command's help, exit code 2). */
export function parseCommandArgs<const T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
