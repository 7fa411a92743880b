import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { EventStore } from '../cloudtrail/query.ts';
import { createToolContext, SERVER_NAME, SERVER_VERSION, type ToolContext, type ToolRegistrar } from './context.ts';
import { registerCompletions } from './completions.ts';
import { ServerLog } from './logging.ts';
import { checkOutputsSynchronously } from './output-check.ts';
import { registerPrompts } from './prompts/index.ts';
import { serveCachedToolList } from './tool-list.ts';
import { registrars as defaultRegistrars } from './tools/index.ts';

export type { ToolContext, ToolRegistrar } from './context.ts';
export { SERVER_NAME, SERVER_VERSION } from './context.ts';

export interface CloudTrailMcpServerOptions {
  store: EventStore;
  /** Clock for relative time arguments; defaults to Date.now. */
  now?: () => number;
  /** Replaces the default tool list (mcp/tools/index.ts). */
  tools?: ToolRegistrar[];
  /** A context built once and shared across servers (stateless HTTP builds a server per request). */
  context?: ToolContext;
}

/**
 * Builds the CloudTrail MCP server: tools over one EventStore, the `cloudtrail://status` resource, prompts with
 * completable arguments, and logging. Connect it to any transport.
 */
export function createCloudTrailMcpServer(options: CloudTrailMcpServerOptions): McpServer {
  const context = options.context ?? createToolContext({ store: options.store, now: options.now });
  const tools = options.tools ?? defaultRegistrars;
  const server = build(context, tools);
  checkOutputsSynchronously(server);
  // The list comes from a server with the schemas as registered: the output checks above do not show in it.
  serveCachedToolList(server, tools, () => build(context, tools));
  return server;
}

/**
 * Each SDK server would otherwise make its own Ajv instance, 40% of a stateless HTTP request's time; the
 * validator keeps no per-connection state (it checks elicitation answers against their schemas), so one serves all.
 */
let validator: AjvJsonSchemaValidator | undefined;

function build(shared: ToolContext, tools: ToolRegistrar[]): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: 'Trailbook CloudTrail', version: SERVER_VERSION },
    {
      capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} },
      jsonSchemaValidator: (validator ??= new AjvJsonSchemaValidator()),
      instructions:
        'Tools over AWS CloudTrail management events. Times accept ISO 8601 or relative offsets (-7d, -24h, -30m, now). ' +
        'Start with get_cloudtrail_status (or the cloudtrail://status resource) to see what data exists and its time range, ' +
        'then get_cloudtrail_event_names / list_cloudtrail_principals for an overview and lookup_cloudtrail_events for details.',
    },
  );
  // The shared context (store, memo) with this server's own log: a level set by one client stays with its server.
  const context: ToolContext = { ...shared, log: new ServerLog(server) };
  for (const register of tools) register(server, context);
  registerPrompts(server, context);
  registerCompletions(server, context);
  return server;
}
