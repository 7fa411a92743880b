import type { TrailEvent } from '../cloudtrail/event.ts';

/**
 * Every principal's actions as integer ids, interned once for all the models of an engine: profiles, the sequence
 * model and the burst model each used to turn the same million events into `eventSource:eventName` strings and look
 * them up again. Ids follow first appearance, principal by principal in map order and events in time order: the order
 * each model's own vocabulary was built in, so their ids, and every tie broken by id, stay what they were.
 */

/** One principal's events, in time order, as action ids and epoch-millisecond times. */
export interface EncodedSequence {
  ids: Int32Array;
  times: Float64Array;
}

export interface EncodedEvents {
  /** Action id -> `eventSource:eventName` (one string per action). */
  names: string[];
  byPrincipal: Map<string, EncodedSequence>;
}

/**
 * Action ids straight from an event's source and name (stores intern those strings, so the lookups hash nothing new),
 * without building an `eventSource:eventName` string per event.
 */
export class ActionIds {
  readonly names: string[] = [];
  private readonly bySource = new Map<string, Map<string, number>>();

  of(source: string, name: string): number {
    let names = this.bySource.get(source);
    if (!names) this.bySource.set(source, (names = new Map()));
    let id = names.get(name);
    if (id === undefined) names.set(name, (id = this.names.push(`${source}:${name}`) - 1));
    return id;
  }
}

/** Encodes each principal's events (each list in time order). */
export function encodeEvents(byPrincipal: Map<string, readonly Pick<TrailEvent, 'source' | 'name' | 'time'>[]>): EncodedEvents {
  const actions = new ActionIds();
  const out = new Map<string, EncodedSequence>();
  for (const [principal, list] of byPrincipal) {
    const ids = new Int32Array(list.length);
    const times = new Float64Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      ids[i] = actions.of(e.source, e.name);
      times[i] = e.time;
    }
    out.set(principal, { ids, times });
  }
  return { names: actions.names, byPrincipal: out };
}
