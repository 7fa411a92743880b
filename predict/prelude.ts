import type { PreludeModule } from '../kernel/prelude/types.ts';
import type { HeatmapOptions, PlotModule } from './plot.ts';

/**
 * The kernel's `predict` global, ready to list in kernel/prelude/index.ts: prediction helpers over the configured
 * store (TRAILBOOK_SOURCE / TRAILBOOK_DATA_DIR). The engine trains on first use. `predict.heatmap(principal)`
 * uses the kernel's Plot (linkedom DOM) unless a Plot module is passed.
 */
export const predictPrelude: PreludeModule = {
  name: 'predict',
  globals: {
    predict: {
      load: async (ctx) => {
        const [{ createPredictHelpers }, { kernelStore }, { loadPlot }] = await Promise.all([
          import('./kernel-helpers.ts'),
          import('../kernel/prelude/store.ts'),
          import('../kernel/prelude/plot.ts'),
        ]);
        const helpers = createPredictHelpers(await kernelStore(ctx.env));
        return {
          ...helpers,
          heatmap: async (principal: string, Plot?: PlotModule, opts: HeatmapOptions = {}) =>
            helpers.heatmap(principal, Plot ?? ((await loadPlot()) as PlotModule), opts),
        };
      },
    },
  },
  types: `
/** Behaviour prediction over the notebook's CloudTrail data. Every method returns plain objects or flat rows (tables). */
declare const predict: {
  /** Trains (or retrains with force) the engine; trains lazily on first use otherwise. */
  train(opts?: { force?: boolean }): Promise<{ events: number; principals: number; vocabulary: number; peerGroups: number; trainMs: number }>;
  /** Sessions split on an inactivity gap (default 30 minutes). */
  sessions(principal?: string, opts?: { gapMinutes?: number }): Promise<{ principal: string; index: number; start: string; end: string; durationMinutes: number; events: number; errors: number; errorRate: number; services: string; distinctActions: number; firstAction: string; lastAction: string }[]>;
  /** Activity profile row of one principal (name, ARN, session, person or access key id), or of all principals. */
  profile(principal?: string): Promise<Record<string, string | number> | Record<string, string | number>[]>;
  /** Full profile: hourOfWeek[day][hour] (Sunday first, UTC), services, APIs, regions, IPs, user agents. */
  profileDetail(principal: string): Promise<{ principal: string; events: number; hourOfWeek: number[][]; [k: string]: unknown }>;
  /** Most similar principals (cosine over service/API mix), or every peer group without a principal. */
  peers(principal?: string, k?: number): Promise<Record<string, string | number | boolean>[]>;
  peerGroups(): Promise<{ group: number; size: number; members: string; topActions: string }[]>;
  /** The k most likely next actions (eventSource:eventName); default context: the principal's latest actions. */
  next(principal: string, opts?: { k?: number; recent?: string[]; gapMinutes?: number }): Promise<{ principal: string; rank: number; action: string; service: string; p: number; known: boolean; newSession: boolean }[]>;
  /** Expected activity in the next hour (or day): first row all events, then per API. */
  nextHour(principal: string, opts?: { at?: string | number | Date; horizon?: 'hour' | 'day'; top?: number }): Promise<{ principal: string; from: string; to: string; what: string; expectedEvents: number; share: number; pActive: number }[]>;
  /** Surprising actions, first-seen service/region/IP/user agent, AccessDenied bursts; score 0-1 with an explanation. */
  anomalies(opts?: { principal?: string; start?: number; end?: number; minScore?: number; limit?: number; kinds?: ('surprising-action' | 'new-service' | 'new-region' | 'new-source-ip' | 'new-user-agent' | 'access-denied-burst')[] }): Promise<{ kind: string; principal: string; time: string; score: number; action: string; eventId: string; explanation: string; value?: number }[]>;
  /** Held-out evaluation: first 70% of each principal trains, the rest tests; model vs baselines. */
  evaluate(opts?: { trainFraction?: number; tune?: boolean }): Promise<{ scores: { model: string; predictions: number; top1: number; top5: number; mrr5: number }[]; [k: string]: unknown }>;
  /** Hour-of-week heatmap figure (uses the kernel's Plot unless one is given). */
  heatmap(principal: string, Plot?: unknown, opts?: { title?: string; width?: number; labels?: boolean }): Promise<unknown>;
  heatmapSpec(principal: string, opts?: { title?: string }): Promise<{ data: { principal: string; day: string; dayIndex: number; hour: number; events: number }[]; options: Record<string, unknown> }>;
};
`,
};
