/**
 * Time arguments, shared by the MCP tools, the kernel helpers and the CLI: ISO 8601 dates and date-times
 * (UTC when no zone is given, as CloudTrail records are UTC), `now`, or a relative offset back from now such
 * as `-30m`, `-24h`, `-7d`, `-2w` (also `-90s`).
 *
 * Dates are checked field by field: `Date.parse('2026-02-30')` silently answers March 2, and a query over
 * the wrong day is worse than an error.
 */

export const TIME_HELP = 'ISO 8601 (e.g. 2024-05-01T12:00:00Z; UTC if no zone), "now", or relative like -30m, -24h, -7d, -2w';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/i;
const RELATIVE = /^-(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** The range a JavaScript Date can hold (±100,000,000 days from 1970). */
const MAX_MS = 8.64e15;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (year: number, month: number) => [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];

export type TimeParse = { ok: true; ms: number } | { ok: false; problem: 'not-a-time' | 'invalid-date' | 'out-of-range'; detail?: string };

/** Reads a time argument; the failure says whether the text is no time at all or an impossible one. */
export function readTime(text: string, now: number): TimeParse {
  const s = text.trim();
  if (s.toLowerCase() === 'now') return { ok: true, ms: now };
  const rel = RELATIVE.exec(s);
  if (rel) return inRange(now - Number(rel[1]) * UNIT_MS[rel[2].toLowerCase() as keyof typeof UNIT_MS]);
  const m = ISO.exec(s);
  if (!m) return { ok: false, problem: 'not-a-time' };
  const [year, month, day] = [m[1], m[2], m[3]].map(Number);
  const [hour, minute, second] = [m[4], m[5], m[6]].map((v) => (v === undefined ? 0 : Number(v)));
  const invalid = (detail: string): TimeParse => ({ ok: false, problem: 'invalid-date', detail });
  if (month < 1 || month > 12) return invalid(`month ${m[2]} is not 01-12`);
  const days = daysIn(year, month);
  if (day < 1 || day > days) return invalid(`${MONTHS[month - 1]} ${year} has ${days} days`);
  if (hour > 23) return invalid(`hour ${m[4]} is not 00-23`);
  if (minute > 59) return invalid(`minute ${m[5]} is not 00-59`);
  if (second > 59) return invalid(`second ${m[6]} is not 00-59`);
  let offsetMinutes = 0;
  if (m[9]) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return invalid(`zone offset ${m[8]} is not a valid offset`);
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0-99 to 1900-1999
  d.setUTCHours(hour, minute, second, millis);
  return inRange(d.getTime() - offsetMinutes * 60_000);
}

function inRange(ms: number): TimeParse {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_MS ? { ok: true, ms } : { ok: false, problem: 'out-of-range' };
}

/** Epoch ms for a time argument, or undefined when the text is not a (possible) time. */
export function parseTime(text: string, now: number): number | undefined {
  const r = readTime(text, now);
  return r.ok ? r.ms : undefined;
}

/** Why the argument `name` is not a usable time, naming it and the text; undefined when it is one. */
export function timeProblem(name: string, text: string, now: number): string | undefined {
  const r = readTime(text, now);
  if (r.ok) return undefined;
  const shown = text.trim();
  if (r.problem === 'invalid-date') return `${name}: ${shown} is not a valid date (${r.detail})`;
  if (r.problem === 'out-of-range') return `${name}: ${shown} is outside the range of dates`;
  return `${name} "${text}" is not a time: use ${TIME_HELP}`;
}

/** A problem with the caller's arguments (as opposed to a store failure). */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

/** Epoch ms for the argument `name`, or an ArgumentError naming it. */
export function requireTime(name: string, text: string, now: number): number {
  const r = readTime(text, now);
  if (r.ok) return r.ms;
  throw new ArgumentError(timeProblem(name, text, now));
}

/**
 * Epoch ms of a time given as text (see `readTime`), epoch milliseconds or a Date, as kernel helpers take them;
 * an ArgumentError naming the argument when it is not a possible time (an Invalid Date included).
 */
export function timeValue(name: string, t: string | number | Date, now: number): number {
  if (typeof t === 'string') return requireTime(name, t, now);
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || Math.abs(ms) > MAX_MS) throw new ArgumentError(`${name}: ${String(t)} is not a valid date`);
  return ms;
}
