import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionOf, type TrailEvent } from '../../cloudtrail/event.ts';
import { generate } from '../../cloudtrail/generator/index.ts';
import { openEngineStore, type EngineStore } from '../../cloudtrail/stores/engine.ts';
import { openFilesStore, type FilesStore } from '../../cloudtrail/stores/files.ts';
import { readEvents, trainEngine } from '../../predict/engine.ts';
import { readPredictionEvents } from '../../predict/from-engine.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';
import { eventFields } from '../support/event-fields.ts';

const fields = eventFields;

let generated: string;
afterAll(() => rm(generated, { recursive: true, force: true }));

describe.each([
  ['a generated sample', async () => (generated = await mkdtemp(join(tmpdir(), 'trailbook-predict-engine-')), generate({ outDir: generated, events: 4000, days: 5, seed: 11 }), generated)],
  ['the invictus deliveries', async () => INVICTUS],
])('prediction read from the engine, over %s', (_label, dirOf) => {
  let files: FilesStore;
  let engine: EngineStore;
  let expected: TrailEvent[];
  beforeAll(async () => {
    const dir = await dirOf();
    files = await openFilesStore(dir, { cacheDir: false });
    engine = await openEngineStore(dir, { cacheDir: false });
    expected = await readEvents(files);
  }, 120_000);
  afterAll(() => engine?.close());

  it('reads the events the files store scans, in the same order', async () => {
    const got = await readPredictionEvents(engine.engine);
    expect(got.map(fields)).toEqual(expected.map(fields));
    // Only what prediction needs: the record stays in the table.
    expect(() => got[0].raw).toThrow(/without its record/);
  });

  it('is what readEvents gives for the engine-backed store, filters included', async () => {
    const who = expected[Math.floor(expected.length / 2)].principal.key;
    expect((await readEvents(engine)).map(fields)).toEqual(expected.map(fields));
    expect((await readEvents(engine, { principal: who })).map(fields)).toEqual((await readEvents(files, { principal: who })).map(fields));
    const start = expected[Math.floor(expected.length / 3)].time;
    expect((await readEvents(engine, { start, errorsOnly: true })).map(fields)).toEqual((await readEvents(files, { start, errorsOnly: true })).map(fields));
  });

  it('trains a model that predicts what the files-trained one predicts', async () => {
    const fromFiles = trainEngine(expected);
    const fromEngine = trainEngine(await readPredictionEvents(engine.engine));
    expect(fromEngine.eventCount).toBe(fromFiles.eventCount);
    expect([...fromEngine.profiles.keys()]).toEqual([...fromFiles.profiles.keys()]);
    expect(JSON.stringify([...fromEngine.profiles.values()])).toBe(JSON.stringify([...fromFiles.profiles.values()]));
    expect(fromEngine.peers.groups).toEqual(fromFiles.peers.groups);
    let compared = 0;
    for (const [principal, list] of fromFiles.events) {
      for (const at of [Math.floor(list.length / 2), list.length]) {
        const recent = list.slice(Math.max(0, at - 20), at).map(actionOf);
        expect(fromEngine.model.predict(principal, 5, { recent })).toEqual(fromFiles.model.predict(principal, 5, { recent }));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(4);
  });
});
