/**
 * The size limit on kernel WebSocket messages, shared by the server (which closes a connection that
 * exceeds it) and the browser (which refuses to send such a cell). No imports: the UI bundle uses it.
 */

/** RFC 6455 close codes the kernel socket uses. */
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_TOO_LARGE = 1009;

/** The shell page carries the server's limit in this meta tag. */
export const MAX_MESSAGE_META = 'trailbook-max-message-bytes';

const MB = 1024 * 1024;

/** "4 MB", "4.4 MB". */
export function formatMb(bytes: number): string {
  const tenths = Math.round((bytes / MB) * 10) / 10;
  return `${Number.isInteger(tenths) ? tenths.toFixed(0) : tenths.toFixed(1)} MB`;
}

/** What the browser shows in a cell it did not send; a size just over the limit never reads as equal to it. */
export function cellTooLarge(bytes: number, limit: number): string {
  const [size, max] = [formatMb(bytes), formatMb(limit)];
  return `cell too large: ${size === max ? `just over ${max}` : size}, limit ${max}`;
}

/** The server's close reason (at most 123 bytes): the socket layer stops reading before it knows the full size. */
export function messageOverLimit(limit: number): string {
  return `message too large: over the ${formatMb(limit)} limit (TRAILBOOK_MAX_MESSAGE_MB)`;
}

/** UTF-8 size of a message as it goes on the wire. */
export function wireBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
