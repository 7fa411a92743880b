import { z } from 'zod';
import { detectAnomalies } from '../../predict/anomalies.ts';
import { trainEngineFromStore, type Engine } from '../../predict/engine.ts';
import { nextActions, normaliseAction, requireProfile, resolvePrincipal } from '../../predict/service.ts';
import { guarded, structuredResult, type ToolContext, type ToolRegistrar } from '../context.ts';
import { ArgumentError, resolveWindow } from '../time.ts';
import { boundedInt, endTime, startTime } from './args.ts';
import { toolInput } from './input.ts';

export const PREDICT_NEXT_ACTIONS = 'predict_next_actions';
export const GET_ACTIVITY_PROFILE = 'get_activity_profile';
export const DETECT_ANOMALIES = 'detect_anomalies';

/** Trains once per store version (the stateless HTTP transports build a server per request; the memo outlives them). */
async function engineFor(ctx: ToolContext): Promise<Engine> {
  const { version } = await ctx.store.status();
  return ctx.memo(`predict:engine:${version}`, () => trainEngineFromStore(ctx.store));
}

/** Runs a predict-service call whose failures mean a bad argument (unknown principal, malformed action). */
function asArgumentError<T>(fn: () => T, prefix = ''): T {
  try {
    return fn();
  } catch (err) {
    throw new ArgumentError(`${prefix}${(err as Error).message}`);
  }
}

const principal = z
  .string({ error: 'principal must be a string' })
  .min(1, { error: 'principal must not be empty' })
  .describe('Principal: the person behind role sessions when known, IAM user or role name, session name, ARN or access key id');

const modelInfo = z.object({ trained_events: z.number().int(), principals: z.number().int(), actions: z.number().int() });
const info = (e: Engine) => ({ trained_events: e.eventCount, principals: e.profiles.size, actions: e.model.vocab.size - 2 });

const nextInput = toolInput({
  principal,
  k: boundedInt('k', 50, 5, 'How many actions to return'),
  context: z
    .array(z.string({ error: 'context items must be strings' }), { error: 'context must be an array of actions' })
    .max(500, { error: 'context takes at most 500 actions' })
    .optional()
    .describe('Recent actions, oldest first, as eventSource:eventName (iam.amazonaws.com:GetUser) or service:EventName (iam:GetUser). Default: the principal\'s latest recorded actions'),
  gap_minutes: z.number({ error: 'gap_minutes must be a number' }).min(0, { error: 'gap_minutes must be >= 0' }).optional()
    .describe('Minutes since the last action; more than 30 predicts the start of a new session'),
});

const ranked = z.object({ rank: z.number().int(), action: z.string(), service: z.string(), p: z.number() });

const nextOutput = z.object({
  principal: z.string().describe('Resolved principal key'),
  known: z.boolean().describe('false: no history for this principal, so the prediction backs off to peers and the whole account'),
  new_session: z.boolean(),
  context: z.array(z.string()).describe('The most recent actions the n-gram part conditioned on'),
  predictions: z.array(ranked).describe('Next action: probabilities over all actions sum to 1'),
  next_burst: z
    .object({
      latest: z.object({ actions: z.array(z.string()), shape: z.string().optional() }).describe('The burst the prediction continues from, and its learned shape'),
      shapes: z.array(z.object({ shape: z.string(), p: z.number(), actions: z.array(z.string()) })).describe('Most likely shapes of the next burst, with their core actions'),
      actions: z.array(ranked).describe('Probability that each action occurs in the next burst (independent: they need not sum to 1)'),
      expected_actions: z.number().describe('Expected number of distinct actions in the next burst'),
    })
    .optional()
    .describe('The next burst: the calls of the principal\'s next second of activity (a page load, a paginated listing, a CI step)'),
  model: modelInfo,
});

/** A frequency table, most frequent first. */
const counts = z.array(z.object({ value: z.string(), count: z.number().int() }));

const profileOutput = z.object({
  principal: z.string(),
  type: z.string(),
  name: z.string(),
  events: z.number().int(),
  first_seen: z.string(),
  last_seen: z.string(),
  active_days: z.number().int(),
  sessions: z.number().int(),
  mean_session_events: z.number(),
  hour_of_week: z.array(z.array(z.number().int())).describe('7 rows (Sunday first) x 24 UTC hours of event counts'),
  services: counts,
  top_apis: counts,
  regions: counts,
  source_ips: counts.describe('Up to 20'),
  user_agents: counts.describe('Up to 20'),
  read_only: z.number().int(),
  mutating: z.number().int(),
  read_ratio: z.number(),
  errors: z.number().int(),
  error_rate: z.number(),
  access_denied: z.number().int(),
  peers: z.array(z.object({ peer: z.string(), similarity: z.number(), shared_actions: z.number().int() })).describe('Most similar principals by service/API mix'),
  peer_group: z.array(z.string()).describe('Members of this principal\'s peer group'),
});

const KINDS = ['surprising-action', 'new-service', 'new-region', 'new-source-ip', 'new-user-agent', 'access-denied-burst'] as const;

const anomaliesInput = toolInput({
  principal: principal.optional(),
  start_time: startTime,
  end_time: endTime,
  min_score: z.number({ error: 'min_score must be a number from 0 to 1' }).min(0, { error: 'min_score must be a number from 0 to 1' }).max(1, { error: 'min_score must be a number from 0 to 1' })
    .default(0.5).describe('Lowest score reported, 0-1 (default 0.5)'),
  limit: boundedInt('limit', 500, 50, 'Most findings returned, highest score first'),
  kinds: z.array(z.enum(KINDS, { error: `kinds must be among ${KINDS.join(', ')}` })).optional().describe('Only these kinds of finding'),
});

const anomaliesOutput = z.object({
  findings: z.array(
    z.object({
      kind: z.enum(KINDS),
      principal: z.string(),
      time: z.string(),
      score: z.number().describe('0-1, higher is stranger'),
      action: z.string(),
      event_id: z.string(),
      explanation: z.string(),
      value: z.number().optional().describe('Surprise in bits, or the number of denials in a burst'),
    }),
  ),
  count: z.number().int(),
  model: modelInfo,
});

export const registerPredictTools: ToolRegistrar = (server, ctx) => {
  server.registerTool(
    PREDICT_NEXT_ACTIONS,
    {
      title: 'Predict a principal\'s next AWS actions',
      description:
        'The k most likely next API calls (eventSource:eventName) of a principal with probabilities, from a variable-order ' +
        'sequence model blended with a next-burst model, trained on the CloudTrail data (backs off to similar principals and the ' +
        'whole account); and the next burst (the calls that share the next second: a console page load, a paginated listing, a CI ' +
        'step): each action\'s probability of being in it and the burst\'s likely shape.',
      inputSchema: nextInput,
      outputSchema: nextOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(PREDICT_NEXT_ACTIONS, async () => {
        const recent = asArgumentError(() => args.context?.map(normaliseAction), 'context: ');
        const e = await engineFor(ctx);
        const r = nextActions(e, { principal: args.principal, k: args.k, recent, gapMinutes: args.gap_minutes });
        const b = r.nextBurst;
        return structuredResult({
          principal: r.principal,
          known: r.known,
          new_session: r.newSession,
          context: r.context,
          predictions: r.predictions,
          ...(b ? { next_burst: { latest: b.latest, shapes: b.shapes, actions: b.actions, expected_actions: b.expectedActions } } : {}),
          model: info(e),
        });
      }),
  );

  server.registerTool(
    GET_ACTIVITY_PROFILE,
    {
      title: 'Activity profile of a principal',
      description:
        'When (hour-of-week, UTC), what (services, top APIs, read/write mix, error rate) and from where (regions, source IPs, ' +
        'user agents) a principal usually works, plus its most similar peers.',
      inputSchema: toolInput({ principal }),
      outputSchema: profileOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(GET_ACTIVITY_PROFILE, async () => {
        const e = await engineFor(ctx);
        const p = asArgumentError(() => requireProfile(e, args.principal));
        const group = e.peers.groupOf.get(p.principal);
        return structuredResult({
          principal: p.principal,
          type: p.type,
          name: p.name,
          events: p.events,
          first_seen: p.firstSeen,
          last_seen: p.lastSeen,
          active_days: p.activeDays,
          sessions: p.sessions,
          mean_session_events: Math.round(p.meanSessionEvents * 100) / 100,
          hour_of_week: p.hourOfWeek,
          services: p.services,
          top_apis: p.topApis,
          regions: p.regions,
          source_ips: p.sourceIps.slice(0, 20),
          user_agents: p.userAgents.slice(0, 20),
          read_only: p.readOnly,
          mutating: p.mutating,
          read_ratio: Math.round(p.readRatio * 1000) / 1000,
          errors: p.errors,
          error_rate: Math.round(p.errorRate * 1000) / 1000,
          access_denied: p.accessDenied,
          peers: e.peers.similar(p.principal, 5).map((m) => ({ peer: m.peer, similarity: m.similarity, shared_actions: m.sharedActions })),
          peer_group: group === undefined ? [] : e.peers.groups[group].members,
        });
      }),
  );

  server.registerTool(
    DETECT_ANOMALIES,
    {
      title: 'Detect unusual CloudTrail activity',
      description:
        'Findings scored 0-1 with a one-sentence explanation: actions the sequence model found surprising, first use of a ' +
        'service, region, source IP or user agent by a principal, and bursts of AccessDenied errors.',
      inputSchema: anomaliesInput,
      outputSchema: anomaliesOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded(DETECT_ANOMALIES, async () => {
        const { start, end } = resolveWindow(args, ctx.now());
        const e = await engineFor(ctx);
        let key: string | undefined;
        if (args.principal !== undefined) {
          key = resolvePrincipal(e, args.principal);
          if (key === undefined) throw new ArgumentError(`unknown principal "${args.principal}"`);
        }
        const findings = detectAnomalies(e, { principal: key, start, end, minScore: args.min_score, limit: args.limit, kinds: args.kinds ? [...args.kinds] : undefined });
        return structuredResult({
          findings: findings.map((f) => ({
            kind: f.kind,
            principal: f.principal,
            time: f.time,
            score: f.score,
            action: f.action,
            event_id: f.eventId,
            explanation: f.explanation,
            ...(f.value === undefined ? {} : { value: f.value }),
          })),
          count: findings.length,
          model: info(e),
        });
      }),
  );
};
