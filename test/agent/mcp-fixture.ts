import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';

export const DATASET = INVICTUS;

/** A real MCP server over the invictus CloudTrail dataset, connected to a real client in memory. */
export async function connectCloudTrailMcp(): Promise<{ client: Client; close: () => Promise<void> }> {
  const store = await openFilesStore(DATASET);
  const server = createCloudTrailMcpServer({ store });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'agent-test', version: '0.0.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
