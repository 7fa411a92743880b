import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Auth } from './auth.ts';
import { ClientMessage, type KernelSessions, type ServerMessage } from './kernels.ts';
import { checkName, type NotebookStore } from './notebooks.ts';

/** The kernel WebSocket (`/api/kernels/ws?notebook=…`): authenticates the upgrade, then relays one notebook's session. */
export function attachKernelSockets(server: Server, deps: { auth: Auth; store: NotebookStore; kernels: KernelSessions }): WebSocketServer {
  const { auth, store, kernels } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void handleUpgrade(req, socket, head);
  });
  const refuse = (socket: Duplex, status: number, reason: string) => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`);
  };

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/kernels/ws') return refuse(socket, 404, 'Not Found');
    if (!auth.checkUpgrade(req)) return refuse(socket, 401, 'Unauthorized');
    const name = url.searchParams.get('notebook') ?? '';
    try {
      checkName(name);
      if (!(await store.exists(name))) return refuse(socket, 404, 'Not Found');
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    wss.handleUpgrade(req, socket, head, (ws) => attachKernelSocket(ws, name));
  }

  function attachKernelSocket(ws: WebSocket, name: string): void {
    const session = kernels.get(name);
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const detach = session.attach(send);
    let alive = true;
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 30_000);
    ws.on('pong', () => (alive = true));
    ws.on('message', (data) => {
      let message: ClientMessage;
      try {
        message = ClientMessage.parse(JSON.parse(String(data)));
      } catch (err) {
        send({ type: 'error', message: `bad kernel message: ${(err as Error).message.slice(0, 200)}` });
        return;
      }
      session.handle(message).catch((err: Error) => send({ type: 'error', message: err.message }));
    });
    ws.on('close', () => {
      clearInterval(ping);
      detach();
    });
  }

  return wss;
}
