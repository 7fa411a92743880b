import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { EventStore, QueryOptions } from '../cloudtrail/query.ts';
import pkg from '../package.json' with { type: 'json' };
import { knownJson } from './json-once.ts';
import { describeProgress, type ServerLog } from './logging.ts';

export const SERVER_NAME = 'trailbook-cloudtrail';
export const SERVER_VERSION: string = pkg.version;

/** What every tool gets. Later tools may need more (e.g. a trained model): derive it lazily through `memo`. */
export interface ToolContext {
  store: EventStore;
  /** Clock for relative times (`-7d`); injectable so tests are exact. */
  now: () => number;
  version: string;
  /**
   * Computes a value once per store and keeps it, so expensive derived state (a trained model, an index)
   * survives the new-server-per-request pattern of the stateless HTTP transports.
   */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /** MCP logging of the server this context was handed to (each server gets its own; see createCloudTrailMcpServer). */
  log?: ServerLog;
}

/** Adds one tool (or resource) to a server. mcp/tools/index.ts lists them all. */
export type ToolRegistrar = (server: McpServer, context: ToolContext) => void;

const memos = new WeakMap<EventStore, Map<string, Promise<unknown>>>();

export function createToolContext(options: { store: EventStore; now?: () => number }): ToolContext {
  const { store } = options;
  return {
    store,
    now: options.now ?? Date.now,
    version: SERVER_VERSION,
    memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
      let m = memos.get(store);
      if (!m) memos.set(store, (m = new Map()));
      let p = m.get(key) as Promise<T> | undefined;
      if (!p) {
        p = compute();
        m.set(key, p);
        // A failed computation is not cached: the next call retries.
        p.catch(() => m.get(key) === p && m.delete(key));
      }
      return p;
    },
  };
}

/**
 * Result with structured content plus the same JSON as text (the spec's advice for clients without structured
 * output). `text`, when given, must be JSON.stringify(data) made another way (lookup_cloudtrail_events splices
 * events serialised before); the HTTP transport writes the structured content from it (mcp/json-once.ts), and the
 * text content from `quoted()` (JSON.stringify(text) made another way) when given.
 */
export function structuredResult<T extends Record<string, unknown>>(data: T, text = JSON.stringify(data), quoted?: () => string): CallToolResult & { structuredContent: T } {
  knownJson(data, text, quoted);
  return { content: [{ type: 'text', text }], structuredContent: data };
}

export function errorResult(tool: string, err: unknown): CallToolResult {
  const message = err instanceof Error ? err.message : String(err);
  return { content: [{ type: 'text', text: `${tool}: ${message}` }], isError: true };
}

/** Runs a tool body and turns any failure (bad argument, store error) into an MCP error result: the server never crashes. */
export async function guarded(tool: string, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    return errorResult(tool, err);
  }
}

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Store options for one tool call: the client's cancellation stops the store's work (remote sources page
 * through many API calls, the first call builds the index), and store progress becomes MCP progress
 * notifications when the client asked for them with a progressToken, and `info` log messages (throttled)
 * when the server has logging.
 */
export function storeOptions(extra: ToolExtra | undefined, log?: ServerLog): QueryOptions {
  if (!extra) return {};
  const token = extra._meta?.progressToken;
  const logProgress = log?.progress('', extra.sendNotification);
  if (token === undefined && !logProgress) return { signal: extra.signal };
  let progress = 0; // MCP requires progress to increase; store phases may restart their own counts.
  return {
    signal: extra.signal,
    onProgress: (p) => {
      logProgress?.(p);
      if (token === undefined) return;
      progress++;
      void extra
        .sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message: describeProgress(p) } })
        .catch(() => undefined);
    },
  };
}
