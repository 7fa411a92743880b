import { currentExecution } from '../kernel/child/execution.ts';
import { mcpClient } from '../kernel/prelude/cloudtrail.ts';
import type { PreludeModule } from '../kernel/prelude/types.ts';

/**
 * The kernel's `agent` global: `await agent.ask(question, options)`. The answer streams into the running
 * cell (through process.stdout, which the kernel routes to that cell); the returned AgentAnswer displays as
 * the answer plus a table of tool calls and tokens. The Bedrock SDK loads only when a cell mentions `agent`.
 */
export const agentPrelude: PreludeModule = {
  name: 'agent',
  globals: {
    agent: {
      load: async (ctx) => {
        const { createAgent } = await import('./index.ts');
        const agent = createAgent({ mcp: () => mcpClient(ctx), env: ctx.env });
        return {
          ...agent,
          ask: (question: string, options: Parameters<typeof agent.ask>[1] = {}) => {
            // An interrupted cell's awaits reject, but the conversation would go on in the background,
            // spending tokens and writing into a finished cell: tie it to the cell's signal.
            const stop = currentExecution()?.signal;
            const signal = options.signal && stop ? AbortSignal.any([options.signal, stop]) : (options.signal ?? stop);
            return agent.ask(question, { ...options, signal });
          },
        };
      },
    },
  },
  types: `
interface AgentToolCall { name: string; input: unknown; isError: boolean; ms: number; error?: string }
interface AgentAnswer {
  /** The final answer (Markdown). */
  answer: string;
  toolCalls: AgentToolCall[];
  /** Tokens summed over every model turn. */
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  turns: number;
  /** 'end_turn', or 'turn_limit' when maxTurns stopped the loop, or another Bedrock stopReason. */
  stopReason: string;
  modelId: string;
  region: string;
  /** Everything the model said, across turns, as streamed. */
  transcript: string;
}
interface AgentAskOptions {
  /** Bedrock model or inference profile id (default TRAILBOOK_BEDROCK_MODEL_ID, else Claude Sonnet 4 via the region's us./eu./apac. profile). */
  modelId?: string;
  /** Default TRAILBOOK_BEDROCK_REGION, else AWS_REGION, else us-east-1. */
  region?: string;
  /** Endpoint override (default TRAILBOOK_BEDROCK_ENDPOINT). */
  endpoint?: string;
  /** Model turns before the agent stops (default 8). */
  maxTurns?: number;
  /** Output tokens per turn (default 4096). */
  maxTokens?: number;
  temperature?: number;
  /** Extra instructions appended to the analyst system prompt. */
  instructions?: string;
  /** false: Converse instead of ConverseStream (the answer arrives at once). */
  stream?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | (() => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>);
  onText?: (chunk: string) => void;
  onToolCall?: (call: AgentToolCall) => void;
}
/** A CloudTrail analyst on Amazon Bedrock that answers with the CloudTrail MCP tools. */
declare const agent: {
  /** Ask a question; the answer streams into the cell, the result shows the tool calls and tokens used. */
  ask(question: string, options?: AgentAskOptions): Promise<AgentAnswer>;
  /** The model and region a call with these options would use. */
  target(options?: AgentAskOptions): { modelId: string; region: string; endpoint?: string };
};
`,
};
