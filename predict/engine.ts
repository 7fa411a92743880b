import type { TrailEvent } from '../cloudtrail/event.ts';
import type { EventFilter, EventStore } from '../cloudtrail/query.ts';
import { BurstModel, type BurstModelOptions } from './burst-model.ts';
import { columnsBehind, encodeColumns, withColumns, groupColumns, groupedEvents, isTrainingColumns, profileColumns, type GroupedColumns, type TrainingColumns } from './columns.ts';
import { groupByPrincipal, type Sequence } from './corpus.ts';
import { encodeEvents, type EncodedEvents } from './encoded.ts';
import { SequenceModel, type ModelOptions } from './model.ts';
import { buildPeers, type PeerModel } from './peers.ts';
import { profileOf, type ActivityProfile } from './profile.ts';
import { DEFAULT_SESSION_GAP_MS } from './sessions.ts';
import { engineOf, readEngineTrainingColumns, readPredictionEvents } from './from-engine.ts';
import { filesColumnsOf, filesTrainingColumns } from './from-files.ts';

/** Everything prediction needs, trained once from a set of events. */
export interface Engine {
  model: SequenceModel;
  /** Next-burst model and the burst shapes it learned (absent when trained with `bursts: false`). */
  bursts?: BurstModel;
  profiles: Map<string, ActivityProfile>;
  peers: PeerModel;
  /** Each principal's events in time order (what the engine was trained on), made on first use. */
  readonly events: Map<string, TrailEvent[]>;
  /** Each principal's actions and times (built on first use: predictions do not need them). */
  readonly sequences: Sequence[];
  trainedAt: number;
  trainMs: number;
  eventCount: number;
}

export interface EngineOptions {
  model?: Partial<ModelOptions>;
  /** Cosine similarity a principal needs to join a peer group. */
  peerThreshold?: number;
  /** Next-burst model options, or false to train the event-level model only. */
  bursts?: Partial<BurstModelOptions> | false;
}

/**
 * Trains on events: any events, each principal's events, or a store's columns (readTrainingColumns). An array that
 * readEvents returned, unchanged since, is trained from the columns behind it: the same engine, faster.
 */
export function trainEngine(events: Iterable<TrailEvent> | Map<string, TrailEvent[]> | TrainingColumns, opts: EngineOptions = {}): Engine {
  const t0 = performance.now();
  const columns = isTrainingColumns(events) ? events : columnsBehind(events);
  const grouped = columns && groupColumns(columns);
  if (columns && grouped) return trainGrouped(columns, grouped, opts, t0);
  const by = events instanceof Map ? events : groupByPrincipal(isTrainingColumns(events) ? Array.from({ length: events.count }, (_, i) => events.event(i)) : events);
  // Action ids once for every model below.
  const encoded = encodeEvents(by);
  const profiles = new Map<string, ActivityProfile>();
  for (const [k, list] of by) {
    if (list.length === 0) continue;
    profiles.set(k, profileOf(k, list, { sessionGapMs: opts.model?.sessionGapMs, encoded: { ids: encoded.byPrincipal.get(k)!.ids, names: encoded.names } }));
  }
  return trainModels(encoded, profiles, () => by, opts, t0);
}

/** trainEngine over columns: grouping, action ids and profiles from typed arrays; events made when read. */
function trainGrouped(columns: TrainingColumns, grouped: GroupedColumns, opts: EngineOptions, t0: number): Engine {
  const encoded = encodeColumns(columns, grouped);
  const profiles = profileColumns(columns, grouped, encoded, { sessionGapMs: opts.model?.sessionGapMs ?? DEFAULT_SESSION_GAP_MS });
  return trainModels(encoded, profiles, () => groupedEvents(columns, grouped), opts, t0);
}

/** Peers, the sequence model and the burst model, from the encoded events and their profiles. */
function trainModels(encoded: EncodedEvents, profiles: Map<string, ActivityProfile>, eventsOf: () => Map<string, TrailEvent[]>, opts: EngineOptions, t0: number): Engine {
  let n = 0;
  for (const p of profiles.values()) n += p.events;
  const peers = buildPeers([...profiles.values()], opts.peerThreshold);
  const model = SequenceModel.trainEncoded(encoded, opts.model, peers.groupOf);
  const bursts = opts.bursts === false ? undefined : BurstModel.trainEncoded(encoded, { sessionGapMs: opts.model?.sessionGapMs, ...opts.bursts }, peers.groupOf);
  let sequences: Sequence[] | undefined;
  let by: Map<string, TrailEvent[]> | undefined;
  return {
    model,
    bursts,
    profiles,
    peers,
    // Per-principal lists of a million events: made for the callers that read them (history, sessions, anomalies).
    get events() {
      return (by ??= eventsOf());
    },
    // Two arrays of every event's action and time: only evaluation and anomaly scoring read them.
    get sequences() {
      return (sequences ??= sequencesOf(encoded));
    },
    trainedAt: Date.now(),
    trainMs: performance.now() - t0,
    eventCount: n,
  };
}

/** What toSequences gives, from the encoded events (the same interned action strings, the same times). */
function sequencesOf(encoded: EncodedEvents): Sequence[] {
  return [...encoded.byPrincipal].map(([principal, { ids, times }]) => ({ principal, actions: Array.from(ids, (id) => encoded.names[id]), times: Array.from(times) }));
}

/** Every event of a store (optionally filtered), in scan order. */
export async function readEvents(store: EventStore, filter: EventFilter = {}): Promise<TrailEvent[]> {
  // The engine-backed files store reads prediction's fields in columns instead of building every record.
  const engine = engineOf(store);
  if (engine) return readPredictionEvents(engine, filter);
  // The parsing files store's own views, remembered with its columns so that training reads the columns.
  const files = Object.keys(filter).length ? undefined : filesColumnsOf(store);
  if (files) {
    const own = files.events();
    return withColumns(own.slice(), own, filesTrainingColumns(files));
  }
  const events: TrailEvent[] = [];
  for await (const e of store.scan(filter)) events.push(e);
  return events;
}

/**
 * What training reads from a store: the columns both local stores keep (no event made until something asks for
 * one), or the events of any other store or filtered read.
 */
export async function readTrainingColumns(store: EventStore, filter: EventFilter = {}): Promise<TrainingColumns | TrailEvent[]> {
  const whole = Object.keys(filter).length === 0;
  const engine = whole ? engineOf(store) : undefined;
  if (engine) return readEngineTrainingColumns(engine);
  const files = whole ? filesColumnsOf(store) : undefined;
  if (files) return filesTrainingColumns(files);
  return readEvents(store, filter);
}

/** Reads every event of a store (optionally filtered) and trains. */
export async function trainEngineFromStore(store: EventStore, filter: EventFilter = {}, opts: EngineOptions = {}): Promise<Engine> {
  return trainEngine(await readTrainingColumns(store, filter), opts);
}
