import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Dealer, Request, Subscriber } from 'zeromq';

/**
 * A Jupyter client written from the messaging specification (5.3), independently of the kernel's
 * own codec so a mistake there cannot cancel out here: it writes a connection file, launches the
 * kernel as a kernelspec would, connects DEALER/SUB/REQ sockets and signs with HMAC-SHA256.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */

export const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');
export const LAUNCHER = join(PROJECT_ROOT, 'kernel/jupyter/launch.js');

export interface Msg {
  header: { msg_id: string; msg_type: string; session: string; date: string; version: string; username: string };
  parent_header: { msg_id?: string; msg_type?: string };
  metadata: Record<string, unknown>;
  content: Record<string, any>;
  signature: string;
}

type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

export interface LaunchOptions {
  key?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** The kernelspec argv, `{connection_file}` replaced (default: node kernel/jupyter/launch.js -f …). */
  argv?: string[];
  /** How soon a socket retries a kernel that is not listening yet (ZeroMQ's default, like jupyter_client's, is 100 ms). */
  reconnectIntervalMs?: number;
  /** Leave the ports at 0 for the kernel to choose and write back (as ipykernel allows). */
  kernelPicksPorts?: boolean;
}

/** Free TCP ports, found the way jupyter_client finds them (bind to 0, read, release). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((ok) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => ok(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

export class JupyterClient {
  readonly session = randomUUID();
  readonly received: Record<Channel, Msg[]> = { shell: [], control: [], stdin: [], iopub: [] };
  private readonly waiters = new Set<() => void>();
  private readonly sockets: { shell: Dealer; control: Dealer; stdin: Dealer; iopub: Subscriber; hb: Request };
  stderr = '';
  exited: Promise<number | null>;
  /** Resolves once the sockets are connected (at once, unless the kernel picks the ports). */
  connected: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly connectionFile: string,
    public connection: Record<string, any>,
    readonly process: ChildProcess,
    private readonly options: LaunchOptions,
  ) {
    const common = { linger: 0, ...(options.reconnectIntervalMs ? { reconnectInterval: options.reconnectIntervalMs } : {}) };
    this.sockets = { shell: new Dealer(common), control: new Dealer(common), stdin: new Dealer(common), iopub: new Subscriber(common), hb: new Request({ ...common, receiveTimeout: 2000 }) };
    this.exited = new Promise((ok) => process.once('exit', (code) => ok(code)));
    process.stderr?.setEncoding('utf8');
    process.stderr?.on('data', (d: string) => (this.stderr += d));
  }

  /** Launches a kernel (as `argv` of the kernelspec would) and connects; `ready()` waits until it answers. */
  static async launch(options: LaunchOptions = {}): Promise<JupyterClient> {
    const dir = mkdtempSync(join(tmpdir(), 'trailbook-jupyter-'));
    const [shell, iopub, stdin, control, hb] = options.kernelPicksPorts ? [0, 0, 0, 0, 0] : await freePorts(5);
    const connection = { transport: 'tcp', ip: '127.0.0.1', shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, key: options.key ?? randomUUID(), signature_scheme: 'hmac-sha256', kernel_name: 'trailbook-typescript' };
    const file = join(dir, 'kernel.json');
    writeFileSync(file, JSON.stringify(connection));
    return JupyterClient.spawn(dir, file, connection, options);
  }

  /** Waits until the kernel wrote its ports into the connection file, then connects to them. */
  private async connectWhenPortsWritten() {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      try {
        const written = JSON.parse(readFileSync(this.connectionFile, 'utf8'));
        if (written.shell_port) {
          this.connection = written;
          return this.connect();
        }
      } catch {
        // being written
      }
      if (this.process.exitCode !== null) break;
    }
    throw new Error(`the kernel did not write its ports to ${this.connectionFile}:\n${this.stderr}`);
  }

  private static spawn(dir: string, file: string, connection: Record<string, any>, options: LaunchOptions): JupyterClient {
    const argv = options.argv ?? [process.execPath, LAUNCHER, '-f', '{connection_file}'];
    const child = spawn(argv[0]!, argv.slice(1).map((a) => a.replace('{connection_file}', file)), {
      cwd: options.cwd ?? PROJECT_ROOT,
      // As jupyter_client does: the kernel ends itself if this process goes away without shutting it down.
      env: { ...process.env, JPY_PARENT_PID: String(process.pid), ...options.env },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    const client = new JupyterClient(dir, file, connection, child, options);
    client.connected = options.kernelPicksPorts ? client.connectWhenPortsWritten() : Promise.resolve(client.connect());
    return client;
  }

  /** What jupyter_client does to restart: the old process is gone, a new one gets the same connection file. */
  async relaunch(): Promise<JupyterClient> {
    for (const s of Object.values(this.sockets)) s.close();
    await this.exited;
    return JupyterClient.spawn(this.dir, this.connectionFile, this.connection, this.options);
  }

  private connect() {
    const url = (port: number) => `tcp://127.0.0.1:${port}`;
    const { shell, control, stdin, iopub, hb } = this.sockets;
    shell.connect(url(this.connection.shell_port));
    control.connect(url(this.connection.control_port));
    stdin.connect(url(this.connection.stdin_port));
    iopub.connect(url(this.connection.iopub_port));
    iopub.subscribe();
    hb.connect(url(this.connection.hb_port));
    for (const channel of ['shell', 'control', 'stdin', 'iopub'] as const) void this.listen(channel);
  }

  private async listen(channel: Channel) {
    try {
      for await (const frames of this.sockets[channel]) {
        this.received[channel].push(this.parse(frames));
        for (const w of this.waiters) w();
      }
    } catch {
      // socket closed
    }
  }

  sign(frames: Buffer[]): string {
    const hmac = createHmac('sha256', this.connection.key);
    for (const f of frames) hmac.update(f);
    return hmac.digest('hex');
  }

  private parse(frames: Buffer[]): Msg {
    const at = frames.findIndex((f) => f.toString() === '<IDS|MSG>');
    const signature = frames[at + 1]!.toString();
    const body = frames.slice(at + 2, at + 6);
    if (signature !== this.sign(body)) throw new Error(`the kernel sent a badly signed message: ${body[0]}`);
    const [header, parent_header, metadata, content] = body.map((f) => JSON.parse(f.toString()));
    return { header, parent_header, metadata, content, signature };
  }

  /** Frames of a request as the specification lays them out (the DEALER adds no identity of its own). */
  frames(msgType: string, content: Record<string, unknown>, sign = true, metadata: Record<string, unknown> = {}): { id: string; frames: Buffer[] } {
    const id = randomUUID();
    const header = { msg_id: id, msg_type: msgType, session: this.session, username: 'test', date: new Date().toISOString(), version: '5.3' };
    const body = [header, {}, metadata, content].map((x) => Buffer.from(JSON.stringify(x)));
    return { id, frames: [Buffer.from('<IDS|MSG>'), Buffer.from(sign ? this.sign(body) : 'f'.repeat(64)), ...body] };
  }

  async send(channel: 'shell' | 'control' | 'stdin', msgType: string, content: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Promise<string> {
    const { id, frames } = this.frames(msgType, content, true, metadata);
    await this.sockets[channel].send(frames);
    return id;
  }

  async sendFrames(channel: 'shell' | 'control', frames: Buffer[]) {
    await this.sockets[channel].send(frames);
  }

  /** Resolves with the first received message on `channel` matching `predicate`. */
  waitFor(channel: Channel, predicate: (m: Msg) => boolean, timeoutMs = 60_000): Promise<Msg> {
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const found = this.received[channel].find(predicate);
        if (!found) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolvePromise(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching ${channel} message within ${timeoutMs} ms; kernel stderr:\n${this.stderr}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  reply(channel: Channel, id: string, timeoutMs?: number) {
    return this.waitFor(channel, (m) => m.parent_header.msg_id === id && m.header.msg_type.endsWith('_reply'), timeoutMs);
  }

  /** The iopub messages caused by a request, once its `idle` status arrived (status messages left out). */
  async iopubFor(id: string, timeoutMs?: number): Promise<Msg[]> {
    await this.waitFor('iopub', (m) => m.parent_header.msg_id === id && m.header.msg_type === 'status' && m.content.execution_state === 'idle', timeoutMs);
    return this.received.iopub.filter((m) => m.parent_header.msg_id === id && m.header.msg_type !== 'status');
  }

  /** A request and its reply on shell (or control). */
  async request(channel: 'shell' | 'control', msgType: string, content: Record<string, unknown> = {}, timeoutMs?: number): Promise<Msg> {
    return this.reply(channel, await this.send(channel, msgType, content), timeoutMs);
  }

  /** Runs code; resolves with the reply and the iopub messages it caused, after idle (and the request's id). */
  async execute(code: string, extra: Record<string, unknown> = {}, timeoutMs?: number, metadata: Record<string, unknown> = {}): Promise<{ id: string; reply: Msg; iopub: Msg[] }> {
    const id = await this.send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...extra }, metadata);
    const [reply, iopub] = await Promise.all([this.reply('shell', id, timeoutMs), this.iopubFor(id, timeoutMs)]);
    return { id, reply, iopub };
  }

  /**
   * Runs a cell with a type error and waits for its warning, which comes once TypeScript has loaded
   * (seconds): until then a cell's type check may outlast the wait before its idle, and the cell gets a
   * "still running" note among its outputs. Tests that compare a cell's exact outputs call this first.
   */
  async warmTypecheck(timeoutMs = 120_000): Promise<void> {
    const id = await this.send('shell', 'execute_request', { code: 'void (1 as string)', silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false });
    await this.waitFor('iopub', (m) => m.parent_header.msg_id === id && m.header.msg_type === 'display_data' && m.content.metadata?.trailbook?.typeWarnings !== undefined, timeoutMs);
    await this.iopubFor(id, timeoutMs);
  }

  /**
   * Sends kernel_info until both its reply and an iopub status for it arrive, as jupyter_client does:
   * a SUB socket misses what was published before its subscription reached the kernel.
   */
  async ready(timeoutMs = 30_000): Promise<Msg> {
    await this.connected;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const id = await this.send('shell', 'kernel_info_request');
      try {
        const reply = await this.reply('shell', id, 1000);
        await this.waitFor('iopub', (m) => m.parent_header.msg_id === id && m.header.msg_type === 'status', 500);
        return reply;
      } catch {
        if (this.process.exitCode !== null) throw new Error(`the kernel exited with ${this.process.exitCode}:\n${this.stderr}`);
      }
    }
    throw new Error(`the kernel did not answer kernel_info within ${timeoutMs} ms:\n${this.stderr}`);
  }

  async heartbeat(payload = 'ping'): Promise<string> {
    await this.sockets.hb.send(payload);
    const [echo] = await this.sockets.hb.receive();
    return echo!.toString();
  }

  /** Closes the sockets and ends the kernel if it is still running. */
  async close() {
    for (const s of Object.values(this.sockets)) s.close();
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The nbformat-like output of an iopub message, for comparing with the workbench's outputs. */
export const outputsOf = (iopub: Msg[]) => iopub.filter((m) => ['stream', 'display_data', 'execute_result', 'error'].includes(m.header.msg_type));
