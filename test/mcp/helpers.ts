import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { normalise, type TrailEvent } from '../../cloudtrail/event.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';
import type { EventFilter, EventStore, QueryOptions } from '../../cloudtrail/query.ts';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { FIXTURE_END, fixtureRecords } from './fixture.ts';

export const fixtureEvents = (): TrailEvent[] => fixtureRecords().map((r) => normalise(CloudTrailRecord.parse(r)));

/** A real MCP client connected in-process to a server over the SDK's linked in-memory transports. */
export async function connectInProcess(store: EventStore = new MemoryStore(fixtureEvents()), now = () => FIXTURE_END) {
  const server = createCloudTrailMcpServer({ store, now });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'trailbook-test', version: '1.0.0' });
  await client.connect(clientSide);
  return { client, server, store, close: () => client.close() };
}

export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function textOf(r: CallToolResult): string {
  const c = r.content[0];
  return c && c.type === 'text' ? c.text : '';
}

/** Structured content of a successful call; fails loudly with the error text otherwise. */
export function ok<T = Record<string, any>>(r: CallToolResult): T {
  if (r.isError) throw new Error(`tool failed: ${textOf(r)}`);
  return r.structuredContent as T;
}

/** Follows next_cursor until the last page and returns every event id in order. */
export async function pageAll(client: Client, args: Record<string, unknown>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = ok(await call(client, 'lookup_cloudtrail_events', cursor ? { ...args, cursor } : args));
    ids.push(...page.events.map((e: { id: string }) => e.id));
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < 10_000);
  return { ids, pages };
}

/** A store that pages slowly like a remote source: reports progress per page and stops when aborted. */
export function slowStore(events: TrailEvent[], seen: { signal?: AbortSignal; pages: number }): EventStore {
  const inner = new MemoryStore(events);
  return {
    kind: 'lookup',
    query: (q) => inner.query(q),
    eventNames: (q) => inner.eventNames(q),
    status: () => inner.status(),
    async *scan(filter: EventFilter = {}, opts: QueryOptions = {}) {
      seen.signal = opts.signal;
      const all: TrailEvent[] = [];
      for await (const e of inner.scan(filter)) all.push(e);
      for (let i = 0; i < all.length; i += 50) {
        opts.signal?.throwIfAborted();
        await new Promise((r) => setTimeout(r, 20));
        seen.pages++;
        opts.onProgress?.({ phase: 'lookup', done: seen.pages, total: Math.ceil(all.length / 50), detail: `${i + 50} events` });
        yield* all.slice(i, i + 50);
      }
    },
  };
}
