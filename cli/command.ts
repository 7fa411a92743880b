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
