import { existsSync } from 'node:fs';
import { loadDataConfig, openStore, type DataConfig } from '../../cloudtrail/config.ts';
import type { EventStore, ProgressReport } from '../../cloudtrail/query.ts';
import { nothingSkipped, skippedNotice } from '../../cloudtrail/skipped.ts';
import { httpAccess, McpHttpConfigError, MIN_TOKEN_LENGTH, type HttpAccess } from '../../mcp/http-access.ts';
import { lazyStore } from '../../mcp/lazy-store.ts';
import { parseCommandArgs, UsageError, type Command } from '../command.ts';

const usage = `Usage: trailbook mcp [--http PORT [--host HOST] [--token TOKEN]]

Serve the CloudTrail MCP server: tools lookup_cloudtrail_events, get_cloudtrail_event_names,
list_cloudtrail_principals, get_cloudtrail_event, get_cloudtrail_activity_timeline, get_cloudtrail_status
(plus the prediction tools), and the resource cloudtrail://status.

Transports:
  (default)        stdio: JSON-RPC on stdin/stdout, logs on stderr. For MCP clients that spawn the server,
                   e.g. {"command": "npx", "args": ["trailbook", "mcp"]}.
  --http PORT      Streamable HTTP, stateless, at http://HOST:PORT/mcp (POST only; GET/DELETE give 405).
                   PORT 0 picks a free port; the endpoint URL is printed on stdout.
  --host HOST      Interface to listen on with --http (default 127.0.0.1).
  --token TOKEN    Bearer token for --http (at least ${MIN_TOKEN_LENGTH} characters). Prefer TRAILBOOK_MCP_TOKEN:
                   a command-line argument is visible to every user of the machine (ps).

Access over HTTP (the CloudTrail data is sensitive: every request is checked):
  - Every request needs "Authorization: Bearer TOKEN" (401 with WWW-Authenticate: Bearer otherwise).
    The token is TRAILBOOK_MCP_TOKEN or --token. On loopback (127.0.0.1, ::1, localhost) without one, a
    random token is generated for this run and printed on stderr with the URL; it is not stored anywhere.
  - Listening beyond loopback (e.g. --host 0.0.0.0) without a token is refused (exit code 2).
  - Browser requests are checked by their Origin header (403 when not allowed): on loopback, pages on
    loopback are allowed; anywhere, the origins listed in TRAILBOOK_MCP_ALLOWED_ORIGINS (comma-separated,
    e.g. https://notebooks.example.com). Clients that send no Origin (not browsers) are not affected.
  - The Host header must name this server (403 otherwise, against DNS rebinding): on loopback, a loopback
    name; and the names listed in TRAILBOOK_MCP_ALLOWED_HOSTS (comma-separated). Beyond loopback with no
    list, any Host is accepted and the token alone guards the server.
  - Plain HTTP: beyond loopback, put it behind TLS (a reverse proxy or load balancer) so the token is not
    sent in the clear. The Lambda Function URL deployment (mcp/lambda.ts) uses AWS IAM auth instead.

Data: TRAILBOOK_SOURCE (files | lookup | athena, default files), TRAILBOOK_DATA_DIR (default .data/sample;
the sample dataset is generated there on first use), TRAILBOOK_REGIONS, TRAILBOOK_CACHE_DIR, TRAILBOOK_ATHENA_*.`;

const log = (m: string) => process.stderr.write(`trailbook mcp: ${m}\n`);

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UsageError(`--http needs a port number from 0 to 65535, got "${text}"`);
  return port;
}

/** The embedded default: generate the sample dataset on first use, if the generator module is present. */
async function ensureDefaultData(config: DataConfig): Promise<void> {
  const generator = new URL('../../cloudtrail/generator/index.ts', import.meta.url);
  if (!existsSync(generator)) return;
  const mod = (await import(generator.href)) as typeof import('../../cloudtrail/generator/index.ts');
  await mod.ensureDefaultSampleData(config, log);
}

/** In stdio mode stdout carries the protocol only: anything else that prints (store loaders, generator) goes to stderr. */
function keepStdoutForProtocol(): void {
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = console.info = console.debug = toStderr;
}

async function openConfiguredStore(config: DataConfig, onProgress?: (p: ProgressReport) => void): Promise<EventStore> {
  await ensureDefaultData(config);
  const store = await openStore(config, { onProgress });
  if (!nothingSkipped(store.skipped)) log(skippedNotice(store.skipped!, 'cloudtrail://status'));
  const s = await store.status();
  log(`${s.count ?? '?'} events from ${s.kind} ${s.location}`);
  return store;
}

const command: Command = {
  name: 'mcp',
  summary: 'Serve the CloudTrail MCP tools over stdio or Streamable HTTP',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs({ args: argv, options: { http: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' } }, strict: true, allowPositionals: false });
    if (values.host !== undefined && values.http === undefined) throw new UsageError('--host only applies with --http PORT');
    if (values.token !== undefined && values.http === undefined) throw new UsageError('--token only applies with --http PORT');
    const port = values.http === undefined ? undefined : parsePort(values.http);
    const host = values.host ?? '127.0.0.1';
    let access: HttpAccess | undefined;
    try {
      // Before the data loads: an open server must not start, and a bad setting should not wait for a million events.
      if (port !== undefined) access = httpAccess(host, { token: values.token });
    } catch (err) {
      if (!(err instanceof McpHttpConfigError)) throw err;
      log(err.message);
      return 2;
    }

    if (port === undefined) keepStdoutForProtocol();
    // A stray rejection somewhere must not take the server down with every client on it.
    process.on('unhandledRejection', (err) => log(`unhandled rejection: ${(err as Error)?.stack ?? err}`));
    let config: DataConfig;
    try {
      config = loadDataConfig();
    } catch (err) {
      log((err as Error).message);
      return 1;
    }
    if (port === undefined) {
      // Answer the handshake at once; the data loads (or is generated) while the client gets ready.
      const store = lazyStore(config.TRAILBOOK_SOURCE, (onProgress) => openConfiguredStore(config, onProgress));
      store.opened().catch((err) => log(`cannot open the CloudTrail data: ${(err as Error).message}`));
      const { serveStdio } = await import('../../mcp/stdio.ts');
      await serveStdio(store);
      await store.close?.();
      return 0;
    }
    let store: EventStore;
    try {
      store = await openConfiguredStore(config);
    } catch (err) {
      log(`cannot open the CloudTrail data: ${(err as Error).message}`);
      return 1;
    }
    const { startMcpHttpServer } = await import('../../mcp/http.ts');
    let started: Awaited<ReturnType<typeof startMcpHttpServer>>;
    try {
      started = await startMcpHttpServer({ store, port, host, ...access });
    } catch (err) {
      log(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
      await store.close?.();
      return 1;
    }
    console.log(`MCP endpoint: ${started.url}`);
    if (started.tokenGenerated) {
      // Like Jupyter: the generated token goes to the terminal only (stderr), never to a file.
      log(`access token for this run (set TRAILBOOK_MCP_TOKEN to choose one): ${started.token}`);
      log(`clients send the header "Authorization: Bearer ${started.token}" to ${started.url}`);
    } else {
      log(`clients send the header "Authorization: Bearer <token>" (the token from ${values.token === undefined ? 'TRAILBOOK_MCP_TOKEN' : '--token'}) to ${started.url}`);
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    log('shutting down');
    await started.close();
    await store.close?.();
    return 0;
  },
};
export default command;
