import type { PreludeModule } from '../kernel/prelude/types.ts';
import type { Reliability } from './calibration.ts';
import type { HeatmapOptions, PlotModule, ReliabilityPlotModule } from './plot.ts';

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
          reliability: async (reliability: Reliability, Plot?: ReliabilityPlotModule, opts: { title?: string; width?: number } = {}) =>
            helpers.reliability(reliability, Plot ?? ((await loadPlot()) as ReliabilityPlotModule), opts),
        };
      },
    },
  },
  types: `
interface Spread { mean: number; sd: number; min: number; max: number }
interface Reliability { predictions: number; ece: number; meanPredicted: number; observed: number; bins: { from: number; to: number; predictions: number; meanPredicted: number; observed: number }[] }
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
  /**
   * The k most likely next actions (eventSource:eventName, p sums to 1 over all actions); default context: the
   * principal's latest actions. Beside them, rank by rank: the actions most likely in the next burst (burstP: the
   * probability of being in it) and the next burst's most likely shapes.
   */
  next(principal: string, opts?: { k?: number; recent?: string[]; gapMinutes?: number }): Promise<{ principal: string; rank: number; action: string; service: string; p: number; known: boolean; newSession: boolean; burstAction: string | null; burstP: number | null; burstShape: string | null; burstShapeP: number | null }[]>;
  /** The next burst (the calls sharing the principal's next second of activity): latest burst and shape, likely shapes, each action's probability of being in it. */
  nextBurst(principal: string, opts?: { k?: number; recent?: string[]; gapMinutes?: number }): Promise<{ principal: string; known: boolean; newSession: boolean; latest: { actions: string[]; shape?: string }; shapes: { shape: string; p: number; actions: string[] }[]; actions: { rank: number; action: string; service: string; p: number }[]; expectedActions: number }>;
  /** Burst shapes the engine learned ("EC2 Instance (read)", "CloudFormation ChangeSet (write)"), most frequent first. */
  shapes(top?: number): Promise<{ shape: string; bursts: number; actions: string }[]>;
  /** Activity statistics: share of consecutive events in the same second, mean events per burst, distinct actions, read-only and error shares, calls per active hour, identity types. */
  activity(principal?: string): Promise<{ events: number; principals: number; sameSecondShare: number; meanBurstEvents: number; distinctActions: number; readOnlyShare: number; errorShare: number; callsPerActiveHour: number; identityTypes: Record<string, number> }>;
  /** Expected activity in the next hour (or day): first row all events, then per API. */
  nextHour(principal: string, opts?: { at?: string | number | Date; horizon?: 'hour' | 'day'; top?: number }): Promise<{ principal: string; from: string; to: string; what: string; expectedEvents: number; share: number; pActive: number }[]>;
  /** Surprising actions, first-seen service/region/IP/user agent, AccessDenied bursts; score 0-1 with an explanation. */
  anomalies(opts?: { principal?: string; start?: number; end?: number; minScore?: number; limit?: number; kinds?: ('surprising-action' | 'new-service' | 'new-region' | 'new-source-ip' | 'new-user-agent' | 'access-denied-burst')[] }): Promise<{ kind: string; principal: string; time: string; score: number; action: string; eventId: string; explanation: string; value?: number }[]>;
  /**
   * Held-out evaluation: first 70% of each principal trains, the rest tests; model vs baselines. Event-level scores
   * are means over random orders of same-second events (tieOrders.spread); bursts scores the next burst; calibration
   * holds reliability tables and expected calibration error.
   */
  evaluate(opts?: { trainFraction?: number; tune?: boolean; tieOrders?: number; seed?: number }): Promise<{
    scores: { model: string; predictions: number; top1: number; top5: number; mrr5: number }[];
    tieOrders: { orders: number; seed: number; spread: { model: string; top1: Spread; top5: Spread; mrr5: Spread }[] };
    bursts?: { split: { trainFraction: number; principals: number; trainBursts: number; testBursts: number; meanBurstEvents: number }; scores: { model: string; bursts: number; hit1: number; hit5: number; recall5: number }[]; gainOverReference: { hit1: number; hit5: number; recall5: number }; shapes: { count: number; top: { name: string; bursts: number; actions: string[] }[] }; weights: Record<string, number>; [k: string]: unknown };
    calibration: { events: Reliability; bursts?: Reliability };
    [k: string]: unknown;
  }>;
  /** Reliability diagram of predicted probabilities, e.g. of evaluate().calibration.bursts (uses the kernel's Plot unless one is given). */
  reliability(reliability: Reliability, Plot?: unknown, opts?: { title?: string; width?: number }): Promise<unknown>;
  /** Hour-of-week heatmap figure (uses the kernel's Plot unless one is given). */
  heatmap(principal: string, Plot?: unknown, opts?: { title?: string; width?: number; labels?: boolean }): Promise<unknown>;
  heatmapSpec(principal: string, opts?: { title?: string }): Promise<{ data: { principal: string; day: string; dayIndex: number; hour: number; events: number }[]; options: Record<string, unknown> }>;
};
`,
};
