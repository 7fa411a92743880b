import { expect, it } from 'vitest';
import type { TrailEvent } from '../../cloudtrail/event.ts';
import type { EventFilter, EventStore, QueryOptions } from '../../cloudtrail/query.ts';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { connectInProcess, fixtureEvents } from './helpers.ts';

/** A store that pages slowly like a remote source: reports progress per page and stops when aborted. */
function slowStore(events: TrailEvent[], seen: { signal?: AbortSignal; pages: number }): EventStore {
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

it('reports store progress as MCP progress notifications', async () => {
  const seen = { pages: 0 } as { signal?: AbortSignal; pages: number };
  const { client, close } = await connectInProcess(slowStore(fixtureEvents(), seen));
  const progress: { progress: number; message?: string }[] = [];
  const r = await client.callTool({ name: 'list_cloudtrail_principals', arguments: {} }, undefined, { onprogress: (p) => progress.push(p) });
  expect(r.isError).toBeFalsy();
  expect(progress.length).toBe(seen.pages);
  expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
  expect(progress[0].message).toBe('lookup 1/5: 50 events');
  await close();
});

it('passes the client’s cancellation to the store', async () => {
  const seen = { pages: 0 } as { signal?: AbortSignal; pages: number };
  const { client, close } = await connectInProcess(slowStore(fixtureEvents(), seen));
  const abort = new AbortController();
  const call = client.callTool({ name: 'get_cloudtrail_activity_timeline', arguments: {} }, undefined, {
    signal: abort.signal,
    onprogress: () => abort.abort('user stopped it'),
  });
  await expect(call).rejects.toThrow(/user stopped it|abort/i);
  await new Promise((r) => setTimeout(r, 80));
  expect(seen.signal?.aborted).toBe(true);
  expect(seen.pages).toBeLessThan(5);
  // The server is still there for the next call.
  const again = await client.callTool({ name: 'lookup_cloudtrail_events', arguments: { max_results: 1 } });
  expect((again.structuredContent as { count: number }).count).toBe(1);
  await close();
});
