import { describe, expect, it } from 'vitest';
import { actionOf, normalise, type TrailEvent } from '../../../cloudtrail/event.ts';
import { countEventNames, matches, type EventFilter } from '../../../cloudtrail/query.ts';
import { CloudTrailRecord } from '../../../cloudtrail/record.ts';
import { MemoryStore } from '../../../cloudtrail/stores/memory.ts';
import { EventIndex } from '../../../mcp/index/event-index.ts';
import { FIXTURE_END, fixtureRecords } from '../fixture.ts';
import { call, connectInProcess, ok } from '../helpers.ts';

const HOUR = 3_600_000;

/** The fixture plus the awkward cases: one name in two services, one person behind two roles, blanks, a repeated id, readOnly unknown. */
function records(): CloudTrailRecord[] {
  const base = fixtureRecords();
  const extra = base.slice(0, 40).map((r, i) => {
    const copy = structuredClone(r) as CloudTrailRecord & Record<string, unknown>;
    copy.eventID = `extra-${i}`;
    if (i % 4 === 0) copy.eventSource = 'example.amazonaws.com';
    if (i % 5 === 0) copy.awsRegion = '';
    if (i % 6 === 0) copy.sourceIPAddress = '';
    if (i % 7 === 0) delete copy.readOnly;
    if (i % 3 === 0)
      copy.userIdentity = { ...base[2].userIdentity!, arn: `arn:aws:sts::123456789012:assumed-role/Auditor/carol@example.com`, accessKeyId: `ASIAAUDIT${i}`, sessionContext: { sessionIssuer: { type: 'Role', userName: 'Auditor' } } } as never;
    return copy;
  });
  // The same eventID twice, an hour apart: by id, the earlier one is found, unless a window leaves it out.
  const twin = structuredClone(base[100]);
  twin.eventTime = new Date(Date.parse(base[100].eventTime) + HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z');
  twin.eventName = 'TwinCall';
  return [...base, ...extra, twin];
}

const events = records().map((r) => normalise(CloudTrailRecord.parse(r)));

/** Straightforward answers from the events, independent of the index. */
function expectedTimeline(filter: EventFilter, width: number) {
  const by = new Map<number, TrailEvent[]>();
  for (const e of events.filter((x) => matches(x, filter))) {
    const b = Math.floor(e.time / width) * width;
    by.set(b, [...(by.get(b) ?? []), e]);
  }
  return [...by]
    .sort((a, b) => a[0] - b[0])
    .map(([t, es]) => ({ start: new Date(t).toISOString(), events: es.length, errors: es.filter((e) => e.errorCode).length, principals: new Set(es.map((e) => e.principal.key)).size }));
}

function expectedPrincipal(key: string, filter: EventFilter) {
  const es = events.filter((e) => matches(e, filter) && e.principal.key === key).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
  const actions = new Map<string, number>();
  for (const e of es) actions.set(actionOf(e), (actions.get(actionOf(e)) ?? 0) + 1);
  // The row describes the identity with the most events among those of a known type, the first seen on a tie.
  const identities = new Map<string, { principal: TrailEvent['principal']; count: number }>();
  for (const e of es) {
    const p = e.principal;
    const id = JSON.stringify([p.type, p.arn, p.name, p.session, p.human, p.accessKeyId, p.key]);
    const seen = identities.get(id) ?? { principal: p, count: 0 };
    seen.count++;
    identities.set(id, seen);
  }
  const rank = ({ principal, count }: { principal: TrailEvent['principal']; count: number }) => (principal.type && principal.type !== 'Unknown' ? 1e9 : 0) + count;
  const who = [...identities.values()].reduce((best, x) => (rank(x) > rank(best) ? x : best)).principal;
  return {
    key,
    type: who.type,
    name: who.name,
    ...(who.human ? { human: who.human } : {}),
    events: es.length,
    errors: es.filter((e) => e.errorCode).length,
    read_only: es.filter((e) => e.readOnly === true).length,
    mutating: es.filter((e) => e.readOnly === false).length,
    arns: [...new Set(es.map((e) => e.principal.arn).filter(Boolean))].slice(0, 5),
    access_key_ids: new Set(es.map((e) => e.principal.accessKeyId).filter(Boolean)).size,
    distinct_actions: actions.size,
    regions: [...new Set(es.map((e) => e.region).filter(Boolean))].sort(),
    source_ips: new Set(es.map((e) => e.sourceIp).filter(Boolean)).size,
    first_seen: new Date(es[0].time).toISOString(),
    last_seen: new Date(es[es.length - 1].time).toISOString(),
    top_actions: [...actions].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).slice(0, 5).map(([action, count]) => ({ action, count })),
  };
}

const cases: { args: Record<string, unknown>; filter: EventFilter }[] = [
  { args: {}, filter: {} },
  { args: { start_time: '-24h' }, filter: { start: FIXTURE_END - 24 * HOUR } },
  { args: { start_time: '-48h', end_time: '-12h', username: 'carol@example.com' }, filter: { start: FIXTURE_END - 48 * HOUR, end: FIXTURE_END - 12 * HOUR, principal: 'carol@example.com' } },
  { args: { username: 'Auditor' }, filter: { principal: 'Auditor' } },
  { args: { event_source: 'example.amazonaws.com' }, filter: { eventSource: 'example.amazonaws.com' } },
  { args: { event_name: 'GetObject', errors_only: true }, filter: { eventName: 'GetObject', errorsOnly: true } },
  { args: { username: 'nobody' }, filter: { principal: 'nobody' } },
  { args: { event_name: 'NoSuchCall' }, filter: { eventName: 'NoSuchCall' } },
];

describe('answers from the index equal answers computed from the events', () => {
  it('event names, timelines and principals, for every kind of filter', async () => {
    const { client, close } = await connectInProcess(new MemoryStore(events));
    try {
      for (const { args, filter } of cases) {
        const label = JSON.stringify(args);
        // Event names take the window, principal and service only.
        if (Object.keys(args).every((k) => ['start_time', 'end_time', 'username', 'event_source'].includes(k))) {
          const names = ok(await call(client, 'get_cloudtrail_event_names', { ...args, top: 1000 }));
          expect(names.event_names, label).toEqual(countEventNames(events, filter).map(({ source, name, count }) => ({ source, name, count })));
        }
        for (const bucket of ['hour', 'day'] as const) {
          const t = ok(await call(client, 'get_cloudtrail_activity_timeline', { ...args, bucket }));
          expect(t.buckets, `${label} ${bucket}`).toEqual(expectedTimeline(filter, bucket === 'hour' ? HOUR : 24 * HOUR));
        }
        const { username: _u, ...principalArgs } = args;
        const p = ok(await call(client, 'list_cloudtrail_principals', { ...principalArgs, top: 1000 }));
        const pf = { ...filter, principal: undefined };
        const keys = new Set(events.filter((e) => matches(e, pf)).map((e) => e.principal.key));
        expect(p.total_principals, label).toBe(keys.size);
        for (const row of p.principals) expect(row, `${label} ${row.key}`).toEqual(expectedPrincipal(row.key, pf));
      }
    } finally {
      await close();
    }
  });

  it('asked again, gives the same answer (kept per filter), and a principal type narrows the principals', async () => {
    const { client, close } = await connectInProcess(new MemoryStore(events));
    try {
      const first = ok(await call(client, 'list_cloudtrail_principals', { sort_by: 'errors' }));
      const again = ok(await call(client, 'list_cloudtrail_principals', { sort_by: 'events' }));
      expect(new Set(again.principals.map((p: { key: string }) => p.key))).toEqual(new Set(first.principals.map((p: { key: string }) => p.key)));
      expect(ok(await call(client, 'list_cloudtrail_principals', { sort_by: 'errors' }))).toEqual(first);
      const services = ok(await call(client, 'list_cloudtrail_principals', { principal_type: 'AWSService' }));
      expect(services.principals.map((p: { key: string }) => p.key)).toEqual(['ec2.amazonaws.com']);
      expect(services.total_events).toBe(events.filter((e) => e.principal.type === 'AWSService').length);
    } finally {
      await close();
    }
  });

  it('keeps each principal filter resolved once, and tells apart filters that differ in principal or type only', () => {
    const index = new EventIndex(events);
    const accepted = (f: Parameters<EventIndex['compile']>[0]) => {
      const c = index.compile(f);
      return events.filter((_, i) => index.accepts(c, index.events.indexOf(events[i]))).length;
    };
    const carol = index.compile({ principal: 'carol@example.com' });
    expect(index.compile({ principal: 'carol@example.com', start: FIXTURE_END - HOUR }).principals).toBe(carol.principals);
    expect(accepted({ principal: 'carol@example.com' })).toBe(events.filter((e) => matches(e, { principal: 'carol@example.com' })).length);
    expect(accepted({ principal: 'carol@example.com', principalType: 'IAMUser' })).toBe(0);
    expect(index.compile({ principal: 'carol@example.com', principalType: 'IAMUser' }).none).toBe(true);
    expect(accepted({ principalType: 'IAMUser' })).toBe(events.filter((e) => e.principal.type === 'IAMUser').length);
    // Asked again after the others, still the same answer.
    expect(accepted({ principal: 'carol@example.com' })).toBe(events.filter((e) => matches(e, { principal: 'carol@example.com' })).length);
  });

  it('finds an event by id: the first in time order, inside the window when one is given', () => {
    const index = new EventIndex([...events].reverse()); // given out of order: the index sorts
    const twins = events.filter((e) => e.id === events[100].id).sort((a, b) => a.time - b.time);
    expect(twins.length).toBe(2);
    expect(index.events[index.find(twins[0].id)]).toBe(twins[0]);
    expect(index.events[index.find(twins[0].id, { start: twins[0].time + 1 })]).toBe(twins[1]);
    expect(index.find(twins[0].id, { end: twins[0].time })).toBe(-1);
    expect(index.find('no-such-id')).toBe(-1);
    for (const e of events.filter((x) => !x.id.startsWith(twins[0].id))) expect(index.events[index.find(e.id)].id).toBe(e.id);
  });
});
