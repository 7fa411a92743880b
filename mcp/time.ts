import { z } from 'zod';
import { ArgumentError, requireTime, TIME_HELP, timeProblem } from '../cloudtrail/time.ts';

export { ArgumentError, parseTime, TIME_HELP } from '../cloudtrail/time.ts';

/** A zod string that only accepts a possible time (see cloudtrail/time.ts), naming the argument on failure. */
export const timeArg = (name: string, what: string) =>
  z
    .string({ error: `${name} must be a string: ${TIME_HELP}` })
    .superRefine((s, ctx) => {
      const problem = timeProblem(name, s, Date.now());
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(`${what}. ${TIME_HELP}.`);

export interface TimeWindow {
  start?: number;
  end?: number;
}

/** Resolves start/end arguments; end is exclusive, matching the store contract. */
export function resolveWindow(args: { start_time?: string; end_time?: string }, now: number): TimeWindow {
  const start = args.start_time === undefined ? undefined : requireTime('start_time', args.start_time, now);
  const end = args.end_time === undefined ? undefined : requireTime('end_time', args.end_time, now);
  if (start !== undefined && end !== undefined && start > end) {
    throw new ArgumentError(`start_time (${new Date(start).toISOString()}) is after end_time (${new Date(end).toISOString()})`);
  }
  return { start, end };
}

export const iso = (t: number | undefined): string | undefined => (t === undefined || Number.isNaN(t) ? undefined : new Date(t).toISOString());
