import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { trainEngine } from '../../predict/engine.ts';
import { nextActions } from '../../predict/service.ts';
import { ev, HOUR, markovEvents, MIN, T0 } from '../predict/support.ts';
import { call, connectInProcess, ok, textOf } from './helpers.ts';

// Two weeks of alice's routine, then an odd afternoon; bob does something else entirely.
const normal = markovEvents('alice', 1500, 5);
const odd = T0 + 14 * 24 * HOUR;
const incident = [
  ev({ user: 'alice', action: 's3:GetObject', time: odd, region: 'ap-southeast-2' }),
  ev({ user: 'alice', action: 'iam:CreateAccessKey', time: odd + MIN }),
  ...Array.from({ length: 6 }, (_, i) => ev({ user: 'alice', action: 'iam:ListRoles', time: odd + 2 * MIN + i * 10_000, error: 'AccessDenied' })),
];
const bob = Array.from({ length: 200 }, (_, i) => ev({ user: 'bob', action: i % 2 ? 'lambda:InvokeFunction' : 'logs:GetLogEvents', time: T0 + i * MIN }));
// carol works in bursts: a database page load (three calls in one second), then a tables page load, and again.
const pages = [
  ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:DescribeEvents'],
  ['dynamodb:ListTables', 'dynamodb:DescribeTable'],
];
const carol = Array.from({ length: 120 }, (_, i) => pages[i % 2].map((action) => ev({ user: 'carol', action, time: T0 + i * 20_000 }))).flat();
const events = [...normal, ...incident, ...bob, ...carol];
const NOW = odd + HOUR;

let conn: Awaited<ReturnType<typeof connectInProcess>>;
beforeAll(async () => {
  conn = await connectInProcess(new MemoryStore(events), () => NOW);
});
afterAll(() => conn.close());

describe('prediction tools over MCP', () => {
  it('lists the three tools with input and output schemas', async () => {
    const { tools } = await conn.client.listTools();
    for (const name of ['predict_next_actions', 'get_activity_profile', 'detect_anomalies']) {
      const t = tools.find((x) => x.name === name)!;
      expect(t, name).toBeDefined();
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.annotations?.readOnlyHint).toBe(true);
    }
  });

  it('predict_next_actions returns the same ranking as the engine, with probabilities', async () => {
    const context = ['s3:ListBuckets'];
    const r = ok(await call(conn.client, 'predict_next_actions', { principal: 'alice', k: 3, context }));
    const direct = nextActions(trainEngine(events), { principal: 'alice', k: 3, recent: ['s3.amazonaws.com:ListBuckets'] });
    expect(r.predictions).toEqual(direct.predictions);
    expect(r.predictions[0]).toMatchObject({ rank: 1, action: 's3.amazonaws.com:GetObject', service: 's3' });
    expect(r.predictions[0].p).toBeGreaterThan(r.predictions[1].p);
    expect(r).toMatchObject({ principal: 'alice', known: true, new_session: false, model: { trained_events: events.length, principals: 3 } });
    // Structured content and the text block agree.
    expect(JSON.parse(textOf(await call(conn.client, 'predict_next_actions', { principal: 'alice', k: 3, context })))).toEqual(r);
    // Default context: the principal's own latest actions.
    const bobNext = ok(await call(conn.client, 'predict_next_actions', { principal: 'arn:aws:iam::123456789012:user/bob', k: 1 }));
    expect(bobNext.principal).toBe('bob');
    expect(bobNext.predictions[0].action).toBe('logs.amazonaws.com:GetLogEvents');
  });

  it('predict_next_actions also predicts the next burst: its actions with probabilities and its learned shape', async () => {
    const r = ok(await call(conn.client, 'predict_next_actions', { principal: 'carol', k: 5 }));
    const direct = nextActions(trainEngine(events), { principal: 'carol', k: 5 });
    expect(r.next_burst).toEqual({ ...direct.nextBurst, expected_actions: direct.nextBurst!.expectedActions, expectedActions: undefined });
    // carol's last burst was the tables page; the next one is the database page, all three of its calls.
    expect(r.next_burst.latest).toEqual({ actions: ['dynamodb.amazonaws.com:ListTables', 'dynamodb.amazonaws.com:DescribeTable'], shape: 'DynamoDB Table (read)' });
    expect(r.next_burst.shapes[0]).toMatchObject({ shape: 'RDS DB (read)', actions: expect.arrayContaining(['rds.amazonaws.com:DescribeDBInstances']) });
    expect(r.next_burst.shapes[0].p).toBeGreaterThan(0.5);
    const top3 = r.next_burst.actions.slice(0, 3);
    expect(top3.map((a: { action: string }) => a.action).sort()).toEqual(['rds.amazonaws.com:DescribeDBClusters', 'rds.amazonaws.com:DescribeDBInstances', 'rds.amazonaws.com:DescribeEvents']);
    for (const a of top3) expect(a.p).toBeGreaterThan(0.5);
    expect(r.next_burst.expected_actions).toBeGreaterThan(2);
    // The event level still ranks one next action: the first call of the database page.
    expect(r.predictions[0].action).toMatch(/^rds\.amazonaws\.com:/);
  });

  it('backs off for an unknown principal and rejects bad arguments, staying up', async () => {
    const r = ok(await call(conn.client, 'predict_next_actions', { principal: 'mallory', k: 5, context: ['logs:GetLogEvents'] }));
    expect(r.known).toBe(false);
    expect(r.predictions[0].action).toBe('lambda.amazonaws.com:InvokeFunction');
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ principal: 'alice', k: 0 }, /k must be an integer from 1 to 50/],
      [{ principal: 'alice', context: ['GetObject'] }, /context: "GetObject" is not an action/],
      [{ principal: '' }, /principal must not be empty/],
      [{ principal: 'alice', colour: 'red' }, /unknown argument "colour"/],
    ];
    for (const [args, msg] of bad) {
      const res = await call(conn.client, 'predict_next_actions', args);
      expect(res.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(res)).toMatch(msg);
    }
    expect(ok(await call(conn.client, 'predict_next_actions', { principal: 'alice' })).predictions).toHaveLength(5);
  });

  it('get_activity_profile matches counts and names peers', async () => {
    const p = ok(await call(conn.client, 'get_activity_profile', { principal: 'alice' }));
    expect(p.events).toBe(normal.length + incident.length);
    expect(p.access_denied).toBe(6);
    expect(p.hour_of_week).toHaveLength(7);
    expect(p.hour_of_week.flat().reduce((a: number, b: number) => a + b, 0)).toBe(p.events);
    expect(p.regions.map((r: { value: string }) => r.value)).toEqual(['eu-west-1', 'ap-southeast-2']);
    expect(p.peers[0].peer).toBe('bob');
    const err = await call(conn.client, 'get_activity_profile', { principal: 'nobody' });
    expect(err.isError).toBe(true);
    expect(textOf(err)).toMatch(/unknown principal "nobody"; known principals include: .*alice/);
  });

  it('detect_anomalies finds the odd afternoon, filtered by window, score and principal', async () => {
    const r = ok(await call(conn.client, 'detect_anomalies', { start_time: '-2h', min_score: 0.3 }));
    const kinds = new Set(r.findings.map((f: { kind: string }) => f.kind));
    expect(kinds).toContain('new-region');
    expect(kinds).toContain('access-denied-burst');
    expect(kinds).toContain('new-service');
    for (const f of r.findings) {
      expect(f.principal).toBe('alice');
      expect(f.score).toBeGreaterThanOrEqual(0.3);
      expect(Date.parse(f.time)).toBeGreaterThanOrEqual(NOW - 2 * HOUR);
      expect(f.explanation.length).toBeGreaterThan(30);
    }
    expect(r.count).toBe(r.findings.length);
    const one = ok(await call(conn.client, 'detect_anomalies', { principal: 'alice', kinds: ['access-denied-burst'], min_score: 0, limit: 1 }));
    expect(one.findings).toHaveLength(1);
    expect(one.findings[0].value).toBe(6);
    const none = ok(await call(conn.client, 'detect_anomalies', { principal: 'bob', start_time: '-2h', min_score: 0 }));
    expect(none.findings).toEqual([]);
    const bad = await call(conn.client, 'detect_anomalies', { min_score: 3 });
    expect(textOf(bad)).toMatch(/min_score must be a number from 0 to 1/);
  });
});
