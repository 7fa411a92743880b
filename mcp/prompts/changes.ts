import { EVENT_NAMES } from '../tools/event-names.ts';
import { LOOKUP_EVENTS } from '../tools/lookup-events.ts';
import { LIST_PRINCIPALS } from '../tools/principals.ts';
import { z } from 'zod';
import { definePrompt, sinceArg } from './define.ts';

export const whatChanged = definePrompt({
  name: 'what_changed',
  title: 'What changed in the last day',
  description: 'The mutating AWS calls of the last day (or since a time you give), by service and principal, with the risky ones first',
  args: {
    since: sinceArg('-24h'),
    event_source: z.string().min(1).optional().describe('Only this service, e.g. iam.amazonaws.com'),
  },
  completes: ['since', 'event_source'],
  text({ since = '-24h', event_source }) {
    const scope = event_source ? `, "event_source": "${event_source}"` : '';
    return [
      `What changed in this AWS account from ${since} until now${event_source ? ` in ${event_source}` : ''}?`,
      `1. ${LOOKUP_EVENTS} {"start_time": "${since}", "read_only": false${scope}, "max_results": 200} (page with next_cursor): every call that changed something.`,
      `2. ${LIST_PRINCIPALS} {"start_time": "${since}"${scope}} for who made them, and ${EVENT_NAMES} {"start_time": "${since}"${scope}} for the mix of calls.`,
      'Group the changes by service and principal. Put first what matters for security: IAM users, roles, policies and access keys, security groups and network ACLs, KMS keys, S3 bucket policies and public access, CloudTrail itself. Say which changes failed, and cite event ids.',
    ].join('\n');
  },
});
