import type { TrailEvent } from '../cloudtrail/event.ts';
import type { EventFilter, EventStore } from '../cloudtrail/query.ts';
import { BurstModel, type BurstModelOptions } from './burst-model.ts';
import { groupByPrincipal, toSequences, type Sequence } from './corpus.ts';
import { encodeEvents } from './encoded.ts';
import { SequenceModel, type ModelOptions } from './model.ts';
import { buildPeers, type PeerModel } from './peers.ts';
import { profileOf, type ActivityProfile } from './profile.ts';
import { engineOf, readPredictionEvents } from './from-engine.ts';

/** Everything prediction needs, trained once from a set of events. */
export interface Engine {
  model: SequenceModel;
  /** Next-burst model and the burst shapes it learned (absent when trained with `bursts: false`). */
  bursts?: BurstModel;
  profiles: Map<string, ActivityProfile>;
  peers: PeerModel;
  /** Each principal's events in time order (what the engine was trained on). */
  events: Map<string, TrailEvent[]>;
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

export function trainEngine(events: Iterable<TrailEvent> | Map<string, TrailEvent[]>, opts: EngineOptions = {}): Engine {
  const t0 = performance.now();
  const by = events instanceof Map ? events : groupByPrincipal(events);
  // Action ids once for every model below.
  const encoded = encodeEvents(by);
  const profiles = new Map<string, ActivityProfile>();
  let n = 0;
  for (const [k, list] of by) {
    if (list.length === 0) continue;
    profiles.set(k, profileOf(k, list, { sessionGapMs: opts.model?.sessionGapMs, encoded: { ids: encoded.byPrincipal.get(k)!.ids, names: encoded.names } }));
    n += list.length;
  }
  const peers = buildPeers([...profiles.values()], opts.peerThreshold);
  const model = SequenceModel.trainEncoded(encoded, opts.model, peers.groupOf);
  const bursts = opts.bursts === false ? undefined : BurstModel.train(by, { sessionGapMs: opts.model?.sessionGapMs, ...opts.bursts }, peers.groupOf, encoded);
  let sequences: Sequence[] | undefined;
  return {
    model,
    bursts,
    profiles,
    peers,
    events: by,
    // Two arrays of every event's action and time: only evaluation and anomaly scoring read them.
    get sequences() {
      return (sequences ??= toSequences(by));
    },
    trainedAt: Date.now(),
    trainMs: performance.now() - t0,
    eventCount: n,
  };
}

/** Every event of a store (optionally filtered), in scan order. */
export async function readEvents(store: EventStore, filter: EventFilter = {}): Promise<TrailEvent[]> {
  // The engine-backed files store reads prediction's fields in columns instead of building every record.
  const engine = engineOf(store);
  if (engine) return readPredictionEvents(engine, filter);
  const events: TrailEvent[] = [];
  for await (const e of store.scan(filter)) events.push(e);
  return events;
}

/** Reads every event of a store (optionally filtered) and trains. */
export async function trainEngineFromStore(store: EventStore, filter: EventFilter = {}, opts: EngineOptions = {}): Promise<Engine> {
  return trainEngine(await readEvents(store, filter), opts);
}
