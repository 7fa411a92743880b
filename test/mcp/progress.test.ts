import { expect, it } from 'vitest';
import { connectInProcess, fixtureEvents, slowStore } from './helpers.ts';

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
