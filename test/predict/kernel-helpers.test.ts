import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import { beforeAll, describe, expect, it } from 'vitest';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { createPredictHelpers, type PredictHelpers } from '../../predict/kernel-helpers.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';


/** Table-friendly: every value a string, number, boolean or null (an empty cell). */
const flat = (rows: object[]) => rows.every((r) => Object.values(r).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));

let predict: PredictHelpers;
beforeAll(async () => {
  predict = createPredictHelpers(await openFilesStore(INVICTUS));
});

describe('predict kernel helpers', () => {
  it('trains lazily once and reports what on', async () => {
    const a = await predict.engine();
    const t = await predict.train();
    expect(await predict.engine()).toBe(a);
    expect(t).toMatchObject({ events: 2900, principals: 19 });
    const again = await predict.train({ force: true });
    expect(await predict.engine()).not.toBe(a);
    expect(again.events).toBe(2900);
  });

  it('returns flat rows for sessions, profiles, peers, next actions, forecasts and anomalies', async () => {
    const sessions = await predict.sessions('bert-jan');
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.reduce((n, s) => n + s.events, 0)).toBe(2642);
    expect(flat(sessions)).toBe(true);

    const all = (await predict.profile()) as object[];
    expect(all).toHaveLength(19);
    expect(flat(all)).toBe(true);
    const one = await predict.profile('arn:aws:iam::123837392027:user/bert-jan');
    expect(one).toMatchObject({ principal: 'bert-jan', events: 2642 });

    const groups = await predict.peerGroups();
    expect(await predict.peers()).toEqual(groups);
    expect(flat(groups)).toBe(true);
    expect(groups.reduce((n, g) => n + g.size, 0)).toBe(19);
    const peers = await predict.peers('benjamin', 3);
    expect(peers).toHaveLength(3);
    expect(flat(peers)).toBe(true);

    const next = await predict.next('bert-jan', { k: 4 });
    expect(next.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
    expect(flat(next)).toBe(true);
    expect(next[0].p).toBeGreaterThanOrEqual(next[3].p);
    // Both levels side by side: the next-burst actions and shapes, rank by rank.
    const burst = await predict.nextBurst('bert-jan', { k: 4 });
    expect(next.map((r) => r.burstAction)).toEqual(burst.actions.map((a) => a.action));
    expect(next.map((r) => r.burstP)).toEqual(burst.actions.map((a) => a.p));
    expect(next[0].burstShape).toBe(burst.shapes[0].shape);
    expect(next[3].burstShape).toBeNull();
    expect(burst.latest.actions.length).toBeGreaterThan(0);
    const shapes = await predict.shapes(5);
    expect(shapes).toHaveLength(5);
    expect(flat(shapes)).toBe(true);
    expect(shapes[0].bursts).toBeGreaterThanOrEqual(shapes[4].bursts);
    expect(await predict.activity()).toMatchObject({ events: 2900, principals: 19, distinctActions: 262, sameSecondShare: 0.7883, meanBurstEvents: 4.6105 });
    expect((await predict.activity('bert-jan')).events).toBe(2642);

    const hour = await predict.nextHour('bert-jan', { at: '2023-07-17T12:00:00Z' });
    expect(hour[0]).toMatchObject({ what: 'all events', from: '2023-07-17T12:00:00.000Z' });
    // Same weekday and hour as the recorded activity (Monday 12:00 UTC): busy.
    expect(hour[0].expectedEvents).toBeGreaterThan(100);
    expect(flat(hour)).toBe(true);

    const findings = await predict.anomalies({ minScore: 0.6, limit: 10 });
    expect(findings.length).toBeGreaterThan(0);
    expect(flat(findings)).toBe(true);
    await expect(predict.profile('nobody-at-all')).rejects.toThrow(/unknown principal "nobody-at-all"/);
  });

  it('draws an hour-of-week heatmap with the Plot module it is given', async () => {
    const { document } = parseHTML('<!DOCTYPE html><html><body></body></html>');
    const fig = (await predict.heatmap('bert-jan', Plot as never, { document })) as { outerHTML: string; querySelectorAll(s: string): ArrayLike<unknown> };
    expect(fig.outerHTML).toContain('<svg');
    expect(fig.outerHTML).toContain('Activity of bert-jan by hour of week');
    // 168 cells: 7 days x 24 hours.
    expect(fig.querySelectorAll('g[aria-label="cell"] rect').length).toBe(168);
    const spec = await predict.heatmapSpec('bert-jan');
    expect(spec.data.filter((d) => d.events > 0).reduce((n, d) => n + d.events, 0)).toBe(2642);
  });

  it('draws a reliability diagram of evaluated probabilities', async () => {
    const { document } = parseHTML('<!DOCTYPE html><html><body></body></html>');
    const { calibration } = await predict.evaluate({ tune: false, tieOrders: 1 });
    const fig = predict.reliability(calibration.bursts!, Plot as never, { document }) as { outerHTML: string; querySelectorAll(s: string): ArrayLike<unknown> };
    expect(fig.outerHTML).toContain(`expected calibration error ${calibration.bursts!.ece}`);
    expect(fig.querySelectorAll('g[aria-label="dot"] circle').length).toBe(calibration.bursts!.bins.length);
  });
});
