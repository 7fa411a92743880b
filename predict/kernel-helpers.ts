import type { TrailEvent } from '../cloudtrail/event.ts';
import type { EventStore } from '../cloudtrail/query.ts';
import { timeValue } from '../cloudtrail/time.ts';
import { detectAnomalies, type AnomalyOptions, type Finding } from './anomalies.ts';
import { activityStats, type ActivityStats } from './bursts.ts';
import { MINUTE } from './corpus.ts';
import { readEvents, trainEngine, type Engine, type EngineOptions } from './engine.ts';
import { evaluate, type EvaluateOptions, type EvaluationReport } from './evaluate.ts';
import { forecast } from './forecast.ts';
import type { Reliability } from './calibration.ts';
import { hourOfWeekHeatmap, hourOfWeekSpec, reliabilityPlot, type HeatmapOptions, type PlotModule, type ReliabilityPlotModule } from './plot.ts';
import type { ActivityProfile } from './profile.ts';
import { nextActions, requireProfile, resolvePrincipal } from './service.ts';
import { splitSessions, type Session } from './sessions.ts';

/**
 * The `predict` global of notebooks: every answer is a plain object or an array of flat rows so it renders as a
 * table. The engine trains lazily on the first call and is reused until `train({ force: true })`.
 */

const list = (xs: { value: string; count: number }[], n = 5) => xs.slice(0, n).map((x) => `${x.value} (${x.count})`).join(', ');

export interface ProfileRow {
  principal: string;
  type: string;
  events: number;
  firstSeen: string;
  lastSeen: string;
  activeDays: number;
  sessions: number;
  meanSessionEvents: number;
  readRatio: number;
  errorRate: number;
  accessDenied: number;
  services: string;
  topApis: string;
  regions: string;
  sourceIps: string;
  userAgents: string;
}

export function profileRow(p: ActivityProfile): ProfileRow {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    principal: p.principal,
    type: p.type,
    events: p.events,
    firstSeen: p.firstSeen,
    lastSeen: p.lastSeen,
    activeDays: p.activeDays,
    sessions: p.sessions,
    meanSessionEvents: r3(p.meanSessionEvents),
    readRatio: r3(p.readRatio),
    errorRate: r3(p.errorRate),
    accessDenied: p.accessDenied,
    services: list(p.services),
    topApis: list(p.topApis),
    regions: list(p.regions),
    sourceIps: list(p.sourceIps, 3),
    userAgents: list(p.userAgents, 2),
  };
}

export interface PredictHelpersOptions extends EngineOptions {
  /** Clock for "now"; defaults to Date.now. */
  now?: () => number;
}

export function createPredictHelpers(store: EventStore, options: PredictHelpersOptions = {}) {
  let engine: Promise<Engine> | undefined;
  let all: TrailEvent[] | undefined;

  async function events(): Promise<TrailEvent[]> {
    return (all ??= await readEvents(store));
  }

  function trained(): Promise<Engine> {
    if (!engine) {
      engine = events().then((evs) => trainEngine(evs, options));
      engine.catch(() => (engine = undefined));
    }
    return engine;
  }

  const profileOfWho = async (who: string) => requireProfile(await trained(), who);

  return {
    /** Trains (or retrains with `force`) and says on what. */
    async train(opts: { force?: boolean } = {}) {
      if (opts.force) (engine = undefined), (all = undefined);
      const e = await trained();
      return { events: e.eventCount, principals: e.profiles.size, vocabulary: e.model.vocab.size - 2, peerGroups: e.peers.groups.length, trainMs: Math.round(e.trainMs) };
    },

    /** Sessions (default gap 30 minutes), optionally of one principal. */
    async sessions(principal?: string, opts: { gapMinutes?: number } = {}): Promise<(Omit<Session, 'services' | 'startMs' | 'endMs'> & { services: string })[]> {
      const e = await trained();
      const key = principal === undefined ? undefined : (resolvePrincipal(e, principal) ?? principal);
      const evs = key === undefined ? await events() : (e.events.get(key) ?? []);
      return splitSessions(evs, { gapMs: opts.gapMinutes === undefined ? undefined : opts.gapMinutes * MINUTE }).map(({ startMs: _s, endMs: _e, services, ...rest }) => ({
        ...rest,
        services: services.join(', '),
      }));
    },

    /** One principal's activity profile as a flat row (all principals, most active first, without an argument). */
    async profile(principal?: string): Promise<ProfileRow | ProfileRow[]> {
      const e = await trained();
      if (principal === undefined) return [...e.profiles.values()].sort((a, b) => b.events - a.events).map(profileRow);
      return profileRow(requireProfile(e, principal));
    },

    /** The full profile object (hour-of-week matrix, every count). */
    async profileDetail(principal: string): Promise<ActivityProfile> {
      return profileOfWho(principal);
    },

    /** Most similar principals to one principal, or every peer group without an argument. */
    async peers(principal?: string, k = 5): Promise<Record<string, string | number | boolean>[]> {
      const e = await trained();
      if (principal === undefined) return this.peerGroups();
      const p = requireProfile(e, principal);
      const group = e.peers.groupOf.get(p.principal);
      return e.peers.similar(p.principal, k).map((m) => ({ ...m, sameGroup: e.peers.groupOf.get(m.peer) === group }));
    },

    /** Every peer group: principals with a similar service/API mix. */
    async peerGroups() {
      const e = await trained();
      return e.peers.groups.map((g) => ({ group: g.group, size: g.size, members: g.members.join(', '), topActions: g.topActions.join(', ') }));
    },

    /**
     * The k most likely next actions, by default continuing from the principal's latest actions; beside them, rank
     * by rank, the actions most likely to occur in the next burst (`burstP`: probability of being in it) and the
     * burst's most likely shapes.
     */
    async next(principal: string, opts: { k?: number; recent?: string[]; gapMinutes?: number } = {}) {
      const r = nextActions(await trained(), { principal, ...opts });
      const b = r.nextBurst;
      return r.predictions.map((p, i) => ({
        principal: r.principal,
        ...p,
        known: r.known,
        newSession: r.newSession,
        burstAction: b?.actions[i]?.action ?? null,
        burstP: b?.actions[i]?.p ?? null,
        burstShape: b?.shapes[i]?.shape ?? null,
        burstShapeP: b?.shapes[i]?.p ?? null,
      }));
    },

    /** The next burst in full: the latest burst and its shape, the likely shapes, and each action's probability of being in it. */
    async nextBurst(principal: string, opts: { k?: number; recent?: string[]; gapMinutes?: number } = {}) {
      const r = nextActions(await trained(), { principal, ...opts });
      if (!r.nextBurst) throw new Error('the engine was trained without its burst model');
      return { principal: r.principal, known: r.known, newSession: r.newSession, ...r.nextBurst };
    },

    /** The burst shapes the engine learned, most frequent first: name, training bursts and core actions. */
    async shapes(top = 20) {
      const e = await trained();
      return [...(e.bursts?.shapes.shapes ?? [])]
        .sort((a, b) => b.bursts - a.bursts || a.id - b.id)
        .slice(0, top)
        .map((s) => ({ shape: s.name, bursts: s.bursts, actions: s.actions.filter((a) => a.share >= 0.5).map((a) => a.action).join(', ') }));
    },

    /** How the loaded activity looks: bursts (same principal, same second), vocabulary, read-only and error shares, identity types. */
    async activity(principal?: string): Promise<ActivityStats> {
      const e = await trained();
      if (principal === undefined) return activityStats(e.events);
      const key = resolvePrincipal(e, principal) ?? principal;
      return activityStats(new Map([[key, e.events.get(key) ?? []]]));
    },

    /** Expected activity over the next hour (or day): first row all events, then one row per API. */
    async nextHour(principal: string, opts: { at?: number | string | Date; horizon?: 'hour' | 'day'; top?: number } = {}) {
      const p = await profileOfWho(principal);
      const at = opts.at === undefined ? undefined : timeValue('at', opts.at, Date.now());
      const f = forecast(p, { at, horizon: opts.horizon, top: opts.top });
      return [
        { principal: f.principal, from: f.from, to: f.to, what: 'all events', expectedEvents: f.expectedEvents, share: 1, pActive: f.pActive },
        ...f.apis.map((a) => ({ principal: f.principal, from: f.from, to: f.to, what: a.action, expectedEvents: a.expectedEvents, share: a.share, pActive: Math.round((1 - Math.exp(-a.expectedEvents)) * 1000) / 1000 })),
      ];
    },

    /** Findings with a score and a sentence of explanation, strangest first. */
    async anomalies(opts: AnomalyOptions & { principal?: string } = {}): Promise<Omit<Finding, 'timeMs'>[]> {
      const e = await trained();
      const principal = opts.principal === undefined ? undefined : (resolvePrincipal(e, opts.principal) ?? opts.principal);
      return detectAnomalies(e, { ...opts, principal }).map(({ timeMs: _t, ...f }) => f);
    },

    /** Held-out evaluation on the store's events (first 70% of each principal trains, the rest tests). */
    async evaluate(opts: EvaluateOptions = {}): Promise<EvaluationReport> {
      return evaluate(await events(), { ...options, ...opts });
    },

    /** Reliability diagram of predicted probabilities (from `evaluate().calibration`); pass the Plot module. */
    reliability(reliability: Reliability, Plot: ReliabilityPlotModule, opts: { title?: string; width?: number; document?: unknown } = {}) {
      return reliabilityPlot(Plot, reliability, opts);
    },

    /** Hour-of-week heatmap figure; pass the Plot module (the kernel's `Plot`). */
    async heatmap(principal: string, Plot: PlotModule, opts: HeatmapOptions = {}) {
      return hourOfWeekHeatmap(Plot, await profileOfWho(principal), opts);
    },

    /** The heatmap's data rows and Plot options, for custom figures. */
    async heatmapSpec(principal: string, opts: HeatmapOptions = {}) {
      return hourOfWeekSpec(await profileOfWho(principal), opts);
    },

    /** The trained engine itself, for anything the helpers do not cover. */
    engine: trained,
  };
}

export type PredictHelpers = ReturnType<typeof createPredictHelpers>;
