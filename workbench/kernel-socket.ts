import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Auth } from './auth.ts';
import type { HostCheck } from './http/host-check.ts';
import { AlbTokenError, personOfRequest, type AlbJwtVerifier } from './identity/index.ts';
import { ClientMessage, socketClient, type KernelSessions } from './kernels.ts';
import { CLOSE_TOO_LARGE, messageOverLimit } from './message-limit.ts';
import { checkName, type NotebookStore } from './notebooks.ts';

export interface KernelSocketDeps {
  auth: Auth;
  hosts: HostCheck;
  store: NotebookStore;
  kernels: KernelSessions;
  /** TRAILBOOK_AUTH=alb: the upgrade must carry a valid ALB token too, as every HTTP route must (a cookie alone is not enough). */
  identity?: AlbJwtVerifier;
  /** Larger messages close the connection with 1009 before they are buffered. */
  maxMessageBytes: number;
  log: (line: string) => void;
}

/**
 * The kernel WebSocket (`/api/kernels/ws?notebook=…`): checks the upgrade (Host, auth, notebook), then
 * relays one notebook's session. Whatever a client sends ends at most its own connection: every socket
 * has an error handler, and ws closes a connection that sends invalid UTF-8 (1007) or too much (1009).
 */
export function attachKernelSockets(server: Server, deps: KernelSocketDeps): WebSocketServer {
  const { auth, hosts, store, kernels, log } = deps;
  const tooLarge = messageOverLimit(deps.maxMessageBytes);

  class KernelWebSocket extends WebSocket {
    // ws closes an over-limit connection itself, with 1009 and no reason: give it one the UI can show.
    override close(code?: number, data?: string | Buffer): void {
      super.close(code, code === CLOSE_TOO_LARGE && !data ? tooLarge : data);
    }
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxMessageBytes, WebSocket: KernelWebSocket });

  const refuse = (socket: Duplex, status: number, statusText: string, { body = statusText, headers = '' } = {}): void => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n${headers}\r\n${body}\n`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Resets and half-written handshakes land here instead of ending the process.
    socket.on('error', (err) => log(`kernel socket from ${auth.clientAddress(req)}: ${err.message}`));
    handleUpgrade(req, socket, head).catch((err: Error) => {
      log(`kernel socket upgrade ${req.url}: ${err.stack ?? err}`);
      refuse(socket, 500, 'Internal Server Error');
    });
  });

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!hosts.allows(req.headers.host)) return refuse(socket, 403, 'Forbidden', { body: hosts.refusal(req.headers.host) });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    if (url.pathname !== '/api/kernels/ws') return refuse(socket, 404, 'Not Found');
    if (deps.identity) {
      try {
        await personOfRequest(deps.identity, req);
      } catch (err) {
        if (!(err instanceof AlbTokenError)) throw err;
        log(`refused kernel socket from ${auth.clientAddress(req)}: ${err.message}`);
        // As on HTTP: a key the task cannot fetch is its own problem (503), anything else is the caller's (401).
        return err.problem === 'key' ? refuse(socket, 503, 'Service Unavailable') : refuse(socket, 401, 'Unauthorized');
      }
    }
    const verdict = auth.checkUpgrade(req);
    if (!verdict.ok) {
      if (verdict.status === 429) return refuse(socket, 429, 'Too Many Requests', { headers: `Retry-After: ${verdict.retryAfter}\r\n` });
      return refuse(socket, 401, 'Unauthorized');
    }
    const name = url.searchParams.get('notebook') ?? '';
    try {
      checkName(name);
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    if (!(await store.exists(name))) return refuse(socket, 404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => attachKernelSocket(ws, name, auth.clientAddress(req)));
  }

  function attachKernelSocket(ws: WebSocket, name: string, client: string): void {
    ws.on('error', (err: Error & { code?: string }) => log(`kernel socket ${name} from ${client} closed: ${err.message}${err.code ? ` (${err.code})` : ''}`));
    const session = kernels.get(name);
    const send = socketClient(ws, undefined, (backlog) => log(`kernel socket ${name} from ${client} dropped: ${Math.round(backlog / 2 ** 20)} MB unread`));
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
