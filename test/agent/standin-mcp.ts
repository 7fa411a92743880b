// TEMPORARY until mcp/server.ts lands.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { EventStore } from '../../cloudtrail/query.ts';
export function createCloudTrailMcpServer({ store }: { store: EventStore }) {
  const s = new McpServer({ name: 'x', version: '0' });
  s.registerTool('get_cloudtrail_event_names', { description: 'counts', inputSchema: { top: z.number().int().optional() } }, async ({ top }) => {
    const names = await store.eventNames({ top });
    return { content: [{ type: 'text', text: JSON.stringify(names) }], structuredContent: { names } };
  });
  s.registerResource('status', 'cloudtrail://status', {}, async (uri) => ({ contents: [{ uri: uri.href, text: JSON.stringify(await store.status()) }] }));
  return s;
}
