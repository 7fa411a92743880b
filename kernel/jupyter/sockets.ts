import { Publisher, Reply, Router, type Socket } from 'zeromq';
import { boundPort, endpoint, type Channel, type ConnectionInfo } from './connection.ts';

/**
 * The five ZeroMQ sockets of a Jupyter kernel: shell and control (ROUTER, requests and replies),
 * stdin (ROUTER, input requests to the client), iopub (PUB, broadcasts) and hb (REP, echoes pings).
 */

export interface KernelSockets {
  shell: Router;
  control: Router;
  stdin: Router;
  iopub: Publisher;
  /** The ports bound, which differ from the connection file's where it said 0. */
  ports: Record<Channel, number>;
  /** Sends on one socket, in call order; resolves once sent (a failure is reported, never thrown). */
  send(socket: Router | Publisher, frames: Buffer[]): Promise<void>;
  close(): void;
}

export async function bindSockets(info: ConnectionInfo, onError: (message: string) => void): Promise<KernelSockets> {
  // sendTimeout 0: these sockets never block a send (ROUTER and PUB drop rather than wait), and with
  // it zeromq.js always takes its synchronous send path instead of deferring some sends to a later tick.
  const options = { linger: 0, sendTimeout: 0 };
  const shell = new Router(options);
  const control = new Router(options);
  const stdin = new Router(options);
  const iopub = new Publisher(options);
  const hb = new Reply({ linger: 0 });
  const all: [Channel, Socket][] = [
    ['shell', shell],
    ['control', control],
    ['stdin', stdin],
    ['iopub', iopub],
    ['hb', hb],
  ];
  try {
    await Promise.all(all.map(([channel, socket]) => socket.bind(endpoint(info, channel))));
  } catch (err) {
    for (const [, socket] of all) socket.close();
    throw new Error(`cannot bind the kernel's sockets on ${info.transport}://${info.ip}: ${(err as Error).message}`);
  }
  const ports = Object.fromEntries(all.map(([channel, socket]) => [channel, info.transport === 'tcp' ? boundPort(socket.lastEndpoint) : info[`${channel}_port`]])) as Record<Channel, number>;

  // Heartbeat: echo every ping. Runs in this (front door) process, which cells never block.
  void (async () => {
    try {
      for await (const frames of hb) await hb.send(frames);
    } catch (err) {
      if (!hb.closed) onError(`heartbeat stopped: ${(err as Error).message}`);
    }
  })();

  const sent = Promise.resolve();
  return {
    shell,
    control,
    stdin,
    iopub,
    ports,
    send(socket, frames) {
      // With sendTimeout 0 zeromq.js sends (or fails) at once and is never left busy writing, so sends
      // need no queue of their own: they leave in call order.
      if (socket.closed) return sent;
      try {
        return socket.send(frames).catch((err: Error) => onError(`send failed: ${err.message}`));
      } catch (err) {
        onError(`send failed: ${(err as Error).message}`);
        return sent;
      }
    },
    close() {
      for (const [, socket] of all) socket.close();
    },
  };
}

/** Calls `onMessage` for every multipart message on a socket until it is closed. */
export async function receive(socket: Router, onMessage: (frames: Buffer[]) => void, onError: (message: string) => void): Promise<void> {
  try {
    for await (const frames of socket) onMessage(frames);
  } catch (err) {
    if (!socket.closed) onError(`receiving stopped: ${(err as Error).message}`);
  }
}
