import { describe, expect, it } from 'vitest';
import { predictPrelude } from '../../predict/prelude.ts';
import type { PredictHelpers } from '../../predict/kernel-helpers.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';


describe('predict prelude module', () => {
  it('loads helpers over the configured store and draws with the kernel Plot by default', async () => {
    const predict = (await predictPrelude.globals.predict.load!({ cwd: process.cwd(), env: { TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: INVICTUS } })) as PredictHelpers;
    expect((await predict.train()).events).toBe(2900);
    const heatmap = predict.heatmap as unknown as (principal: string) => Promise<{ outerHTML: string }>;
    const fig = await heatmap('bert-jan');
    expect(fig.outerHTML).toContain('<svg');
    expect(predictPrelude.types).toContain('declare const predict');
    const reliability = predict.reliability as unknown as (r: unknown) => Promise<{ outerHTML: string }>;
    expect((await reliability({ bins: [{ from: 0.1, to: 0.2, predictions: 3, meanPredicted: 0.15, observed: 0.2 }], ece: 0.05 })).outerHTML).toContain('<svg');
    for (const method of ['sessions', 'profile', 'peers', 'next', 'nextBurst', 'shapes', 'activity', 'nextHour', 'anomalies', 'evaluate', 'heatmap', 'reliability']) {
      expect(typeof (predict as Record<string, unknown>)[method]).toBe('function');
      expect(predictPrelude.types).toContain(`  ${method}(`);
    }
  });
});
