import type { TrailEvent } from '../event.ts';
import { byTime } from '../query.ts';

/** Merges event lists (e.g. one per region) into one list in (time, id) order, dropping duplicate event ids. */
export function mergeByTime(lists: TrailEvent[][], order: 'asc' | 'desc' = 'asc'): TrailEvent[] {
  const seen = new Set<string>();
  const out: TrailEvent[] = [];
  for (const list of lists) {
    for (const e of list) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      out.push(e);
    }
  }
  out.sort(byTime);
  return order === 'asc' ? out : out.reverse();
}

/** True when `e` comes strictly after the cursor position (t, id) in the given order. */
export function isAfter(e: Pick<TrailEvent, 'time' | 'id'>, t: number, id: string, order: 'asc' | 'desc'): boolean {
  if (order === 'asc') return e.time > t || (e.time === t && e.id > id);
  return e.time < t || (e.time === t && e.id < id);
}
