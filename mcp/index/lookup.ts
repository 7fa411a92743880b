import { decodeCursor, encodeCursor } from '../../cloudtrail/cursor.ts';
import type { EventPage } from '../../cloudtrail/query.ts';
import type { CompiledFilter, EventIndex } from './event-index.ts';

export interface IndexPageQuery {
  limit: number;
  /** A keyset cursor as the in-memory stores write it ({t, id} of the last event returned), so either may continue the other's pages. */
  cursor?: string;
  order: 'asc' | 'desc';
}

/** Position of the first event after (t, id) in (time, id) order; with `inclusive`, of (t, id) itself when present. */
function firstAfter(index: EventIndex, t: number, id: string, inclusive: boolean): number {
  let lo = 0;
  let hi = index.size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const time = index.time[mid];
    const before = time < t || (time === t && (inclusive ? index.events[mid].id < id : index.events[mid].id <= id));
    if (before) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of the matching events, newest or oldest first, read from the index's columns: the same events and
 * cursors as the store's own query (cloudtrail/stores/memory.ts), without the per-name and per-principal position
 * lists that the store would build on the first filtered lookup (seconds at a million events) beside the index.
 */
export function indexPage(index: EventIndex, filter: CompiledFilter, q: IndexPageQuery): EventPage {
  let { from, to } = filter;
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    if (q.order === 'asc') from = Math.max(from, firstAfter(index, c.t, c.id, false));
    else to = Math.min(to, firstAfter(index, c.t, c.id, true));
  }
  const positions: number[] = [];
  // One match beyond the page says whether another page exists.
  if (!filter.none) {
    if (q.order === 'asc') {
      for (let i = from; i < to && positions.length <= q.limit; i++) if (index.accepts(filter, i)) positions.push(i);
    } else {
      for (let i = to - 1; i >= from && positions.length <= q.limit; i--) if (index.accepts(filter, i)) positions.push(i);
    }
  }
  const more = positions.length > q.limit;
  const events = positions.slice(0, q.limit).map((i) => index.events[i]);
  const last = events[events.length - 1];
  return { events, nextCursor: more && last ? encodeCursor({ t: last.time, id: last.id }) : undefined };
}
