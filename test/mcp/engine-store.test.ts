import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../cloudtrail/event.ts';
import { generate } from '../../cloudtrail/generator/index.ts';
import { openEngineStore, type EngineStore } from '../../cloudtrail/stores/engine.ts';
import { openFilesStore, type FilesStore } from '../../cloudtrail/stores/files.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';
import { call, connectInProcess, ok, pageAll } from './helpers.ts';

/**
 * The MCP tools over the engine-backed `files` store (TRAILBOOK_FILES_ENGINE=duckdb), whose index is built from the
 * engine's columns, answer what they answer over the parsing store. Raw records differ by what the table keeps
 * (docs/sql.md), so they are compared with the engine store's own get(id).
 */

let generated: string;
beforeAll(async () => {
  generated = await mkdtemp(join(tmpdir(), 'trailbook-mcp-engine-'));
  generate({ outDir: generated, events: 3000, days: 4, seed: 9 });
}, 60_000);
afterAll(() => rm(generated, { recursive: true, force: true }));

const withoutRaw = ({ raw: _raw, ...rest }: Record<string, unknown>) => rest;

describe.each([
  ['a generated sample', () => generated],
  ['the invictus deliveries', () => INVICTUS],
])('MCP tools over the engine store and the files store, %s', (_label, dirOf) => {
  let files: FilesStore;
  let engine: EngineStore;
  let a: Awaited<ReturnType<typeof connectInProcess>>;
  let b: Awaited<ReturnType<typeof connectInProcess>>;
  let events: TrailEvent[];
  beforeAll(async () => {
    files = await openFilesStore(dirOf(), { cacheDir: false });
    engine = await openEngineStore(dirOf(), { cacheDir: false });
    events = [];
    for await (const e of files.scan()) events.push(e);
    const now = () => events[events.length - 1].time + 3_600_000;
    a = await connectInProcess(files, now);
    b = await connectInProcess(engine, now);
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await engine?.close();
  });

  /** Both servers' structured answers to one call. */
  const both = async (name: string, args: Record<string, unknown>) => [ok(await call(a.client, name, args)), ok(await call(b.client, name, args))];

  it('pages lookups alike (events, cursors, filters), with records when asked', async () => {
    const all = { start_time: '2000-01-01T00:00:00Z' };
    const who = events[Math.floor(events.length / 2)].principal.key;
    const name = events[Math.floor(events.length / 3)].name;
    for (const args of [{ ...all, max_results: 50 }, { ...all, order: 'asc', max_results: 37 }, { ...all, username: who }, { ...all, event_name: name, errors_only: false }, { ...all, read_only: true, max_results: 5 }]) {
      const [x, y] = await both('lookup_cloudtrail_events', args);
      expect(y, JSON.stringify(args)).toEqual(x);
      expect((await pageAll(b.client, { ...args, max_results: 500 })).ids, JSON.stringify(args)).toEqual((await pageAll(a.client, { ...args, max_results: 500 })).ids);
    }
    const [x, y] = await both('lookup_cloudtrail_events', { ...all, include_raw: true, max_results: 20 });
    expect(y.events.map(withoutRaw)).toEqual(x.events.map(withoutRaw));
    for (const e of y.events) expect(e.raw).toEqual(JSON.parse(JSON.stringify((await engine.get(e.id))!.raw)));
  });

  it('gets an event by id alike', async () => {
    for (const e of [events[0], events[Math.floor(events.length / 2)], events[events.length - 1]]) {
      const [x, y] = await both('get_cloudtrail_event', { event_id: e.id });
      expect(withoutRaw(y.event)).toEqual(withoutRaw(x.event));
      expect(y.event.raw).toEqual(JSON.parse(JSON.stringify((await engine.get(e.id))!.raw)));
    }
  });

  it('counts names, timelines and principals alike', async () => {
    const all = { start_time: '2000-01-01T00:00:00Z' };
    const who = events[Math.floor(events.length / 4)].principal.key;
    for (const [name, args] of [
      ['get_cloudtrail_event_names', all],
      ['get_cloudtrail_event_names', { ...all, username: who }],
      ['get_cloudtrail_activity_timeline', { ...all, bucket: 'day' }],
      ['get_cloudtrail_activity_timeline', { ...all, bucket: 'hour', errors_only: true }],
      ['list_cloudtrail_principals', all],
      ['list_cloudtrail_principals', { ...all, principal_type: 'AssumedRole' }],
    ] as const) {
      const [x, y] = await both(name, args);
      expect(y, `${name} ${JSON.stringify(args)}`).toEqual(x);
    }
  });

  it('predicts alike', async () => {
    const who = events[Math.floor(events.length / 2)].principal.key;
    for (const [name, args] of [
      ['predict_next_actions', { principal: who }],
      ['get_activity_profile', { principal: who }],
      ['detect_anomalies', {}],
    ] as const) {
      const [x, y] = await both(name, args);
      expect(y, name).toEqual(x);
    }
  });
});
