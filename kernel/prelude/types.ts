/**
 * A prelude module contributes kernel globals. Globals with `value` exist from kernel start;
 * globals with `load` are heavy (Plot, the MCP client, the event store) and are loaded just before
 * the first cell that mentions them runs, so kernel cold start stays fast.
 */
export interface PreludeContext {
  /** The notebook's directory (the kernel's cwd). */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface PreludeGlobal {
  value?: (ctx: PreludeContext) => unknown;
  load?: (ctx: PreludeContext) => Promise<unknown>;
}

export interface PreludeModule {
  name: string;
  globals: Record<string, PreludeGlobal>;
  /** TypeScript declarations of the globals, for the editor (completion and hover). */
  types: string;
}
