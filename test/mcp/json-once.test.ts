import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { compactEvent, compactEventsJson, compactEventsQuoted } from '../../mcp/events.ts';
import { jsonWithFirstValue, messageJson, quotedWithFirstValue, splicedResultJson } from '../../mcp/json-once.ts';
import { createCloudTrailMcpServer } from '../../mcp/server.ts';
import { FIXTURE_END } from './fixture.ts';
import { fixtureEvents } from './helpers.ts';

/**
 * The server's answers as the transport gets them (after the SDK's own checks and copies), over the SDK's
 * in-memory link, whose client side receives the very message object the server sends.
 */
const events = fixtureEvents();
let send: (method: string, params?: Record<string, unknown>) => Promise<JSONRPCMessage>;
let close: () => Promise<void>;

beforeAll(async () => {
  const server = createCloudTrailMcpServer({ store: new MemoryStore(events), now: () => FIXTURE_END });
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const pending = new Map<number, (m: JSONRPCMessage) => void>();
  clientSide.onmessage = (m) => 'id' in m && pending.get(m.id as number)?.(m);
  await clientSide.start();
  let id = 0;
  send = (method, params) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      void clientSide.send({ jsonrpc: '2.0', id, method, params });
    });
  close = () => server.close();
});
afterAll(() => close());

const tool = (name: string, args: Record<string, unknown>) => send('tools/call', { name, arguments: args });

describe('tool answers written from the JSON the tool made', () => {
  const calls: [string, Record<string, unknown>][] = [
    ['lookup_cloudtrail_events', { max_results: 50 }],
    ['lookup_cloudtrail_events', { max_results: 50 }], // again: the events' JSON kept from the first
    ['lookup_cloudtrail_events', { max_results: 20, order: 'asc', username: 'alice' }],
    ['lookup_cloudtrail_events', { max_results: 3, include_raw: true }],
    ['lookup_cloudtrail_events', { max_results: 5, event_name: 'NoSuchAction' }],
    ['get_cloudtrail_event', { event_id: events[7].id }],
    ['get_cloudtrail_event_names', { top: 3 }],
    ['get_cloudtrail_activity_timeline', { bucket: 'hour' }],
    ['list_cloudtrail_principals', {}],
    ['get_cloudtrail_status', {}],
  ];

  it.each(calls)('%s %j: the same characters as serialising the message', async (name, args) => {
    const message = await tool(name, args);
    const spliced = splicedResultJson(message);
    expect(spliced).toBeDefined();
    expect(spliced).toBe(JSON.stringify(message));
    expect(messageJson(message)).toBe(spliced);
    const { result } = message as unknown as { result: { content: { text: string }[]; structuredContent: unknown } };
    expect(result.content[0].text).toBe(JSON.stringify(result.structuredContent));
  });

  it('serialises anything else in full: errors, other results, a structured content changed after the tool', async () => {
    const failed = await tool('get_cloudtrail_event', { event_id: 'no-such-id' });
    expect(splicedResultJson(failed)).toBeUndefined();
    expect(messageJson(failed)).toBe(JSON.stringify(failed));
    const ping = await send('ping');
    expect(splicedResultJson(ping)).toBeUndefined();
    expect(messageJson(ping)).toBe(JSON.stringify(ping));

    const changed = (await tool('lookup_cloudtrail_events', { max_results: 2 })) as unknown as { result: { structuredContent: Record<string, unknown> } };
    changed.result.structuredContent.count = 99;
    expect(splicedResultJson(changed as unknown as JSONRPCMessage)).toBeUndefined();
    expect(messageJson(changed as unknown as JSONRPCMessage)).toContain('"count":99');
  });
});

describe('JSON made in parts', () => {
  it('jsonWithFirstValue writes the rest of the object around the first value, in key order', () => {
    for (const data of [{ events: [1, { a: 'x"y' }], count: 2, order: 'desc', next_cursor: 'c' }, { only: { a: 1 } }, { e: [], x: undefined, y: null }]) {
      const first = Object.values(data)[0];
      expect(jsonWithFirstValue(data, JSON.stringify(first))).toBe(JSON.stringify(data));
    }
  });

  it('compactEventsJson is JSON.stringify of the compact events, first time and kept, records included or not', () => {
    const some = events.slice(10, 40);
    for (const raw of [false, true, false]) {
      const compact = some.map((e) => compactEvent(e, raw));
      expect(compactEventsJson(some, compact)).toBe(JSON.stringify(compact));
    }
    expect(compactEventsJson([], [])).toBe('[]');
  });

  it('the quoted forms are JSON.stringify of that JSON, kept or not, with quotes, backslashes, controls, separators and lone surrogates', () => {
    const odd = ['a "quoted" \\ path', 'tab\tnew\nline\u0001', 'sep\u2028\u2029 ümlaut 漢字 😀', `lone ${String.fromCharCode(0xd800)} high`, `lone ${String.fromCharCode(0xdc00)} low`];
    const tricky = events.slice(0, odd.length).map((e, i) => ({ ...e, userAgent: odd[i], errorMessage: odd[(i + 1) % odd.length], principal: { ...e.principal, name: odd[(i + 2) % odd.length] } }));
    for (const raw of [false, false, true]) {
      const compact = tricky.map((e) => compactEvent(e, raw));
      const json = compactEventsJson(tricky, compact);
      expect(json).toBe(JSON.stringify(compact));
      expect(compactEventsQuoted(tricky, compact)).toBe(JSON.stringify(json).slice(1, -1));
      const data = { events: compact, count: compact.length, order: 'desc', next_cursor: odd[0] };
      expect(quotedWithFirstValue(data, compactEventsQuoted(tricky, compact))).toBe(JSON.stringify(JSON.stringify(data)));
    }
  });
});
