import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LoggingLevelSchema, SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { ProgressReport } from '../cloudtrail/query.ts';

export const LOGGER = 'trailbook';
const severity = (level: LoggingLevel) => LoggingLevelSchema.options.indexOf(level);

/** How often progress of one piece of work becomes a log message (the first and last reports always do). */
export const PROGRESS_LOG_INTERVAL_MS = 1000;

export const describeProgress = (p: ProgressReport): string =>
  `${p.phase} ${p.total === undefined ? `${p.done}` : `${p.done}/${p.total}`}${p.detail ? `: ${p.detail}` : ''}`;

/**
 * MCP logging for one server: `logging/setLevel` sets the lowest level sent (until then, everything is).
 * Over stateless HTTP a level holds for the request that set it only (mcp/server-pool.ts resets it);
 * stdio keeps it for the connection.
 */
export class ServerLog {
  private static readonly logs = new WeakMap<McpServer, ServerLog>();
  private level: LoggingLevel | undefined;

  /** The log of a server built by createCloudTrailMcpServer. */
  static of(server: McpServer): ServerLog {
    const log = ServerLog.logs.get(server);
    if (!log) throw new Error('this MCP server has no Trailbook log: build it with createCloudTrailMcpServer');
    return log;
  }

  constructor(private readonly server: McpServer) {
    ServerLog.logs.set(server, this);
    server.server.setRequestHandler(SetLevelRequestSchema, (request) => {
      this.level = request.params.level;
      return {};
    });
  }

  /** Back to sending everything, as a new server does (a pooled server starts each request so). */
  reset(): void {
    this.level = undefined;
  }

  enabled(level: LoggingLevel): boolean {
    return this.level === undefined || severity(level) >= severity(this.level);
  }

  /**
   * Sends a log message. With `send` (a request's own sendNotification) it rides on that request's response,
   * the only channel a stateless HTTP request has; without, it goes out on the connection (stdio).
   */
  log(level: LoggingLevel, data: string, send?: (n: { method: 'notifications/message'; params: { level: LoggingLevel; logger: string; data: string } }) => Promise<void>): void {
    if (!this.enabled(level)) return;
    const params = { level, logger: LOGGER, data };
    const sent = send ? send({ method: 'notifications/message', params }) : this.server.server.notification({ method: 'notifications/message', params });
    void sent.catch(() => undefined); // a client that went away does not fail the work
  }

  /** Progress reports as `info` messages: the first of each phase, then at most one per interval. */
  progress(prefix: string, send?: Parameters<ServerLog['log']>[2]): (p: ProgressReport) => void {
    let phase = '';
    let last = 0;
    return (p) => {
      const now = performance.now();
      const finished = p.total !== undefined && p.done >= p.total;
      if (p.phase === phase && !finished && now - last < PROGRESS_LOG_INTERVAL_MS) return;
      phase = p.phase;
      last = now;
      this.log('info', `${prefix}${describeProgress(p)}`, send);
    };
  }
}
