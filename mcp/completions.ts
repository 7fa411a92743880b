import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CompleteRequestSchema, type CompleteResult } from '@modelcontextprotocol/sdk/types.js';
import { columnPaths } from './columns.ts';
import type { ToolContext } from './context.ts';
import type { EventIndex } from './index/event-index.ts';
import { indexedInMemory, storeIndex } from './index/for-store.ts';
import { completes } from './prompts/index.ts';

/** MCP answers at most 100 values per completion. */
const MAX_VALUES = 100;

/** Relative times every time argument accepts, offered for `since`. */
export const RELATIVE_TIMES = ['-1h', '-6h', '-24h', '-7d', '-14d', '-30d'];

/** Values whose start matches what was typed (case-insensitive) first, then values containing it; each group sorted unless the list has an order of its own. */
export function rank(candidates: Iterable<string>, typed: string, ordered = false): CompleteResult['completion'] {
  const t = typed.toLowerCase();
  const starts: string[] = [];
  const contains: string[] = [];
  for (const c of new Set(candidates)) {
    const l = c.toLowerCase();
    if (l.startsWith(t)) starts.push(c);
    else if (t && l.includes(t)) contains.push(c);
  }
  const all = ordered ? [...starts, ...contains] : [...starts.sort(), ...contains.sort()];
  return { values: all.slice(0, MAX_VALUES), total: all.length, hasMore: all.length > MAX_VALUES };
}

/** Principal keys (what the tools report) and the names people also type: IAM user or role names, people behind sessions. */
function principalNames(index: EventIndex): string[] {
  const out = [...index.keys.names];
  for (const p of index.principals) {
    out.push(p.name);
    if (p.human) out.push(p.human);
  }
  return out.filter((v) => v && v !== 'unknown');
}

/** Event names, only those of `source` when the client says which service was already chosen. */
function eventNames(index: EventIndex, source: string | undefined): string[] {
  if (source === undefined) return index.names.names;
  return index.actionName.filter((_, a) => index.actionSource[a] === source);
}

/**
 * What each completable argument offers, by argument name: the same name means the same thing in every
 * prompt (and in the tools). Data values come from the shared index of a local source; remote sources
 * (LookupEvents, Athena) offer only the fixed lists, since listing their principals would mean a query per keystroke.
 */
async function candidates(ctx: ToolContext, argument: string, context: Record<string, string>): Promise<string[]> {
  switch (argument) {
    case 'since':
      return RELATIVE_TIMES;
    case 'column':
      return columnPaths();
  }
  if (!['principal', 'username', 'event_name', 'event_source'].includes(argument) || !indexedInMemory(ctx.store)) return [];
  const index = await storeIndex(ctx);
  if (argument === 'event_name') return eventNames(index, context.event_source);
  if (argument === 'event_source') return index.sources.names;
  return principalNames(index);
}

/**
 * `completion/complete` for prompt arguments. A reference to a prompt or resource this server does not
 * have completes to nothing rather than failing: completion is a typing aid, and a client probing with a
 * name of its own (the conformance suite does) should not see an error.
 */
export function registerCompletions(server: McpServer, ctx: ToolContext): void {
  server.server.registerCapabilities({ completions: {} });
  server.server.setRequestHandler(CompleteRequestSchema, async (request): Promise<CompleteResult> => {
    const { ref, argument, context } = request.params;
    const known = ref.type === 'ref/prompt' && completes(ref.name, argument.name);
    if (!known) return { completion: { values: [], total: 0, hasMore: false } };
    return { completion: rank(await candidates(ctx, argument.name, context?.arguments ?? {}), argument.value, argument.name === 'since') };
  });
}
