import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ServerLog } from './logging.ts';

/** Idle servers kept for reuse; more are built when more requests than this run at once. */
const KEEP_IDLE = 16;

/**
 * Ready MCP servers for stateless HTTP. Building one (every tool, prompt and completion registered) was a
 * fifth of a small request's server time; a server connects to each request's fresh transport instead, and
 * comes back here once that transport has closed. What a request may leave on a server is cleared on the
 * way back: the log level a client set and what its initialize said about it, so the next request starts as
 * on a new server.
 */
export class ServerPool {
  private readonly idle: McpServer[] = [];

  constructor(private readonly build: () => McpServer) {}

  acquire(): McpServer {
    return this.idle.pop() ?? this.build();
  }

  /** Takes back a server whose transport has closed (the SDK refuses to connect a server still connected). */
  release(server: McpServer): void {
    if (server.isConnected()) return; // not ours to reuse: leave it to be collected
    ServerLog.of(server).reset();
    // The SDK keeps these per server from initialize and has no public way to clear them.
    const state = server.server as unknown as { _clientCapabilities?: unknown; _clientVersion?: unknown };
    state._clientCapabilities = undefined;
    state._clientVersion = undefined;
    if (this.idle.length < KEEP_IDLE) this.idle.push(server);
  }
}
