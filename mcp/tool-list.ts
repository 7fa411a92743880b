import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ListToolsRequestSchema, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { serialisedOnce } from './json-once.ts';

/**
 * The SDK converts every tool's zod schemas to JSON Schema on each tools/list, and the stateless transports
 * build a server per request, so each list paid for all of it again (46 ms at the time of issue #14).
 * The list depends only on the registered tools: ask the SDK for it once, over an in-memory link to a
 * server built for the purpose, and answer every later tools/list from that (turned into JSON once, too).
 */
const lists = new WeakMap<object, Promise<ListToolsResult>>();

async function listOnce(build: () => McpServer): Promise<ListToolsResult> {
  const server = build();
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  try {
    const answer = new Promise<ListToolsResult>((resolve, reject) => {
      clientSide.onmessage = (m) => {
        if (!('id' in m) || m.id !== 1) return;
        if ('result' in m) resolve(serialisedOnce(m.result as ListToolsResult));
        else if ('error' in m) reject(new Error(`tools/list: ${m.error.message}`));
      };
    });
    await clientSide.start();
    await clientSide.send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    return await answer;
  } finally {
    await server.close();
  }
}

/** Answers tools/list on `server` from the list cached for `key` (the registrar list), computing it once with `build`. */
export function serveCachedToolList(server: McpServer, key: object, build: () => McpServer): void {
  server.server.setRequestHandler(ListToolsRequestSchema, () => {
    let list = lists.get(key);
    if (!list) {
      list = listOnce(build);
      lists.set(key, list);
      list.catch(() => lists.get(key) === list && lists.delete(key));
    }
    return list;
  });
}
