import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { EventStore } from '../cloudtrail/query.ts';
import { createCloudTrailMcpServer } from './server.ts';

/** Serves MCP over this process's stdin/stdout. Resolves when the client disconnects (stdin ends). */
export async function serveStdio(store: EventStore): Promise<void> {
  const server = createCloudTrailMcpServer({ store });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
