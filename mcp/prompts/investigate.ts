import { EVENT_NAMES } from '../tools/event-names.ts';
import { LOOKUP_EVENTS } from '../tools/lookup-events.ts';
import { DETECT_ANOMALIES, GET_ACTIVITY_PROFILE } from '../tools/predict.ts';
import { ACTIVITY_TIMELINE } from '../tools/timeline.ts';
import { definePrompt, principalArg, requireKnownPrincipal, sinceArg } from './define.ts';

export const investigatePrincipal = definePrompt({
  name: 'investigate_principal',
  title: 'Investigate a principal',
  description: 'What one IAM user, role or person did in CloudTrail, what failed, and whether anything looks unusual',
  args: { principal: principalArg, since: sinceArg('-7d') },
  completes: ['principal', 'since'],
  async text({ principal, since = '-7d' }, ctx) {
    await requireKnownPrincipal(ctx, principal);
    return [
      `Investigate the AWS principal "${principal}" in CloudTrail from ${since} until now.`,
      `1. ${GET_ACTIVITY_PROFILE} {"principal": "${principal}"}: when, from where and with which services it usually works, and its peers.`,
      `2. ${EVENT_NAMES} {"username": "${principal}", "start_time": "${since}"} and ${ACTIVITY_TIMELINE} {"username": "${principal}", "start_time": "${since}"}: what it called, and when.`,
      `3. ${LOOKUP_EVENTS} {"username": "${principal}", "start_time": "${since}", "read_only": false} for the changes it made, and with "errors_only": true for what failed.`,
      `4. ${DETECT_ANOMALIES} {"principal": "${principal}", "start_time": "${since}"}.`,
      'Then summarise: what it did, what it changed (IAM, security groups, keys, data stores first), what was denied, and anything new for it (service, region, source IP, user agent) — citing event ids.',
    ].join('\n');
  },
});
