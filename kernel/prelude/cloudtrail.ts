import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { nothingSkipped, skippedNotice, type SkippedInput } from '../../cloudtrail/skipped.ts';
import { timeValue } from '../../cloudtrail/time.ts';
import type { PreludeContext, PreludeModule } from './types.ts';

/**
 * `mcp` (the raw MCP client) and `cloudtrail` (typed wrappers over its tools). In-process by
 * default: a linked in-memory transport to createCloudTrailMcpServer over the configured store,
 * opened on first use. With TRAILBOOK_MCP_URL, Streamable HTTP to that URL, SigV4-signed when
 * TRAILBOOK_MCP_SIGV4=true (Lambda Function URL), or with the bearer token TRAILBOOK_MCP_TOKEN
 * (`trailbook mcp --http`).
 */

let clientPromise: Promise<Client> | undefined;

export function mcpClient(ctx: PreludeContext): Promise<Client> {
  clientPromise ??= connect(ctx).catch((err) => {
    clientPromise = undefined; // let the next cell retry after fixing the configuration
    throw err;
  });
  return clientPromise;
}

async function connect(ctx: PreludeContext): Promise<Client> {
  const [{ Client }, { LazyOutputValidators }] = await Promise.all([import('@modelcontextprotocol/sdk/client/index.js'), import('../../mcp/output-validators.ts')]);
  // Output schemas compiled per tool when first used, not all on each listTools (mcp/output-validators.ts).
  const client = new Client({ name: 'trailbook-kernel', version: '0.1.0' }, { jsonSchemaValidator: new LazyOutputValidators() });
  const url = ctx.env.TRAILBOOK_MCP_URL;
  if (url) {
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const sigv4 = ctx.env.TRAILBOOK_MCP_SIGV4 === 'true';
    const token = ctx.env.TRAILBOOK_MCP_TOKEN?.trim();
    // Both would claim the Authorization header: a Function URL with AWS_IAM auth takes SigV4, `trailbook mcp --http` a bearer token.
    if (sigv4 && token) throw new Error('TRAILBOOK_MCP_SIGV4=true and TRAILBOOK_MCP_TOKEN are both set: use SigV4 for a Lambda Function URL, the token for `trailbook mcp --http`');
    const fetchImpl = sigv4 ? await (await import('./sigv4-fetch.ts')).createSigV4Fetch({ env: ctx.env }) : undefined;
    const requestInit = token ? { headers: { authorization: `Bearer ${token}` } } : undefined;
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchImpl, requestInit }));
    return client;
  }
  const [{ InMemoryTransport }, { createCloudTrailMcpServer }, { kernelStore }] = await Promise.all([
    import('@modelcontextprotocol/sdk/inMemory.js'),
    import('../../mcp/server.ts'),
    import('./store.ts'),
  ]);
  const store = await kernelStore(ctx.env);
  const server = createCloudTrailMcpServer({ store });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

/**
 * Called once, when the kernel's store first opens: if it skipped anything, one stderr line goes into the
 * running cell's output (stdio is routed to the cell), so the user sees it where they work.
 */
export function noticeSkipped(skipped: SkippedInput | undefined): void {
  if (nothingSkipped(skipped)) return;
  process.stderr.write(`cloudtrail: ${skippedNotice(skipped!, 'cloudtrail.status()')}\n`);
}

type Time = string | number | Date;

/**
 * A time argument as the MCP tools take it: checked here so an impossible date fails naming the helper's own
 * argument (`startTime`); relative text (`-7d`) is passed on for the server's clock.
 */
function timeArg(name: string, t: Time | undefined): string | undefined {
  if (t === undefined) return undefined;
  const ms = timeValue(name, t, Date.now());
  return typeof t === 'string' ? t : new Date(ms).toISOString();
}

function defined(o: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name, arguments: defined(args) });
  const text = (result.content as { type: string; text?: string }[] | undefined)?.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  if (result.isError) throw new Error(text || `${name} failed`);
  if (result.structuredContent) return result.structuredContent as Record<string, unknown>;
  try {
    return JSON.parse(text ?? '') as Record<string, unknown>;
  } catch {
    return { text };
  }
}

export interface LookupArgs {
  startTime?: Time;
  endTime?: Time;
  username?: string;
  eventName?: string;
  eventSource?: string;
  readOnly?: boolean;
  errorsOnly?: boolean;
  maxResults?: number;
  order?: 'asc' | 'desc';
  cursor?: string;
  includeRaw?: boolean;
}

const lookupArgs = (a: LookupArgs) => ({
  start_time: timeArg('startTime', a.startTime),
  end_time: timeArg('endTime', a.endTime),
  username: a.username,
  event_name: a.eventName,
  event_source: a.eventSource,
  read_only: a.readOnly,
  errors_only: a.errorsOnly,
  max_results: a.maxResults,
  order: a.order,
  cursor: a.cursor,
  include_raw: a.includeRaw,
});

export function createCloudTrail(client: Client) {
  const tools = client.listTools().then((r) => r.tools.map((t) => t.name));
  const api = {
    /** One page of events (newest first unless order: 'asc'), with next_cursor when there are more. */
    lookupEvents: async (args: LookupArgs = {}) => callTool(client, 'lookup_cloudtrail_events', lookupArgs(args)),
    /** Events matching the filters, following pages up to `limit` (default 1000). */
    async events(args: LookupArgs & { limit?: number } = {}) {
      const limit = args.limit ?? 1000;
      const events: unknown[] = [];
      let cursor = args.cursor;
      do {
        const page = await api.lookupEvents({ ...args, cursor, maxResults: Math.min(args.maxResults ?? 1000, limit - events.length) });
        events.push(...((page.events as unknown[]) ?? []));
        cursor = page.next_cursor as string | undefined;
      } while (cursor && events.length < limit);
      return events;
    },
    /** API actions by frequency. */
    async eventNames(args: { startTime?: Time; endTime?: Time; username?: string; eventSource?: string; top?: number } = {}) {
      const r = await callTool(client, 'get_cloudtrail_event_names', { start_time: timeArg('startTime', args.startTime), end_time: timeArg('endTime', args.endTime), username: args.username, event_source: args.eventSource, top: args.top });
      return r.event_names as { source: string; name: string; count: number }[];
    },
    /** Principals with their event counts, errors, first/last seen and top actions (list_cloudtrail_principals). */
    async principals(args: { startTime?: Time; endTime?: Time; limit?: number } = {}) {
      const r = await callTool(client, 'list_cloudtrail_principals', { start_time: timeArg('startTime', args.startTime), end_time: timeArg('endTime', args.endTime), top: args.limit });
      return r.principals as unknown;
    },
    /** Source kind, location, time range and event count of the data, and what was skipped as unusable. */
    async status() {
      const r = await client.readResource({ uri: 'cloudtrail://status' });
      const first = r.contents[0] as { text?: string } | undefined;
      return JSON.parse(first?.text ?? '{}') as Record<string, unknown>;
    },
    /** Names of the tools the MCP server offers. */
    tools: () => tools,
    /** Calls any tool by name with snake_case arguments, returning its structured result. */
    call: (name: string, args: Record<string, unknown> = {}) => callTool(client, name, args),
  };
  return api;
}

export const cloudtrailPrelude: PreludeModule = {
  name: 'cloudtrail',
  globals: {
    mcp: { load: (ctx) => mcpClient(ctx) },
    cloudtrail: { load: async (ctx) => createCloudTrail(await mcpClient(ctx)) },
  },
  types: `
type TimeArg = string | number | Date;
interface CloudTrailPrincipal { type: string; name: string; arn?: string; human?: string; session?: string; accessKeyId?: string; }
interface CloudTrailEvent {
  id: string; time: string; source: string; name: string; region: string; account: string;
  principal: CloudTrailPrincipal; sourceIp: string; userAgent: string;
  errorCode?: string; errorMessage?: string; readOnly?: boolean;
  resources: { arn?: string; type?: string; accountId?: string }[];
  raw?: Record<string, unknown>;
}
interface CloudTrailLookupArgs {
  /** ISO 8601, epoch ms, a Date, or relative (-7d, -24h, -30m, now). */
  startTime?: TimeArg; endTime?: TimeArg;
  username?: string; eventName?: string; eventSource?: string;
  readOnly?: boolean; errorsOnly?: boolean; maxResults?: number;
  order?: 'asc' | 'desc'; cursor?: string; includeRaw?: boolean;
}
/** CloudTrail tools over MCP (in-process server, or TRAILBOOK_MCP_URL). */
declare const cloudtrail: {
  /** One page of events (newest first unless order: 'asc'), with next_cursor when there are more. */
  lookupEvents(args?: CloudTrailLookupArgs): Promise<{ events: CloudTrailEvent[]; count: number; order: 'asc' | 'desc'; next_cursor?: string }>;
  /** Events matching the filters, following pages up to \`limit\` (default 1000). */
  events(args?: CloudTrailLookupArgs & { limit?: number }): Promise<CloudTrailEvent[]>;
  /** API actions by frequency. */
  eventNames(args?: { startTime?: TimeArg; endTime?: TimeArg; username?: string; eventSource?: string; top?: number }): Promise<{ source: string; name: string; count: number }[]>;
  /** Principals with their event counts, errors, first/last seen and top actions. */
  principals(args?: { startTime?: TimeArg; endTime?: TimeArg; limit?: number }): Promise<{ key: string; name: string; type: string; human?: string; arns: string[]; events: number; errors: number; read_only: number; mutating: number; distinct_actions: number; regions: string[]; source_ips: number; first_seen: string; last_seen: string; top_actions: { action: string; count: number }[] }[]>;
  /**
   * Source kind, location, time range and event count of the data, and what was skipped as unusable.
   * skipped: files and records left out as unusable (first few named, with why); null when the source cannot know.
   */
  status(): Promise<{
    source: string; location: string; regions: string[]; start_time: string | null; end_time: string | null; count: number | null;
    skipped: { files: number; records: number; examples: { file: string; reason: string; records?: number }[]; ignored: number; ignored_examples: { file: string; reason: string }[]; notice: string | null } | null;
    [k: string]: unknown;
  }>;
  /** Names of the tools the MCP server offers. */
  tools(): Promise<string[]>;
  /** Calls any tool by name with snake_case arguments, returning its structured result. */
  call(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
};
/** The raw MCP client (@modelcontextprotocol/sdk Client). */
declare const mcp: {
  /** The server's tools with their descriptions and input schemas. */
  listTools(): Promise<{ tools: { name: string; description?: string; inputSchema: unknown }[] }>;
  /** Calls a tool; the result's content is what the model would see, structuredContent the data. */
  callTool(request: { name: string; arguments?: Record<string, unknown> }): Promise<{ content: unknown[]; structuredContent?: Record<string, unknown>; isError?: boolean }>;
  /** Reads a resource, e.g. cloudtrail://status. */
  readResource(request: { uri: string }): Promise<{ contents: { uri: string; text?: string; mimeType?: string }[] }>;
  /** Every other method of the MCP SDK's Client. */
  [method: string]: any;
};
`,
};
