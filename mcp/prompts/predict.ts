import { z } from 'zod';
import { LOOKUP_EVENTS } from '../tools/lookup-events.ts';
import { GET_ACTIVITY_PROFILE, PREDICT_NEXT_ACTIONS } from '../tools/predict.ts';
import { definePrompt, principalArg, requireKnownPrincipal } from './define.ts';

export const predictNext = definePrompt({
  name: 'predict_next_actions',
  title: "Predict a developer's next actions",
  description: 'The AWS calls a developer or role is most likely to make next, with probabilities, and how that fits their usual work',
  args: {
    principal: principalArg,
    k: z.string().regex(/^\d{1,2}$/, { error: 'k must be a whole number from 1 to 50' }).optional().describe('How many actions (default 10)'),
  },
  completes: ['principal'],
  async text({ principal, k = '10' }, ctx) {
    await requireKnownPrincipal(ctx, principal);
    return [
      `Predict what "${principal}" will do next in AWS.`,
      `1. ${LOOKUP_EVENTS} {"username": "${principal}", "max_results": 20}: their latest calls, newest first.`,
      `2. ${PREDICT_NEXT_ACTIONS} {"principal": "${principal}", "k": ${Number(k)}}: the next actions with probabilities and the likely next burst.`,
      `3. ${GET_ACTIVITY_PROFILE} {"principal": "${principal}"}: when and how they usually work.`,
      'Explain the prediction in plain words (what task they seem to be in the middle of), how confident it is, and which predicted actions would be unusual or risky for them.',
    ].join('\n');
  },
});
