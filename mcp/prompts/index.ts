import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolContext } from '../context.ts';
import { whatChanged } from './changes.ts';
import { registerPrompt, type PromptDefinition } from './define.ts';
import { investigatePrincipal } from './investigate.ts';
import { predictNext } from './predict.ts';
import { topValues } from './sql.ts';

/** Every prompt the server offers. Adding one is a module beside these plus a line here. */
export const PROMPTS: PromptDefinition[] = [investigatePrincipal, whatChanged, predictNext, topValues];

export function registerPrompts(server: McpServer, ctx: ToolContext): void {
  for (const p of PROMPTS) registerPrompt(server, ctx, p);
}

/** Whether `argument` of prompt `name` offers completions. */
export const completes = (name: string, argument: string): boolean => PROMPTS.some((p) => p.name === name && p.completes.includes(argument));
