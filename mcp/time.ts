import { z } from 'zod';

/**
 * Time arguments the tools accept: ISO 8601 (UTC when no zone is given, as CloudTrail records are UTC),
 * `now`, or a relative offset back from now such as `-30m`, `-24h`, `-7d`, `-2w` (also `-90s`).
 */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const RELATIVE = /^-(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export const TIME_HELP = 'ISO 8601 (e.g. 2024-05-01T12:00:00Z; UTC if no zone), "now", or relative like -30m, -24h, -7d, -2w';

/** Epoch ms for a time argument, or undefined when the text is not a time. */
export function parseTime(text: string, now: number): number | undefined {
  const s = text.trim();
  if (s.toLowerCase() === 'now') return now;
  const rel = RELATIVE.exec(s);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2].toLowerCase() as keyof typeof UNIT_MS];
  const iso = ISO.exec(s);
  if (!iso) return undefined;
  // Date-only strings already parse as UTC; date-times without a zone would parse as local time.
  const hasTime = /[T ]\d/.test(s.slice(10));
  const t = Date.parse(hasTime && !iso[1] ? `${s.replace(' ', 'T')}Z` : s.replace(' ', 'T'));
  return Number.isNaN(t) ? undefined : t;
}

/** A zod string that only accepts what `parseTime` understands, naming the argument on failure. */
export const timeArg = (name: string, what: string) =>
  z
    .string({ error: `${name} must be a string: ${TIME_HELP}` })
    .refine((s) => parseTime(s, Date.now()) !== undefined, {
      error: (iss) => `${name} "${String(iss.input)}" is not a time: use ${TIME_HELP}`,
    })
    .describe(`${what}. ${TIME_HELP}.`);

export interface TimeWindow {
  start?: number;
  end?: number;
}

/** Resolves start/end arguments; end is exclusive, matching the store contract. */
export function resolveWindow(args: { start_time?: string; end_time?: string }, now: number): TimeWindow {
  const start = args.start_time === undefined ? undefined : parseTime(args.start_time, now);
  const end = args.end_time === undefined ? undefined : parseTime(args.end_time, now);
  if (args.start_time !== undefined && start === undefined) throw new ArgumentError(`start_time "${args.start_time}" is not a time: use ${TIME_HELP}`);
  if (args.end_time !== undefined && end === undefined) throw new ArgumentError(`end_time "${args.end_time}" is not a time: use ${TIME_HELP}`);
  if (start !== undefined && end !== undefined && start > end) {
    throw new ArgumentError(`start_time (${new Date(start).toISOString()}) is after end_time (${new Date(end).toISOString()})`);
  }
  return { start, end };
}

/** A problem with the caller's arguments (as opposed to a store failure). */
export class ArgumentError extends Error {
  override name = 'ArgumentError';
}

export const iso = (t: number | undefined): string | undefined => (t === undefined || Number.isNaN(t) ? undefined : new Date(t).toISOString());
