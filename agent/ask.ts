import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  type ContentBlock,
  type Message,
  type ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import { resolveBedrockTarget, type BedrockCredentials, type BedrockTarget } from './config.ts';
import { JUPYTER_DISPLAY, toMarkdown, toPlain, type DisplaySource } from './display.ts';
import { explainBedrockError } from './errors.ts';
import { readSourceStatus, systemPrompt } from './prompt.ts';
import { collectTurn, turnFromConverse, type StreamedTurn } from './stream.ts';
import { converseToolsFrom, runToolUse, type AgentMcpClient, type ToolCallRecord } from './tools.ts';

export const DEFAULT_MAX_TURNS = 8;

/** The plain-data options (validated); callbacks and clients are checked by type only. */
export const AskSettings = z.object({
  modelId: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  endpoint: z.string().url().optional(),
  maxTurns: z.number().int().min(1).max(50).default(DEFAULT_MAX_TURNS),
  maxTokens: z.number().int().min(1).max(64_000).default(4096),
  temperature: z.number().min(0).max(1).optional(),
  /** Extra instructions appended to the analyst system prompt. */
  instructions: z.string().optional(),
  /** Cap per tool result, in characters, so one big query cannot fill the context window. */
  maxResultChars: z.number().int().min(1000).default(60_000),
  maxAttempts: z.number().int().min(1).max(10).optional(),
  /** false uses Converse instead of ConverseStream (for principals allowed only bedrock:InvokeModel). */
  stream: z.boolean().default(true),
});

export interface AskOptions extends z.input<typeof AskSettings> {
  credentials?: BedrockCredentials;
  /** Called with each text delta as the model streams it. */
  onText?: (chunk: string) => void;
  /** Called after each tool call finishes. */
  onToolCall?: (call: ToolCallRecord) => void;
  signal?: AbortSignal;
  /** A client to reuse (connection pooling); its region/endpoint/credentials then apply. */
  bedrock?: BedrockRuntimeClient;
  env?: NodeJS.ProcessEnv;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** What `agent.ask` resolves to; notebooks render it through `Symbol.for('Jupyter.display')`. */
export class AgentAnswer implements DisplaySource {
  constructor(
    /** The final answer (the text of the last model turn, or a notice when the loop was cut). */
    readonly answer: string,
    readonly toolCalls: ToolCallRecord[],
    readonly usage: Usage,
    readonly turns: number,
    /** The model's last stopReason, or 'turn_limit' when the agent stopped the loop. */
    readonly stopReason: string,
    readonly modelId: string,
    readonly region: string,
    /** Everything the model said across turns, as streamed. */
    readonly transcript: string,
  ) {}

  [JUPYTER_DISPLAY](): Record<string, string> {
    return { 'text/markdown': toMarkdown(this), 'text/plain': toPlain(this) };
  }

  toString(): string {
    return this.answer;
  }
}

export function makeBedrockClient(target: BedrockTarget, opts: { credentials?: BedrockCredentials; maxAttempts?: number }): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
  });
}

const turnLimitNotice = (max: number, pending: string[]) =>
  `\n\n> **Stopped after ${max} model turn${max === 1 ? '' : 's'}** without a final answer; the model still wanted to call ${pending.join(', ')}. ` +
  `Ask a narrower question, or allow more turns: \`agent.ask(question, { maxTurns: ${Math.min(50, max * 2)} })\`.\n`;

const stopNotices: Record<string, string> = {
  max_tokens: '\n\n> The answer was cut at the output token limit; pass a larger `maxTokens`.\n',
  guardrail_intervened: '\n\n> A Bedrock guardrail intervened.\n',
  content_filtered: '\n\n> The response was filtered by Bedrock content filters.\n',
  model_context_window_exceeded: '\n\n> The conversation exceeded the model context window; ask a narrower question.\n',
};

/**
 * Runs the Converse tool-use loop: the model sees the MCP tools, each tool use is executed through the MCP
 * client and fed back, until the model ends its turn or the turn limit is reached. Text streams to onText.
 */
export async function ask(mcp: AgentMcpClient, question: string, options: AskOptions = {}): Promise<AgentAnswer> {
  if (typeof question !== 'string' || !question.trim()) throw new TypeError('agent.ask(question, options): question must be a non-empty string');
  const parsed = AskSettings.safeParse(pickSettings(options));
  if (!parsed.success) throw new TypeError(`agent.ask: bad options: ${z.prettifyError(parsed.error)}`);
  const s = parsed.data;
  const target = resolveBedrockTarget(s, options.env ?? process.env);
  const onText = options.onText ?? (() => {});
  const signal = options.signal;
  const bedrock = options.bedrock ?? makeBedrockClient(target, { credentials: options.credentials, maxAttempts: s.maxAttempts });
  const ownsClient = !options.bedrock;

  const messages: Message[] = [{ role: 'user', content: [{ text: question }] }];
  const toolCalls: ToolCallRecord[] = [];
  const usage: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  let transcript = '';
  let answer = '';
  let stopReason = 'end_turn';
  let turns = 0;
  const emit = (chunk: string) => {
    transcript += chunk;
    onText(chunk);
  };

  try {
    const [tools, status] = await Promise.all([converseToolsFrom(mcp, signal), readSourceStatus(mcp, signal)]);
    let system = systemPrompt({ status, toolNames: tools.map((t) => t.toolSpec?.name ?? ''), serverInstructions: mcp.getInstructions?.() });
    if (s.instructions) system += `\n\nAdditional instructions:\n${s.instructions}`;
    while (true) {
      turns++;
      // Separate the text of consecutive turns so streamed sentences do not run together.
      if (transcript && !transcript.endsWith('\n')) emit('\n\n');
      const input: ConverseStreamCommandInput = {
        modelId: target.modelId,
        system: [{ text: system }],
        messages,
        ...(tools.length ? { toolConfig: { tools } } : {}),
        inferenceConfig: { maxTokens: s.maxTokens, ...(s.temperature !== undefined ? { temperature: s.temperature } : {}) },
      };
      const turn = await modelTurn(bedrock, input, s.stream, emit, signal);
      usage.inputTokens += turn.usage?.inputTokens ?? 0;
      usage.outputTokens += turn.usage?.outputTokens ?? 0;
      usage.totalTokens += turn.usage?.totalTokens ?? (turn.usage?.inputTokens ?? 0) + (turn.usage?.outputTokens ?? 0);
      stopReason = turn.stopReason ?? 'end_turn';
      answer = turn.text;
      const uses = turn.content.filter((b): b is ContentBlock.ToolUseMember => !!b.toolUse).map((b) => b.toolUse as ToolUseBlock);
      if (stopReason !== 'tool_use' || uses.length === 0) {
        if (stopNotices[stopReason]) {
          emit(stopNotices[stopReason]);
          answer += stopNotices[stopReason];
        }
        break;
      }
      if (turns >= s.maxTurns) {
        const notice = turnLimitNotice(s.maxTurns, [...new Set(uses.map((u) => u.name ?? '?'))]);
        emit(notice);
        answer = (answer + notice).trim();
        stopReason = 'turn_limit';
        break;
      }
      messages.push({ role: 'assistant', content: turn.content });
      const results: ContentBlock[] = [];
      // One at a time: the tools share one event store and the order keeps the table readable.
      for (const use of uses) {
        const raw = turn.badToolInput.get(use.toolUseId ?? '');
        if (raw !== undefined) {
          const record: ToolCallRecord = { name: use.name ?? '', input: raw, isError: true, ms: 0, error: 'input was not valid JSON' };
          toolCalls.push(record);
          options.onToolCall?.(record);
          results.push({ toolResult: { toolUseId: use.toolUseId, status: 'error', content: [{ text: `The tool input was not valid JSON: ${raw.slice(0, 500)}` }] } });
          continue;
        }
        const { block, record } = await runToolUse(mcp, use, { maxResultChars: s.maxResultChars, signal });
        toolCalls.push(record);
        options.onToolCall?.(record);
        results.push({ toolResult: block });
      }
      messages.push({ role: 'user', content: results });
    }
  } catch (err) {
    throw explainBedrockError(err, target);
  } finally {
    if (ownsClient) bedrock.destroy();
  }
  return new AgentAnswer(answer.trim() || transcript.trim(), toolCalls, usage, turns, stopReason, target.modelId, target.region, transcript);
}

async function modelTurn(
  bedrock: BedrockRuntimeClient,
  input: ConverseStreamCommandInput,
  stream: boolean,
  onText: (chunk: string) => void,
  signal: AbortSignal | undefined,
): Promise<StreamedTurn> {
  if (!stream) {
    const res = await bedrock.send(new ConverseCommand(input), { abortSignal: signal });
    return turnFromConverse(res.output, res.stopReason, res.usage, onText);
  }
  const res = await bedrock.send(new ConverseStreamCommand(input), { abortSignal: signal });
  if (!res.stream) throw new Error('Amazon Bedrock returned no response stream');
  return collectTurn(res.stream, onText);
}

function pickSettings(o: AskOptions): Record<string, unknown> {
  const keys = Object.keys(AskSettings.shape) as (keyof AskOptions)[];
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
