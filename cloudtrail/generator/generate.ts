import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../record.ts';
import { buildParams, deniedError, errorMessage, GLOBAL_SERVICES, isDataEvent, isReadOnly, resolveAction, type ActionRef, type Workspace } from './catalog.ts';
import { defaultAgents, PERSONAS, TASKS, type Persona, type Session, type Step } from './personas.ts';
import { hash32, Rng } from './prng.ts';
import { CALLS, TEMPLATE_BY_NAME, type Via } from './templates.ts';
import { generatorTruth, validate } from './truth.ts';

export interface GenerateOptions {
  outDir: string;
  seed?: number;
  days?: number;
  /** Approximate total number of events (exact unless sessions run past the end of the range). */
  events?: number;
  /** First day (UTC) of the range, ISO date or date-time. */
  start?: string;
  account?: string;
  /**
   * Member accounts of an organization trail (default 1): each session acts in one of them (by its tag), so every
   * 5-minute window is delivered as one file per account and region, as a multi-account trail is. The first account
   * is `account`; the output with 1 is the single-account sample, byte for byte.
   */
  accounts?: number;
  onProgress?: (p: { phase: string; done: number; total?: number }) => void;
}

export interface GenerateResult {
  dir: string;
  files: number;
  events: number;
  start: string;
  end: string;
  perPersona: Record<string, number>;
  truthFile: string;
}

export const DEFAULTS = { seed: 42, days: 30, events: 100_000, start: '2026-10-01T00:00:00Z', account: '111122223333' } as const;

const DAY = 86_400_000;
const BATCH = 5 * 60_000;
/** CloudTrail splits busy delivery windows into several files. */
const MAX_RECORDS_PER_FILE = 1000;
/** Share of a burst's calls that land in the next second (a page whose last calls return late). */
const SPILL = 0.01;

/** One simulated call, kept compact until its delivery file is written. */
interface Act {
  t: number;
  a: ActionRef;
  s: Session;
  via: Via;
  region: string;
  error?: string;
  seq: number;
}

function workspace(account: string): Workspace {
  return {
    account,
    buckets: [`acme-data-lake-${account}`, `acme-reports-${account}`, `cdk-hnb659fds-assets-${account}-eu-west-1`, `acme-terraform-state-${account}`],
    stacks: ['PaymentsApiStack', 'PaymentsApiStack-dev', 'OrdersPipelineStack', 'SharedNetworkStack'],
    functions: ['payments-api-handler', 'orders-ingest', 'invoice-renderer', 'webhook-dispatcher', 'orders-archiver'],
    clusters: ['prod-cluster', 'staging-cluster'],
    services: ['payments-api', 'orders-worker', 'web-frontend'],
    instances: ['i-0a1b2c3d4e5f60718', 'i-0f9e8d7c6b5a49382', 'i-03c4d5e6f7a8b9c0d'],
    databases: ['analytics', 'raw_events'],
    glueJobs: ['orders-nightly-etl', 'events-compaction'],
    crawlers: ['raw-events-crawler', 'curated-orders-crawler'],
    tables: ['orders', 'events', 'customers', 'invoices'],
    dynamoTables: ['payments', 'idempotency-keys', 'sessions', 'terraform-locks'],
    queues: ['orders-ingest', 'orders-ingest-dlq', 'webhooks'],
    logGroups: ['/aws/lambda/payments-api-handler', '/aws/lambda/orders-ingest', '/ecs/payments-api', '/ecs/orders-worker'],
    alarms: ['payments-api-5xx', 'orders-queue-depth', 'db-cpu-high', 'lambda-errors'],
    parameters: ['/payments/prod/db-url', '/payments/dev/feature-flags', '/shared/sentry-dsn', '/cdk-bootstrap/hnb659fds/version'],
    repositories: ['payments-api', 'orders-worker'],
    roles: ['DataEngineer', 'GitHubActionsDeploy', 'payments-api-handler-role', 'orders-archiver-role', 'OrganizationAccountAccessRole'],
    users: ['svc-reporting', 'lena.fischer', 'oliver.grant', 'priya.shah', 'break-glass-admin'],
    secrets: ['prod/payments/stripe-key', 'prod/orders/db-password'],
  };
}

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sessionStart(p: Persona, rng: Rng, startMs: number, days: number): number {
  const role = p.role;
  const [from, to] = p.hours ?? role.hours;
  const tz = p.tzMinutes ?? role.tzMinutes;
  const endMs = startMs + days * DAY;
  for (let tries = 0; ; tries++) {
    const day = role.daysFromEnd ? Math.max(0, days - rng.pick(role.daysFromEnd)) : rng.int(0, days - 1);
    const hour = from + rng.next() * (to - from);
    const t = Math.round((startMs + day * DAY + hour * 3_600_000 - tz * 60_000) / 1000) * 1000;
    const weekday = new Date(t + tz * 60_000).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    if (tries < 50 && (t < startMs || t >= endMs)) continue;
    if (tries < 50 && weekend && !rng.chance(role.weekendRate)) continue;
    return t;
  }
}

function callRegion(a: ActionRef, burstRegion: string): string {
  if (GLOBAL_SERVICES.has(a.service)) return 'us-east-1';
  if (a.service === 'sso') return 'eu-west-1';
  return burstRegion;
}

/** The session's bursts as steps: its login, then its tasks (drawn by weight, or a pipeline's in order). */
function sessionSteps(p: Persona, rng: Rng): Step[] {
  const role = p.role;
  const weights: Record<string, number> = {};
  for (const [task, w] of Object.entries(role.tasks)) weights[task] = w * (p.habits?.[task] ?? 1);
  const steps: Step[] = [...role.login];
  if (role.pipeline) {
    for (const [task, w] of Object.entries(weights)) if (rng.chance(Math.min(1, w))) steps.push(...TASKS[task]);
  } else {
    const count = rng.int(role.tasksPerSession[0], role.tasksPerSession[1]);
    for (let i = 0; i < count; i++) steps.push(...TASKS[rng.weighted(weights)]);
  }
  return steps;
}

/** Whether and how one call fails: its template's own answer, a denial the role gets, or the background rate. */
function callError(p: Persona, action: string, spec: { code: string; p: number } | undefined, rng: Rng): string | undefined {
  if (spec && rng.chance(spec.p)) return spec.code;
  const role = p.role;
  const denied = role.denied[action] ?? role.denied[`${action.slice(0, action.indexOf(':'))}:*`] ?? role.baseDenied;
  return denied > 0 && rng.chance(denied) ? 'denied' : undefined;
}

/** Walks each persona's sessions, burst by burst, until its share of events is reached. */
function simulate(startMs: number, days: number, total: number, seed: number): Act[] {
  const shareSum = PERSONAS.reduce((s, p) => s + p.share, 0);
  const acts: Act[] = [];
  let seq = 0;
  for (const p of PERSONAS) {
    const rng = Rng.derive(seed, 'persona', p.id);
    const role = p.role;
    const quota = Math.max(1, Math.round((total * p.share) / shareSum));
    const agents = { ...defaultAgents(PERSONAS.indexOf(p)), ...p.agents };
    let made = 0;
    while (made < quota) {
      const start = sessionStart(p, rng, startMs, days);
      const s: Session = {
        persona: p,
        start,
        region: rng.weighted(role.regions),
        ip: rng.pick(p.ips),
        agents: Object.fromEntries(Object.entries(agents).map(([via, list]) => [via, rng.pick(list)])) as Record<Via, string>,
        accessKeyId: p.accessKeyId ?? `ASIA${rng.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
        tag: String(Math.floor(start / 1000)),
      };
      let t = start;
      let first = true;
      for (const step of sessionSteps(p, rng)) {
        if (made >= quota) break;
        if (step.p !== undefined && !rng.chance(step.p)) continue;
        const repeats = step.regions ? step.regions.length : step.n ? rng.int(step.n[0], step.n[1]) : 1;
        const template = TEMPLATE_BY_NAME.get(step.t)!;
        for (let r = 0; r < repeats && made < quota; r++) {
          if (!first) {
            const median = (step.gap ?? role.gapSeconds) * 1000;
            t += Math.max(3000, Math.round(rng.lognormal(median, 0.7, 2000, median * 20) / 1000) * 1000);
          }
          first = false;
          const region = step.regions?.[r] ?? s.region;
          for (const call of CALLS.get(template.name)!) {
            if (call.p < 1 && !rng.chance(call.p)) continue;
            const a = resolveAction(call.action);
            const times = call.min === call.max ? call.min : rng.int(call.min, call.max);
            for (let k = 0; k < times && made < quota; k++) {
              const at = t + (rng.chance(SPILL) ? 1000 : 0) + rng.int(0, 999);
              acts.push({ t: at, a, s, via: template.via, region: callRegion(a, region), error: callError(p, call.action, call.error, rng), seq: seq++ });
              made++;
            }
          }
        }
      }
    }
  }
  return acts.sort((x, y) => x.t - y.t || x.seq - y.seq);
}

/** Turns one simulated call into the record CloudTrail would deliver. */
function materialise(act: Act, rng: Rng, ws: Workspace): CloudTrailRecord {
  const { a, s } = act;
  const p = s.persona;
  const account = ws.account;
  const region = act.region;
  const identity = p.role.identity(p, s, a.short, account);
  const service = identity.type === 'AWSService';
  const built = buildParams(a, { rng, ws, region, time: act.t });
  let requestParameters = built.requestParameters ?? null;
  let responseElements: unknown = built.responseElements ?? null;
  let resources = built.resources;
  let additionalEventData: unknown;
  let eventType = 'AwsApiCall';
  let errorCode: string | undefined;
  let errorMsg: string | undefined;

  switch (a.short) {
    case 'signin:ConsoleLogin': {
      eventType = 'AwsConsoleSignIn';
      delete identity.accessKeyId;
      delete identity.sessionContext;
      requestParameters = null;
      responseElements = { ConsoleLogin: act.error ? 'Failure' : 'Success' };
      additionalEventData = { LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: 'Yes' };
      if (act.error) errorMsg = 'Failed authentication';
      break;
    }
    case 'sso:GetRoleCredentials':
    case 'sso:ListAccountRoles':
      requestParameters = { roleName: `AWSReservedSSO_${p.role.id}`, accountId: account };
      break;
    case 'sts:AssumeRole': {
      const roleName = service ? `${rng.pick(ws.functions)}-role` : 'DataEngineer';
      const roleArn = `arn:aws:iam::${account}:role/${roleName}`;
      const sessionName = service ? rng.pick(ws.functions) : `${p.principalKey.split('.')[0]}-${s.tag}`;
      requestParameters = { roleArn, roleSessionName: sessionName, durationSeconds: 3600, ...(service ? {} : { sourceIdentity: p.principalKey }) };
      responseElements = {
        credentials: { accessKeyId: service ? `ASIA${rng.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}` : s.accessKeyId, sessionToken: rng.chars(40), expiration: new Date(act.t + 3_600_000).toUTCString() },
        assumedRoleUser: { assumedRoleId: `AROAX7K2${roleName.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12)}:${sessionName}`, arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}` },
        ...(service ? {} : { sourceIdentity: p.principalKey }),
      };
      resources = [{ accountId: account, type: 'AWS::IAM::Role', ARN: roleArn }];
      break;
    }
    case 'sts:AssumeRoleWithWebIdentity': {
      const roleArn = `arn:aws:iam::${account}:role/${p.principalKey}`;
      const subject = identity.userName ?? 'repo:acme/payments-api:ref:refs/heads/main';
      const next = p.role.identity(p, s, 'sts:GetCallerIdentity', account);
      const sessionName = next.arn?.split('/').pop() ?? 'GitHubActions';
      requestParameters = { roleArn, roleSessionName: sessionName, durationSeconds: 3600 };
      responseElements = {
        credentials: { accessKeyId: s.accessKeyId, sessionToken: rng.chars(40), expiration: new Date(act.t + 3_600_000).toUTCString() },
        subjectFromWebIdentityToken: subject,
        assumedRoleUser: { assumedRoleId: `${next.principalId}`, arn: next.arn },
        provider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
        audience: 'sts.amazonaws.com',
      };
      additionalEventData = { identityProviderConnectionVerificationMethod: 'IAMTrustStore', RoleSessionName: sessionName };
      resources = [{ accountId: account, type: 'AWS::IAM::Role', ARN: roleArn }];
      break;
    }
    case 'kms:Decrypt':
      requestParameters = { encryptionContext: { LambdaFunctionName: rng.pick(ws.functions) }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      resources = [{ accountId: account, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${account}:key/${rng.uuid()}` }];
      break;
  }

  if (act.error && a.short !== 'signin:ConsoleLogin') {
    if (act.error === 'denied') {
      const e = deniedError(a, identity.arn ?? `arn:aws:iam::${account}:user/unknown`, account, region);
      errorCode = e.errorCode;
      errorMsg = e.errorMessage;
    } else {
      errorCode = act.error;
      errorMsg = errorMessage(act.error);
    }
    responseElements = null;
  }

  const data = isDataEvent(a);
  const console = act.via === 'console' && a.service !== 'signin' && a.service !== 'sso';
  const record: CloudTrailRecord = {
    eventVersion: data ? '1.10' : '1.09',
    userIdentity: identity,
    eventTime: iso(act.t),
    eventSource: a.source,
    eventName: a.name,
    awsRegion: region,
    sourceIPAddress: s.ip,
    userAgent: s.agents[act.via],
    ...(errorCode ? { errorCode } : {}),
    ...(errorMsg ? { errorMessage: errorMsg } : {}),
    requestParameters,
    responseElements,
    ...(additionalEventData ? { additionalEventData } : {}),
    requestID: rng.uuid(),
    eventID: rng.uuid(),
    readOnly: isReadOnly(a),
    ...(resources ? { resources } : {}),
    eventType,
    managementEvent: !data,
    recipientAccountId: account,
    ...(console ? { sessionCredentialFromConsole: 'true' } : {}),
    eventCategory: data ? 'Data' : 'Management',
  };
  if (!service && act.via !== 'service') {
    record.tlsDetails = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${a.source.split('.')[0]}.${region}.amazonaws.com` };
  }
  return record;
}

/** `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz` */
export function deliveryPath(account: string, region: string, delivered: number, unique: string): string {
  const d = new Date(delivered).toISOString();
  const [y, m, day] = [d.slice(0, 4), d.slice(5, 7), d.slice(8, 10)];
  const stamp = `${y}${m}${day}T${d.slice(11, 13)}${d.slice(14, 16)}Z`;
  return join('AWSLogs', account, 'CloudTrail', region, y, m, day, `${account}_CloudTrail_${region}_${stamp}_${unique}.json.gz`);
}

/** Generates the dataset into `outDir` (delivery files plus truth.json). Same options => byte-identical files. */
export function generate(opts: GenerateOptions): GenerateResult {
  validate();
  const seed = opts.seed ?? DEFAULTS.seed;
  const days = opts.days ?? DEFAULTS.days;
  const total = opts.events ?? DEFAULTS.events;
  const account = opts.account ?? DEFAULTS.account;
  const startMs = Math.floor(Date.parse(opts.start ?? DEFAULTS.start) / DAY) * DAY;
  if (!Number.isFinite(startMs)) throw new Error(`invalid start "${opts.start}": use an ISO date such as 2026-10-01`);
  if (!(days >= 1) || !Number.isInteger(days)) throw new Error(`days must be a positive integer, got ${days}`);
  if (!(total >= 1) || !Number.isInteger(total)) throw new Error(`events must be a positive integer, got ${total}`);
  const accounts = opts.accounts ?? 1;
  if (!(accounts >= 1) || !Number.isInteger(accounts)) throw new Error(`accounts must be a positive integer, got ${accounts}`);
  // Member accounts after the first: 12 digits, derived from it.
  const spaces = Array.from({ length: accounts }, (_, k) => workspace(k === 0 ? account : String((Number(account) + k * 1_000_001) % 1e12).padStart(12, '0')));
  const spaceOf = (act: Act) => (accounts === 1 ? 0 : hash32(act.s.tag) % accounts);

  opts.onProgress?.({ phase: 'simulate', done: 0, total });
  const acts = simulate(startMs, days, total, seed);
  const perPersona: Record<string, number> = {};
  for (const act of acts) perPersona[act.s.persona.id] = (perPersona[act.s.persona.id] ?? 0) + 1;

  let files = 0;
  let written = 0;
  const madeDirs = new Set<string>();
  const writeBatch = (bucket: number, space: number, region: string, batch: Act[]) => {
    const ws = spaces[space];
    for (let part = 0; part * MAX_RECORDS_PER_FILE < batch.length; part++) {
      const chunk = batch.slice(part * MAX_RECORDS_PER_FILE, (part + 1) * MAX_RECORDS_PER_FILE);
      const rng = space === 0 ? Rng.derive(seed, 'file', region, bucket, part) : Rng.derive(seed, 'file', ws.account, region, bucket, part);
      const unique = rng.chars(16);
      const records = chunk.map((act) => materialise(act, rng, ws));
      for (let i = records.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [records[i], records[j]] = [records[j], records[i]];
      }
      // Delivered when the 5-minute window closes.
      const rel = deliveryPath(ws.account, region, (bucket + 1) * BATCH, unique);
      const path = join(opts.outDir, rel);
      const dir = path.slice(0, path.lastIndexOf('/'));
      if (!madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      writeFileSync(path, gzipSync(JSON.stringify({ Records: records })));
      files++;
      written += records.length;
    }
    opts.onProgress?.({ phase: 'write', done: written, total: acts.length });
  };

  let current = -1;
  // Keyed by account number and region; with one account, the regions in sorted order as before.
  let batches = new Map<string, Act[]>();
  const flush = () => {
    for (const key of [...batches.keys()].sort()) {
      const [space, region] = key.split('\u0000');
      writeBatch(current, Number(space), region, batches.get(key)!);
    }
    batches = new Map();
  };
  for (const act of acts) {
    const bucket = Math.floor(act.t / BATCH);
    if (bucket !== current) {
      flush();
      current = bucket;
    }
    const key = `${spaceOf(act)}\u0000${act.region}`;
    let list = batches.get(key);
    if (!list) batches.set(key, (list = []));
    list.push(act);
  }
  flush();

  mkdirSync(opts.outDir, { recursive: true });
  const truthFile = join(opts.outDir, 'truth.json');
  const truth = {
    generator: 'trailbook-sample-data',
    seed,
    start: iso(startMs),
    days,
    events: acts.length,
    account,
    perPersona,
    ...generatorTruth(),
  };
  writeFileSync(truthFile, JSON.stringify(truth, null, 2) + '\n');
  return { dir: opts.outDir, files, events: acts.length, start: iso(startMs), end: iso(startMs + days * DAY), perPersona, truthFile };
}
