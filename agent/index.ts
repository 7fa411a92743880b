import { ask, type AgentAnswer, type AskOptions } from './ask.ts';
import { resolveBedrockTarget, type BedrockTarget } from './config.ts';
import { compactInput } from './display.ts';
import type { AgentMcpClient, ToolCallRecord } from './tools.ts';

export { ask, AgentAnswer, AskSettings, DEFAULT_MAX_TURNS, type AskOptions, type Usage } from './ask.ts';
export { defaultModelFor, resolveBedrockTarget, type BedrockTarget, type BedrockCredentials } from './config.ts';
export { BedrockSetupError, explainBedrockError } from './errors.ts';
export { JUPYTER_DISPLAY } from './display.ts';
export type { AgentMcpClient, ToolCallRecord } from './tools.ts';

export interface AgentDeps {
  /** The kernel's MCP client, or a getter so the agent can be created before the client connects. */
  mcp: AgentMcpClient | (() => AgentMcpClient | Promise<AgentMcpClient>);
  /** Where streamed text goes (the running cell's stdout in the kernel). */
  write?: (chunk: string) => void;
  /** Defaults merged under each call's options (e.g. credentials or endpoint in tests). */
  defaults?: AskOptions;
  env?: NodeJS.ProcessEnv;
}

export interface Agent {
  /** Ask the Bedrock model a question about the CloudTrail data; it uses the MCP tools to answer. */
  ask(question: string, options?: AskOptions): Promise<AgentAnswer>;
  /** The model and region a call with these options would use. */
  target(options?: AskOptions): BedrockTarget;
}

/** One line per tool call in the streamed output, so a long pause shows what the agent is doing. */
export function toolCallLine(c: ToolCallRecord): string {
  return `· ${c.name} ${compactInput(c.input, 120)} → ${c.isError ? `error: ${c.error ?? 'failed'}` : 'ok'} (${c.ms} ms)\n`;
}

/**
 * Interleaves streamed text and tool-call lines: a tool line always starts on its own line, and the
 * turn separators never stack into more than one blank line.
 */
export function cellWriter(write: (chunk: string) => void) {
  let trailingNewlines = 0;
  let started = false;
  const put = (chunk: string) => {
    if (!chunk) return;
    const lead = chunk.length - chunk.replace(/^\n+/, '').length;
    if (lead) chunk = chunk.slice(started ? Math.min(lead, Math.max(0, trailingNewlines + lead - 2)) : lead);
    if (!chunk) return;
    write(chunk);
    started = true;
    const trail = chunk.length - chunk.replace(/\n+$/, '').length;
    trailingNewlines = trail === chunk.length ? trailingNewlines + trail : trail;
  };
  return {
    text: put,
    toolCall: (c: ToolCallRecord) => put((started && trailingNewlines === 0 ? '\n' : '') + toolCallLine(c)),
  };
}

/** The `agent` global of the kernel. */
export function createAgent(deps: AgentDeps): Agent {
  const write = deps.write ?? ((chunk: string) => void process.stdout.write(chunk));
  return {
    async ask(question, options = {}) {
      const client = typeof deps.mcp === 'function' ? await deps.mcp() : deps.mcp;
      const opts: AskOptions = { env: deps.env, ...deps.defaults, ...options };
      const out = cellWriter(write);
      opts.onText ??= out.text;
      opts.onToolCall ??= out.toolCall;
      return ask(client, question, opts);
    },
    target(options = {}) {
      return resolveBedrockTarget({ ...deps.defaults, ...options }, options.env ?? deps.env ?? process.env);
    },
  };
}
