import type { ClientMessage, ServerMessage } from '../kernels.ts';

/** The browser end of the kernel WebSocket; reconnects after drops (the kernel itself keeps running). */
export class KernelConnection {
  private ws?: WebSocket;
  private closed = false;
  private retry = 500;
  private pending: string[] = [];

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
    ws.onclose = () => {
      this.onConnection(false);
      if (this.closed) return;
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10_000);
    };
  }

  send(message: ClientMessage): void {
    const data = JSON.stringify(message);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(data);
    else this.pending.push(data);
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}
