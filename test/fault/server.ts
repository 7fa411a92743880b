import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeDirWithUnusableFiles } from '../cloudtrail/unusable-dir.ts';
import { runCli, servedUrl } from '../workbench/cli-process.ts';

/**
 * The real `trailbook serve` process for the fault suite and bench/healthcheck.ts: temp notebooks, state,
 * data and cache directories, a known token, a free port on 127.0.0.1, and a logged-in browser session.
 */

export const FAULT_TOKEN = 'fault-token-0123456789abcdef';
/** A secret a deployment might add to the server's environment; no kernel may see it. */
export const DEPLOYMENT_SECRET = { name: 'PGPASSWORD', value: 'fault-deployment-secret-must-not-leak' };
export const MB = 1024 * 1024;

export interface FaultServer {
  url: string;
  /** What a same-site browser sends as Origin. */
  origin: string;
  /** The Host header value, e.g. 127.0.0.1:41234. */
  host: string;
  port: number;
  token: string;
  pid: number;
  notebookDir: string;
  stateDir: string;
  dataDir: string;
  /** A browser session from the login form: its cookie header and CSRF token. */
  cookie: string;
  csrf: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  alive(): boolean;
  /** Resident memory of the server process (not its kernels), from /proc. */
  rssBytes(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A data directory as users hand them over: valid S3 deliveries, a file that is not CloudTrail and a corrupt
 * .gz (test/cloudtrail/unusable-dir.ts), plus an export whose optional fields are null (as CloudTrail Lake,
 * Athena and SIEM exports write them) with one record whose required eventName is null.
 */
export const NULL_FIELD_RECORDS = 12;
export async function writeFaultDataset(): Promise<string> {
  const dir = await writeDirWithUnusableFiles();
  const records = Array.from({ length: NULL_FIELD_RECORDS }, (_, i) => ({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: `AIDANULL${i}`, arn: 'arn:aws:iam::111122223333:user/erin', accountId: '111122223333', userName: 'erin', accessKeyId: null, invokedBy: null, sessionContext: null },
    eventTime: `2026-11-19T10:${String(i).padStart(2, '0')}:00Z`,
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.1',
    userAgent: 'Mozilla/5.0',
    errorCode: i % 3 ? null : 'Failed authentication',
    errorMessage: null,
    requestParameters: null,
    responseElements: { ConsoleLogin: i % 3 ? 'Success' : 'Failure' },
    additionalEventData: null,
    requestID: null,
    eventID: `null-field-${i}`,
    readOnly: false,
    resources: null,
    eventType: 'AwsConsoleSignIn',
    apiVersion: null,
    managementEvent: true,
    recipientAccountId: '111122223333',
    sharedEventID: null,
    vpcEndpointId: null,
    tlsDetails: null,
  }));
  const broken = { ...records[0], eventID: 'null-required', eventName: null };
  await writeFile(join(dir, 'lake-export.json.gz'), gzipSync(JSON.stringify({ Records: [...records, broken] })));
  return dir;
}

/** A browser session from the login form. */
export async function login(url: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams({ token: FAULT_TOKEN, next: '/' }),
  });
  if (res.status !== 302) throw new Error(`login failed: ${res.status}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  return { cookie: cookies.join('; '), csrf: cookies.find((c) => c.startsWith('trailbook_csrf='))!.split('=')[1]! };
}

/** Starts `trailbook serve`; `env` adds to (or overrides) the defaults below. */
export async function startFaultServer(env: Record<string, string> = {}): Promise<FaultServer> {
  const notebookDir = await mkdtemp(join(tmpdir(), 'trailbook-fault-nb-'));
  const stateDir = await mkdtemp(join(tmpdir(), 'trailbook-fault-state-'));
  const cacheDir = await mkdtemp(join(tmpdir(), 'trailbook-fault-cache-'));
  const dataDir = await writeFaultDataset();
  const cleanup = () => Promise.all([notebookDir, stateDir, cacheDir, dataDir].map((d) => rm(d, { recursive: true, force: true })));
  const server = runCli(['serve', '--port', '0', '--host', '127.0.0.1', '--notebook-dir', notebookDir, '--no-sample-data'], {
    TRAILBOOK_SOURCE: 'files',
    TRAILBOOK_DATA_DIR: dataDir,
    TRAILBOOK_CACHE_DIR: cacheDir,
    TRAILBOOK_TOKEN: FAULT_TOKEN,
    [DEPLOYMENT_SECRET.name]: DEPLOYMENT_SECRET.value,
    TRAILBOOK_STATE_DIR: stateDir,
    // Never the deployment's settings from the calling shell.
    TRAILBOOK_SHARE_SECRET: '',
    TRAILBOOK_PUBLIC_URL: '',
    TRAILBOOK_ALLOWED_HOSTS: '',
    TRAILBOOK_MCP_URL: '',
    ...env,
  });
  const match = await servedUrl(server);
  if (!match) {
    server.child.kill('SIGKILL');
    await cleanup();
    throw new Error(`trailbook serve did not start:\n${server.output()}`);
  }
  const url = match[1]!;
  const { host, port } = new URL(url);
  const session = await login(url);
  const pid = server.child.pid!;
  return {
    url,
    origin: url,
    host,
    port: Number(port),
    token: FAULT_TOKEN,
    pid,
    notebookDir,
    stateDir,
    dataDir,
    ...session,
    output: server.output,
    alive: () => server.child.exitCode === null && server.child.signalCode === null,
    async rssBytes() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
      return Number(kb[1]) * 1024;
    },
    async stop() {
      if (server.child.exitCode === null) server.child.kill('SIGTERM');
      await server.exited;
      await cleanup();
    },
  };
}

/** sha256 of every file under `dir` by relative path: notebook files must stay byte-identical through an attack. */
export async function hashFiles(dir: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    hashes.set(relative(dir, path), createHash('sha256').update(await readFile(path)).digest('hex'));
  }
  return hashes;
}
