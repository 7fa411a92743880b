import { expect, it } from 'vitest';
import type { EventFilter } from '../../../cloudtrail/query.ts';
import { MemoryStore } from '../../../cloudtrail/stores/memory.ts';
import { EventIndex } from '../../../mcp/index/event-index.ts';
import { indexPage } from '../../../mcp/index/lookup.ts';
import { FIXTURE_END } from '../fixture.ts';
import { fixtureEvents } from '../helpers.ts';

// Lookups of a local source are read from the MCP index; the store's own query is the reference: the same
// events in the same order, and the same cursors, so a page of either can be continued by the other.

const events = fixtureEvents();
const store = new MemoryStore(events);
const index = new EventIndex(events);
const HOUR = 3_600_000;

const filters: EventFilter[] = [
  {},
  { principal: 'alice' },
  { principal: 'carol@example.com', start: FIXTURE_END - 48 * HOUR, end: FIXTURE_END - 12 * HOUR },
  { eventName: 'GetObject', errorsOnly: true },
  { eventSource: 's3.amazonaws.com', readOnly: false },
  { readOnly: true, start: FIXTURE_END - 24 * HOUR },
  { principal: 'nobody' },
  { eventName: 'NoSuchCall' },
  { start: FIXTURE_END + HOUR },
];

it('pages like the store: the same events, order and cursors, for every filter, order and page size', async () => {
  for (const filter of filters) {
    for (const order of ['asc', 'desc'] as const) {
      for (const limit of [1, 7, 50, 1000]) {
        let cursor: string | undefined;
        let pages = 0;
        do {
          const want = await store.query({ ...filter, limit, order, cursor });
          const got = indexPage(index, index.compile(filter), { limit, order, cursor });
          const label = `${JSON.stringify(filter)} ${order} ${limit} page ${pages}`;
          expect(got.events.map((e) => e.id), label).toEqual(want.events.map((e) => e.id));
          expect(got.nextCursor, label).toEqual(want.nextCursor);
          cursor = got.nextCursor;
          pages++;
        } while (cursor);
        expect(pages).toBeGreaterThan(0);
      }
    }
  }
});

it('walks every matching event once across its pages, ending with no cursor', () => {
  const all: string[] = [];
  let cursor: string | undefined;
  do {
    const page = indexPage(index, index.compile({ principal: 'bob' }), { limit: 9, order: 'desc', cursor });
    all.push(...page.events.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  const bobs = events.filter((e) => e.principal.name === 'bob').sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : -1));
  expect(all).toEqual(bobs.map((e) => e.id));
});
