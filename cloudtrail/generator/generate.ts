import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../record.ts';
import { buildParams, deniedError, GLOBAL_SERVICES, isDataEvent, isReadOnly, resolveAction, type ActionRef, type Workspace } from './catalog.ts';
import { PERSONAS, type Persona, type Session } from './personas.ts';
import { Rng } from './prng.ts';
import { transitionProbabilities, validateChains } from './truth.ts';

export interface GenerateOptions {
  outDir: string;
  seed?: number;
  days?: number;
  /** Approximate total number of events (exact unless sessions run past the end of the range). */
  events?: number;
  /** First day (UTC) of the range, ISO date or date-time. */
  start?: string;
  account?: string;
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
const MAX_CHAIN = 400;

/** One simulated call, kept compact until its delivery file is written. */
interface Act {
  t: number;
  a: ActionRef;
  s: Session;
  region: string;
  error?: { code: string; message?: string };
  seq: number;
}

function workspace(account: string): Workspace {
  return {
    account,
    buckets: [`acme-data-lake-${account}`, `acme-reports-${account}`, `cdk-hnb659fds-assets-${account}-eu-west-1`],
    stacks: ['PaymentsApiStack', 'PaymentsApiStack-dev', 'OrdersPipelineStack', 'SharedNetworkStack'],
    functions: ['payments-api-handler', 'orders-ingest', 'invoice-renderer', 'webhook-dispatcher'],
    clusters: ['prod-cluster', 'staging-cluster'],
    services: ['payments-api', 'orders-worker', 'web-frontend'],
    instances: ['i-0a1b2c3d4e5f60718', 'i-0f9e8d7c6b5a49382', 'i-03c4d5e6f7a8b9c0d'],
    databases: ['analytics', 'raw_events'],
    glueJobs: ['orders-nightly-etl', 'events-compaction'],
    crawlers: ['raw-events-crawler', 'curated-orders-crawler'],
    tables: ['orders', 'events', 'customers', 'invoices'],
    logGroups: ['/aws/lambda/payments-api-handler', '/aws/lambda/orders-ingest', '/ecs/payments-api', '/ecs/orders-worker'],
    alarms: ['payments-api-5xx', 'orders-queue-depth', 'db-cpu-high', 'lambda-errors'],
    parameters: ['/payments/prod/db-url', '/payments/dev/feature-flags', '/shared/sentry-dsn'],
    repositories: ['payments-api', 'orders-worker'],
    roles: ['DataEngineer', 'GitHubActionsDeploy', 'payments-api-handler-role', 'OrganizationAccountAccessRole'],
    users: ['svc-reporting', 'lena.fischer', 'priya.shah', 'break-glass-admin'],
    secrets: ['prod/payments/stripe-key', 'prod/orders/db-password'],
  };
}

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sessionStart(p: Persona, rng: Rng, startMs: number, days: number): number {
  const endMs = startMs + days * DAY;
  for (let tries = 0; ; tries++) {
    const day = p.daysFromEnd ? Math.max(0, days - rng.pick(p.daysFromEnd)) : rng.int(0, days - 1);
    const hour = p.hours[0] + rng.next() * (p.hours[1] - p.hours[0]);
    const t = Math.round((startMs + day * DAY + hour * 3_600_000 - p.tzMinutes * 60_000) / 1000) * 1000;
    const weekday = new Date(t + p.tzMinutes * 60_000).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    if (tries < 50 && (t < startMs || t >= endMs)) continue;
    if (tries < 50 && weekend && !rng.chance(p.weekendRate)) continue;
    return t;
  }
}

function callRegion(p: Persona, a: ActionRef, s: Session, rng: Rng): string {
  if (GLOBAL_SERVICES.has(a.service)) return 'us-east-1';
  if (a.service === 'sso') return 'eu-west-1';
  const choices = p.regionPerCall?.[a.service];
  return choices ? rng.pick(choices) : s.region;
}

/** Walks each persona's chain, session by session, until its share of events is reached. */
function simulate(startMs: number, days: number, total: number, seed: number): Act[] {
  const shareSum = PERSONAS.reduce((s, p) => s + p.share, 0);
  const acts: Act[] = [];
  let seq = 0;
  for (const p of PERSONAS) {
    const rng = Rng.derive(seed, 'persona', p.id);
    const quota = Math.max(1, Math.round((total * p.share) / shareSum));
    const chain = Object.fromEntries(Object.keys(p.chain.next).map((k) => [k, resolveAction(k)]));
    let made = 0;
    while (made < quota) {
      const start = sessionStart(p, rng, startMs, days);
      const s: Session = {
        persona: p,
        start,
        region: rng.weighted(p.regions),
        ip: rng.pick(p.ips),
        userAgent: rng.pick(p.userAgents),
        accessKeyId: p.accessKeyId ?? `ASIA${rng.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
        tag: String(Math.floor(start / 1000)),
      };
      let t = start;
      for (const pre of p.preamble ?? []) {
        const a = resolveAction(pre);
        acts.push({ t, a, s, region: callRegion(p, a, s, rng), seq: seq++ });
        t += 1000;
      }
      let state = rng.weighted(p.chain.start);
      for (let step = 0; step < MAX_CHAIN && made < quota; step++) {
        const a = chain[state] ?? resolveAction(state);
        const spec = p.errors[state];
        let error: Act['error'];
        if (spec && rng.chance(spec.p)) error = { code: spec.code, message: spec.message };
        else if (p.baseDenied && rng.chance(p.baseDenied)) error = { code: 'denied' };
        acts.push({ t, a, s, region: callRegion(p, a, s, rng), error, seq: seq++ });
        made++;
        const next = rng.weighted(p.chain.next[state]);
        if (next === 'END') break;
        state = next;
        t += Math.round(rng.lognormal(p.gapSeconds * 1000, 0.8, 1000, p.gapSeconds * 20_000) / 1000) * 1000;
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
  const identity = p.identity(s, a.short, account);
  const service = identity.type === 'AWSService';
  const built = buildParams(a, { rng, ws, region, time: act.t });
  let requestParameters = built.requestParameters ?? null;
  let responseElements: unknown = built.responseElements ?? null;
  let resources = built.resources;
  let additionalEventData: unknown;
  let eventType = 'AwsApiCall';
  let errorCode: string | undefined;
  let errorMessage: string | undefined;

  switch (a.short) {
    case 'signin:ConsoleLogin': {
      eventType = 'AwsConsoleSignIn';
      delete identity.accessKeyId;
      delete identity.sessionContext;
      requestParameters = null;
      responseElements = { ConsoleLogin: act.error ? 'Failure' : 'Success' };
      additionalEventData = { LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: 'Yes' };
      if (act.error) errorMessage = act.error.message ?? 'Failed authentication';
      break;
    }
    case 'sso:GetRoleCredentials':
      requestParameters = { roleName: `AWSReservedSSO_${p.id}`, accountId: account };
      break;
    case 'sts:AssumeRole': {
      const roleName = service ? `${rng.pick(ws.functions)}-role` : 'DataEngineer';
      const roleArn = `arn:aws:iam::${account}:role/${roleName}`;
      const sessionName = service ? rng.pick(ws.functions) : `priya-${s.tag}`;
      requestParameters = { roleArn, roleSessionName: sessionName, durationSeconds: 3600, ...(service ? {} : { sourceIdentity: 'priya.shah' }) };
      responseElements = {
        credentials: { accessKeyId: service ? `ASIA${rng.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}` : s.accessKeyId, sessionToken: rng.chars(40), expiration: new Date(act.t + 3_600_000).toUTCString() },
        assumedRoleUser: { assumedRoleId: `AROAX7K2${roleName.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12)}:${sessionName}`, arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}` },
        ...(service ? {} : { sourceIdentity: 'priya.shah' }),
      };
      resources = [{ accountId: account, type: 'AWS::IAM::Role', ARN: roleArn }];
      break;
    }
    case 'sts:AssumeRoleWithWebIdentity': {
      const roleArn = `arn:aws:iam::${account}:role/GitHubActionsDeploy`;
      requestParameters = { roleArn, roleSessionName: 'GitHubActions', durationSeconds: 3600 };
      responseElements = {
        credentials: { accessKeyId: s.accessKeyId, sessionToken: rng.chars(40), expiration: new Date(act.t + 3_600_000).toUTCString() },
        subjectFromWebIdentityToken: 'repo:acme/payments-api:ref:refs/heads/main',
        assumedRoleUser: { assumedRoleId: 'AROAX7K2GITHUBDEPLOY:GitHubActions', arn: `arn:aws:sts::${account}:assumed-role/GitHubActionsDeploy/GitHubActions` },
        provider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
        audience: 'sts.amazonaws.com',
      };
      additionalEventData = { identityProviderConnectionVerificationMethod: 'IAMTrustStore', RoleSessionName: 'GitHubActions' };
      resources = [{ accountId: account, type: 'AWS::IAM::Role', ARN: roleArn }];
      break;
    }
    case 'kms:Decrypt':
      requestParameters = { encryptionContext: { LambdaFunctionName: rng.pick(ws.functions) }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
      resources = [{ accountId: account, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${account}:key/${rng.uuid()}` }];
      break;
  }

  if (act.error && a.short !== 'signin:ConsoleLogin') {
    if (act.error.code === 'denied') {
      const e = deniedError(a, identity.arn ?? `arn:aws:iam::${account}:user/unknown`, account, region);
      errorCode = e.errorCode;
      errorMessage = e.errorMessage;
    } else {
      errorCode = act.error.code;
      errorMessage = act.error.message;
    }
    responseElements = null;
  }

  const data = isDataEvent(a);
  const record: CloudTrailRecord = {
    eventVersion: data ? '1.10' : '1.09',
    userIdentity: identity,
    eventTime: iso(act.t),
    eventSource: a.source,
    eventName: a.name,
    awsRegion: region,
    sourceIPAddress: s.ip,
    userAgent: s.userAgent,
    ...(errorCode ? { errorCode } : {}),
    ...(errorMessage ? { errorMessage } : {}),
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
    ...(p.id === 'console-user' && a.short !== 'signin:ConsoleLogin' ? { sessionCredentialFromConsole: 'true' } : {}),
    eventCategory: data ? 'Data' : 'Management',
  };
  if (!service) {
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
  validateChains();
  const seed = opts.seed ?? DEFAULTS.seed;
  const days = opts.days ?? DEFAULTS.days;
  const total = opts.events ?? DEFAULTS.events;
  const account = opts.account ?? DEFAULTS.account;
  const startMs = Math.floor(Date.parse(opts.start ?? DEFAULTS.start) / DAY) * DAY;
  if (!Number.isFinite(startMs)) throw new Error(`invalid start "${opts.start}": use an ISO date such as 2026-10-01`);
  if (!(days >= 1) || !Number.isInteger(days)) throw new Error(`days must be a positive integer, got ${days}`);
  if (!(total >= 1) || !Number.isInteger(total)) throw new Error(`events must be a positive integer, got ${total}`);
  const ws = workspace(account);

  opts.onProgress?.({ phase: 'simulate', done: 0, total });
  const acts = simulate(startMs, days, total, seed);
  const perPersona: Record<string, number> = {};
  for (const act of acts) perPersona[act.s.persona.id] = (perPersona[act.s.persona.id] ?? 0) + 1;

  let files = 0;
  let written = 0;
  const madeDirs = new Set<string>();
  const writeBatch = (bucket: number, region: string, batch: Act[]) => {
    for (let part = 0; part * MAX_RECORDS_PER_FILE < batch.length; part++) {
      const chunk = batch.slice(part * MAX_RECORDS_PER_FILE, (part + 1) * MAX_RECORDS_PER_FILE);
      const rng = Rng.derive(seed, 'file', region, bucket, part);
      const unique = rng.chars(16);
      const records = chunk.map((act) => materialise(act, rng, ws));
      for (let i = records.length - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [records[i], records[j]] = [records[j], records[i]];
      }
      // Delivered when the 5-minute window closes.
      const rel = deliveryPath(account, region, (bucket + 1) * BATCH, unique);
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
  let batches = new Map<string, Act[]>();
  const flush = () => {
    for (const region of [...batches.keys()].sort()) writeBatch(current, region, batches.get(region)!);
    batches = new Map();
  };
  for (const act of acts) {
    const bucket = Math.floor(act.t / BATCH);
    if (bucket !== current) {
      flush();
      current = bucket;
    }
    let list = batches.get(act.region);
    if (!list) batches.set(act.region, (list = []));
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
    personas: transitionProbabilities(),
  };
  writeFileSync(truthFile, JSON.stringify(truth, null, 2) + '\n');
  return { dir: opts.outDir, files, events: acts.length, start: iso(startMs), end: iso(startMs + days * DAY), perPersona, truthFile };
}
