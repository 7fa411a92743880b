import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { EventStore } from '../cloudtrail/query.ts';
import { createToolContext, SERVER_NAME, SERVER_VERSION, type ToolContext, type ToolRegistrar } from './context.ts';
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

/** Builds the CloudTrail MCP server: tools over one EventStore, plus the `cloudtrail://status` resource. Connect it to any transport. */
export function createCloudTrailMcpServer(options: CloudTrailMcpServerOptions): McpServer {
  const context = options.context ?? createToolContext({ store: options.store, now: options.now });
  const server = new McpServer(
    { name: SERVER_NAME, title: 'Trailbook CloudTrail', version: SERVER_VERSION },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'Tools over AWS CloudTrail management events. Times accept ISO 8601 or relative offsets (-7d, -24h, -30m, now). ' +
        'Start with get_cloudtrail_status (or the cloudtrail://status resource) to see what data exists and its time range, ' +
        'then get_cloudtrail_event_names / list_cloudtrail_principals for an overview and lookup_cloudtrail_events for details.',
    },
  );
  for (const register of options.tools ?? defaultRegistrars) register(server, context);
  return server;
}
