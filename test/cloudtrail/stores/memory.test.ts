import { describe, expect, it } from 'vitest';
import { normalise } from '../../../cloudtrail/event.ts';
import { MemoryStore } from '../../../cloudtrail/stores/memory.ts';

const base = Date.parse('2026-01-01T00:00:00Z');
const events = Array.from({ length: 25 }, (_, i) =>
  normalise({
    eventTime: new Date(base + Math.floor(i / 2) * 60_000).toISOString(),
    eventSource: i % 3 === 0 ? 's3.amazonaws.com' : 'ec2.amazonaws.com',
    eventName: i % 3 === 0 ? 'GetObject' : 'DescribeInstances',
    eventID: `id-${String(i).padStart(2, '0')}`,
    errorCode: i % 5 === 0 ? 'AccessDenied' : undefined,
    userIdentity: { type: 'IAMUser', userName: i % 2 ? 'alice' : 'bob' },
  }),
);

describe('MemoryStore', () => {
  it('pages ascending with a keyset cursor and returns every event exactly once', async () => {
    const store = new MemoryStore([...events].reverse());
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({ limit: 7, cursor });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(events.map((e) => e.id));
  });

  it('pages descending without repeats', async () => {
    const store = new MemoryStore(events);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({ limit: 4, cursor, order: 'desc' });
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(events.map((e) => e.id).reverse());
  });

  it('filters by principal, errors and time range', async () => {
    const store = new MemoryStore(events);
    const page = await store.query({ principal: 'alice', errorsOnly: true, start: base + 60_000, end: base + 10 * 60_000 });
    const expected = events.filter((e, i) => i % 2 === 1 && i % 5 === 0 && e.time >= base + 60_000 && e.time < base + 600_000);
    expect(page.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(page.nextCursor).toBeUndefined();
  });

  it('counts event names, most frequent first', async () => {
    const counts = await new MemoryStore(events).eventNames({ top: 1 });
    expect(counts).toEqual([{ source: 'ec2.amazonaws.com', name: 'DescribeInstances', count: 16 }]);
  });

  it('rejects a tampered cursor with a clear message', async () => {
    await expect(new MemoryStore(events).query({ cursor: 'garbage' })).rejects.toThrow(/Invalid cursor/);
  });
});
