/** A JSON-RPC error body, as the SDK's own examples send for HTTP-level failures (no request id known). */
export function jsonRpcError(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** Stateless Streamable HTTP has no GET stream or DELETE session: every transport answers other methods with this. */
export const POST_ONLY = 'Method not allowed: this stateless MCP endpoint accepts POST only.';
