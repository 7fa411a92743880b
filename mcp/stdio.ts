import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { EventStore, ProgressReport } from '../cloudtrail/query.ts';
import { createToolContext } from './context.ts';
import { warmIndex } from './index/for-store.ts';
import { ServerLog } from './logging.ts';
import { createCloudTrailMcpServer } from './server.ts';

type LoadingStore = EventStore & { onLoadProgress?(listener: (p: ProgressReport) => void): () => void };

/**
 * Serves MCP over this process's stdin/stdout. Resolves when the client disconnects (stdin ends).
 * The data loads while the client gets ready; how the load and the index build go reaches the client
 * as `info` log messages.
 */
export async function serveStdio(store: LoadingStore): Promise<void> {
  const context = createToolContext({ store });
  const server = createCloudTrailMcpServer({ store, context });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once('end', resolve);
  });
  await server.connect(transport);
  const log = ServerLog.of(server);
  const stop = store.onLoadProgress?.(log.progress('loading CloudTrail data: '));
  warmIndex(context, log.progress('indexing for the MCP tools: '));
  await closed;
  stop?.();
  await server.close();
}
