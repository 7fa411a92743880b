import type { ClientMessage, ServerMessage } from '../kernels.ts';
import { CLOSE_INVALID_PAYLOAD, CLOSE_TOO_LARGE, cellTooLarge, MAX_MESSAGE_META, wireBytes } from '../message-limit.ts';

/** The server's kernel message limit, from the shell page; none when absent (the server still enforces it). */
function messageLimit(): number {
  const value = Number(document.querySelector<HTMLMetaElement>(`meta[name="${MAX_MESSAGE_META}"]`)?.content);
  return Number.isFinite(value) && value > 0 ? value : Infinity;
}

/**
 * An execute the server would refuse for its size, answered here as the server would answer a failed
 * cell: an error output naming the size and the limit, then an error reply. Undefined when it may be sent.
 */
export function refuseOversized(message: ClientMessage, bytes: number, limit: number): ServerMessage[] | undefined {
  if (message.type !== 'execute' || bytes <= limit) return undefined;
  const text = cellTooLarge(bytes, limit);
  return [
    { type: 'output', cellId: message.cellId, output: { output_type: 'error', ename: 'CellTooLarge', evalue: `${text} (the server's TRAILBOOK_MAX_MESSAGE_MB)`, traceback: [] } },
    { type: 'reply', cellId: message.cellId, status: 'error', executionCount: null, durationMs: 0 },
  ];
}

/** What to tell the user when the server closed the connection on purpose; undefined for ordinary drops. */
export function closeNotice(code: number, reason: string): string | undefined {
  if (code === CLOSE_TOO_LARGE) return `The kernel connection was closed: ${reason || 'a message was over the size limit'}. Reconnecting…`;
  if (code === CLOSE_INVALID_PAYLOAD) return `The kernel connection was closed: ${reason || 'the server received invalid data'}. Reconnecting…`;
  return undefined;
}

/** The browser end of the kernel WebSocket; reconnects after drops (the kernel itself keeps running). */
export class KernelConnection {
  private ws?: WebSocket;
  private closed = false;
  private retry = 500;
  private pending: string[] = [];
  private readonly limit = messageLimit();

  constructor(
    private readonly notebook: string,
    private readonly onMessage: (message: ServerMessage) => void,
    private readonly onConnection: (connected: boolean) => void,
  ) {
    this.connect();
  }

  private connect(): void {
    const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${protocol}//${location.host}/api/kernels/ws?notebook=${encodeURIComponent(this.notebook)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 500;
      this.onConnection(true);
      for (const message of this.pending.splice(0)) ws.send(message);
    };
    ws.onmessage = (event) => this.onMessage(JSON.parse(String(event.data)) as ServerMessage);
    ws.onclose = (event) => {
      this.onConnection(false);
      if (this.closed) return;
      const notice = closeNotice(event.code, event.reason);
      if (notice) this.onMessage({ type: 'error', message: notice });
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10_000);
    };
  }

  send(message: ClientMessage): void {
    const data = JSON.stringify(message);
    const refused = refuseOversized(message, wireBytes(data), this.limit);
    if (refused) {
      for (const reply of refused) this.onMessage(reply);
      return;
    }
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(data);
    else this.pending.push(data);
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
