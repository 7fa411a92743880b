import { z } from 'zod';
import type { EventFilter } from '../../cloudtrail/query.ts';
import { timeArg, type TimeWindow } from '../time.ts';

/** Argument schemas shared by several tools, so the same name always means the same thing. */

export const startTime = timeArg('start_time', 'Earliest event time (inclusive)').optional();
export const endTime = timeArg('end_time', 'Latest event time (exclusive)').optional();

const text = (name: string, what: string) =>
  z
    .string({ error: `${name} must be a string` })
    .min(1, { error: `${name} must not be empty` })
    .describe(what);

export const username = text(
  'username',
  'Principal: IAM user or role name, role session name, person behind a session, ARN or access key id',
).optional();
export const eventName = text('event_name', 'Exact API action, e.g. AssumeRole, GetObject').optional();
export const eventSource = text('event_source', 'Service endpoint, e.g. s3.amazonaws.com, iam.amazonaws.com').optional();
export const readOnly = z.boolean({ error: 'read_only must be true or false' }).optional().describe('true: only read-only calls; false: only mutating calls');
export const errorsOnly = z.boolean({ error: 'errors_only must be true or false' }).optional().describe('Only calls that failed (errorCode set)');

/** An integer in [1, max] with a message naming the argument and the range. */
export const boundedInt = (name: string, max: number, def: number, what: string) => {
  const msg = `${name} must be an integer from 1 to ${max}`;
  return z
    .number({ error: msg })
    .int({ error: msg })
    .min(1, { error: msg })
    .max(max, { error: msg })
    .default(def)
    .describe(`${what} (1-${max}, default ${def})`);
};

/** The filter arguments above, as the store filter they stand for within a resolved time window. */
export function eventFilter(
  args: { username?: string; event_name?: string; event_source?: string; read_only?: boolean; errors_only?: boolean },
  window: TimeWindow,
): EventFilter {
  return {
    ...window,
    principal: args.username,
    eventName: args.event_name,
    eventSource: args.event_source,
    readOnly: args.read_only,
    errorsOnly: args.errors_only,
  };
}
