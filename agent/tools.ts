import type { Tool, ToolResultBlock, ToolResultContentBlock, ToolUseBlock } from '@aws-sdk/client-bedrock-runtime';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** The part of an MCP client the agent uses, so in-process and remote clients both fit. */
export type AgentMcpClient = Pick<Client, 'listTools' | 'callTool' | 'readResource'> & Partial<Pick<Client, 'getInstructions'>>;

/** One tool call the model made, as shown to the user. */
export interface ToolCallRecord {
  name: string;
  input: unknown;
  isError: boolean;
  ms: number;
  /** First line of the error, when the call failed. */
  error?: string;
}

/** Every MCP tool (all pages) as a Converse tool spec carrying the MCP JSON input schema. */
export async function converseToolsFrom(client: AgentMcpClient, signal?: AbortSignal): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined, { signal });
    for (const t of page.tools) {
      // `$schema` adds nothing for the model and some model providers reject unknown top-level keys.
      const { $schema: _ignored, ...schema } = t.inputSchema as Record<string, unknown>;
      tools.push({
        toolSpec: {
          name: t.name,
          description: t.description || t.title || t.name,
          inputSchema: { json: schema as never },
        },
      });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Keeps one tool result from flooding the context window; the model is told it was cut. */
function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n…[truncated ${text.length - max} of ${text.length} characters; narrow the query]`;
}

type CallToolResult = Awaited<ReturnType<AgentMcpClient['callTool']>>;

/** MCP tool output as Converse toolResult content: structured output as json, else the text parts. */
export function toolResultContent(result: CallToolResult, maxChars: number): ToolResultContentBlock[] {
  if (isPlainObject(result.structuredContent)) {
    const json = JSON.stringify(result.structuredContent);
    if (json.length <= maxChars) return [{ json: result.structuredContent as never }];
    return [{ text: capText(json, maxChars) }];
  }
  const blocks: ToolResultContentBlock[] = [];
  const content = Array.isArray(result.content) ? result.content : [];
  for (const c of content as Array<Record<string, unknown>>) {
    if (c.type === 'text' && typeof c.text === 'string') blocks.push({ text: capText(c.text, maxChars) });
    else if (c.type === 'resource' && isPlainObject(c.resource)) {
      const r = c.resource as { uri?: string; text?: string };
      blocks.push({ text: capText(r.text ?? `[resource ${r.uri ?? ''}]`, maxChars) });
    } else if (c.type === 'resource_link') blocks.push({ text: `[resource link ${String(c.uri ?? '')}]` });
    else blocks.push({ text: `[${String(c.type)} content omitted]` });
  }
  if ('toolResult' in result && result.toolResult !== undefined) blocks.push({ text: capText(JSON.stringify(result.toolResult), maxChars) });
  // Converse rejects an empty toolResult.
  return blocks.length ? blocks : [{ text: '(the tool returned no content)' }];
}

/** Runs one tool use through MCP; failures become an error toolResult so the model can recover. */
export async function runToolUse(
  client: AgentMcpClient,
  use: ToolUseBlock,
  opts: { maxResultChars: number; signal?: AbortSignal },
): Promise<{ block: ToolResultBlock; record: ToolCallRecord }> {
  const started = performance.now();
  const name = use.name ?? '';
  const input = use.input ?? {};
  let content: ToolResultContentBlock[];
  let isError: boolean;
  try {
    const args = isPlainObject(input) ? input : {};
    const result = await client.callTool({ name, arguments: args }, undefined, { signal: opts.signal });
    content = toolResultContent(result, opts.maxResultChars);
    isError = result.isError === true;
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    content = [{ text: `Tool ${name} failed: ${err instanceof Error ? err.message : String(err)}` }];
    isError = true;
  }
  const ms = Math.round(performance.now() - started);
  const firstText = content.find((c): c is ToolResultContentBlock.TextMember => typeof c.text === 'string')?.text;
  const record: ToolCallRecord = { name, input, isError, ms };
  if (isError && firstText) record.error = firstText.split('\n')[0].slice(0, 200);
  return { block: { toolUseId: use.toolUseId, content, status: isError ? 'error' : 'success' }, record };
}
