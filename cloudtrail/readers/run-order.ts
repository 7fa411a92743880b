import { idAt, type IdColumn } from './event-ids.ts';

/**
 * The store's event order, (time, id text), ties in the order the events were built: of a whole part, or of a run
 * of it (the builder sorts each run of files as it goes, compact.ts). Kept apart from the builder and the merge,
 * which both need it, so that neither imports the other.
 */

/**
 * Permutation of event numbers in time order, using a native numeric sort of time * 2^k + position when that fits
 * in a double (it does for a trail's milliseconds); each run of equal times is then put in id order by `sortTies`
 * (in place), so keyset cursors are stable (matches `byTime`).
 */
export function timeOrder(times: Float64Array, sortTies: (run: Uint32Array) => void): Uint32Array {
  const n = times.length;
  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (t < min) min = t;
    if (t > max) max = t;
    if (integers && !Number.isInteger(t)) integers = false;
  }
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(n + 1)));
  const order = new Uint32Array(n);
  if (n > 0 && Number.isFinite(min) && (max - min + 1) * scale < 2 ** 53 && integers) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (times[i] - min) * scale + i;
    keys.sort();
    // The position is the key's low bits: exact, as the key is an integer below 2^53 and scale a power of 2, and
    // cheaper than `%` on doubles.
    for (let i = 0; i < n; i++) {
      const key = keys[i];
      order[i] = key - Math.floor(key / scale) * scale;
    }
  } else {
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => times[a] - times[b] || (Number.isNaN(times[a]) ? 1 : 0) - (Number.isNaN(times[b]) ? 1 : 0));
  }
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && times[order[e]] === times[order[s]]) e++;
    if (e - s > 1) sortTies(order.subarray(s, e));
    s = e;
  }
  return order;
}

/**
 * Id text order of event i of `a` and event j of `b`, without making the text when both are canonical UUIDs: they
 * compare as their 16 bytes (lowercase hex with dashes at fixed places orders as the bytes it spells). Making each
 * tied id's text was most of the merge's time at 1M events.
 */
export function compareIds(a: IdColumn, i: number, b: IdColumn, j: number): number {
  const x = 16 * i;
  const y = 16 * j;
  let anyA = 0;
  let anyB = 0;
  let diff = 0;
  for (let k = 0; k < 16; k++) {
    const p = a.uuids[x + k];
    const q = b.uuids[y + k];
    anyA |= p;
    anyB |= q;
    if (diff === 0) diff = p - q;
  }
  if (anyA && anyB) return diff;
  const s = idAt(a, i);
  const t = idAt(b, j);
  return s < t ? -1 : s > t ? 1 : 0;
}

/**
 * Events `[start, end)` of `times` and `ids` in (time, id) order, ties in position order, as positions relative to
 * `start`. Ties of time are sorted with the first 6 bytes of each UUID (-1 for other ids) as a number, which settles
 * almost every comparison, then `compareIds`.
 */
export function rangeOrder(times: Float64Array, ids: IdColumn, start: number, end: number): Uint32Array {
  const head = uuidHeads(ids.uuids, start, end);
  const cmp = (a: number, b: number) => (head[a] >= 0 && head[b] >= 0 && head[a] - head[b]) || compareIds(ids, start + a, ids, start + b) || a - b;
  return timeOrder(times.subarray(start, end), (run) => {
    // Most runs of tied seconds are a few events (~166,000 runs of 5.7 on average at 1M): an insertion sort spares
    // the builtin's set-up per run.
    if (run.length > 16) {
      run.sort(cmp);
      return;
    }
    for (let i = 1; i < run.length; i++) {
      const x = run[i];
      let j = i - 1;
      while (j >= 0 && cmp(run[j], x) > 0) {
        run[j + 1] = run[j];
        j--;
      }
      run[j + 1] = x;
    }
  });
}

/** rangeOrder's numbers: each event's first 6 UUID bytes, -1 when its id is not a UUID (all 16 bytes zero). */
function uuidHeads(u: Uint8Array, start: number, end: number): Float64Array {
  const head = new Float64Array(end - start);
  for (let i = start; i < end; i++) {
    const at = 16 * i;
    const any = u[at] | u[at + 1] | u[at + 2] | u[at + 3] | u[at + 4] | u[at + 5] | u[at + 6] | u[at + 7] | u[at + 8] | u[at + 9] | u[at + 10] | u[at + 11] | u[at + 12] | u[at + 13] | u[at + 14] | u[at + 15];
    head[i - start] = any ? u[at] * 2 ** 40 + u[at + 1] * 2 ** 32 + u[at + 2] * 2 ** 24 + u[at + 3] * 2 ** 16 + u[at + 4] * 2 ** 8 + u[at + 5] : -1;
  }
  return head;
}
