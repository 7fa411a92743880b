import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TrailEvent } from '../../cloudtrail/event.ts';
import { principalMatches } from '../../cloudtrail/query.ts';
import type { ToolContext } from '../context.ts';
import { indexedInMemory, storeIndex } from '../index/for-store.ts';
import { timeArg } from '../time.ts';

/**
 * A prompt: a command an MCP client shows (Claude Desktop's "+" menu, VS Code's `/` commands) that fills in a
 * first message asking the model to use the tools. Arguments are strings (the protocol's rule); those named in
 * `completes` are offered values by mcp/completions.ts, by argument name.
 */
export interface PromptDefinition<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  args: S;
  completes: (keyof S & string)[];
  text(args: z.infer<z.ZodObject<S>>, ctx: ToolContext): Promise<string> | string;
}

export const definePrompt = <S extends z.ZodRawShape>(p: PromptDefinition<S>): PromptDefinition => p as unknown as PromptDefinition;

/** Argument pieces shared by the prompts, so one name always means the same thing. */
export const principalArg = z
  .string()
  .min(1, { error: 'principal must not be empty' })
  .describe('IAM user or role name, person behind role sessions, ARN or access key id');
export const sinceArg = (fallback: string) => timeArg('since', `From when (default ${fallback})`).optional();

/** A principal a local source has never seen is refused with the way out; remote sources are not asked. */
export async function requireKnownPrincipal(ctx: ToolContext, who: string): Promise<void> {
  if (!indexedInMemory(ctx.store)) return;
  const index = await storeIndex(ctx);
  if (index.principals.some((p) => principalMatches({ principal: p } as TrailEvent, who))) return;
  throw new McpError(ErrorCode.InvalidParams, `unknown principal "${who}": complete the principal argument to see the ones in the data`);
}

export function registerPrompt(server: McpServer, ctx: ToolContext, p: PromptDefinition): void {
  server.registerPrompt(p.name, { title: p.title, description: p.description, argsSchema: p.args }, async (args: Record<string, unknown>): Promise<GetPromptResult> => ({
    description: p.description,
    messages: [{ role: 'user', content: { type: 'text', text: await p.text(args as never, ctx) } }],
  }));
}
