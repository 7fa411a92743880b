import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import WebSocket from 'ws';
import { emptyNotebook, serialiseNotebook, type Output } from '../../notebook/format.ts';
import type { ServerMessage } from '../../workbench/kernels.ts';
import type { openKernelSocket } from '../workbench/helpers.ts';
import { MB, type FaultServer } from './server.ts';

/**
 * The attacks of issue #9 as functions, shared by the fault suite (test/fault/) and bench/healthcheck.ts,
 * and a /healthcheck poller to measure the server while each one runs. Every loop is bounded and every
 * request goes to the server on 127.0.0.1.
 */

/** The output flood: 1500 displays of 4.5 MB each, ~13 GB if nothing capped their total. */
export const DISPLAY_FLOOD = "for (let i = 0; i < 1500; i++) display(html('<p>' + 'q'.repeat(4_500_000) + '</p>'))";

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarise(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return { count: sorted.length, p50: at(50), p99: at(99), max: sorted.at(-1) ?? NaN };
}

export const describeSummary = (s: Summary) => `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms over ${s.count} probes`;

export interface HealthPoll {
  /** Resolves once the first probe answered, so a flood starts under observation. */
  ready: Promise<void>;
  /** Stops polling; the latency of every probe (ms) and why any failed. */
  stop(): Promise<{ latencies: number[]; failures: string[] }>;
}

/**
 * GET /healthcheck every `intervalMs` (after the previous answer) until stopped, as the ALB would, from a
 * process of its own: whatever the attacking side of this process does must not delay the probes' timers.
 * It stops by itself after `maxMs`.
 */
export function pollHealthcheck(url: string, intervalMs = 20, maxMs = 600_000): HealthPoll {
  const script = `
    const [url, interval, max] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
    const latencies = [], failures = [];
    let running = true;
    process.stdin.on('data', () => {}).on('end', () => (running = false));
    setTimeout(() => (running = false), max).unref();
    (async () => {
      while (running) {
        const started = performance.now();
        try {
          const res = await fetch(url + '/healthcheck', { signal: AbortSignal.timeout(30000) });
          await res.arrayBuffer();
          if (res.status !== 200) failures.push('status ' + res.status);
        } catch (err) {
          failures.push(String(err));
        }
        if (!latencies.length) process.stdout.write('.');
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, interval));
      }
      process.stdout.write(JSON.stringify({ latencies, failures }));
    })();`;
  const child = spawn(process.execPath, ['-e', script, url, String(intervalMs), String(maxMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    void exited.then((code) => reject(new Error(`the /healthcheck poller exited with ${code} before its first probe`)));
  });
  ready.catch(() => {}); // stop() reports a poller that died; an unawaited `ready` must not become an unhandled rejection
  return {
    ready,
    async stop() {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the /healthcheck poller exited with ${code}`);
      return JSON.parse(out.slice(1)) as { latencies: number[]; failures: string[] }; // after the ready mark
    },
  };
}

/** Samples the server's resident memory every `intervalMs`; stop() gives the peak. */
export function sampleRss(server: FaultServer, intervalMs = 25): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await server.rssBytes());
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

export const kernelSocketUrl = (server: FaultServer, notebook: string) => `${server.url.replace('http', 'ws')}/api/kernels/ws?notebook=${encodeURIComponent(notebook)}`;

/** Opens a kernel socket with the token, sends one text frame, and resolves with the close the server chose. */
export function sendFrame(server: FaultServer, notebook: string, frame: Buffer | string): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(kernelSocketUrl(server, notebook), { headers: { authorization: `token ${server.token}` } });
    ws.on('error', () => {}); // the server ends the connection: that is the point
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('open', () => ws.send(frame, { binary: false }));
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
}

/** Invalid UTF-8 (the issue's `ff fe fd`). */
export const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0xfd]);
/** A text frame just over `limit` bytes. */
export const overLimit = (limit: number) => 'x'.repeat(limit + MB / 2);

/**
 * Up to `count` connections (fewer if `deadline`, a Date.now() value, passes first), alternating an invalid UTF-8
 * frame and an over-limit one, `parallel` at a time: how many closed with each code.
 */
export async function garbageFrames(server: FaultServer, notebook: string, count: number, limit: number, { parallel = 4, deadline = Infinity } = {}): Promise<Map<number, number>> {
  const codes = new Map<number, number>();
  const big = overLimit(limit);
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      const { code } = await sendFrame(server, notebook, i % 2 ? big : INVALID_UTF8);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return codes;
}

export interface Download {
  status: number;
  bytes: number;
  ms: number;
}

/**
 * `count` concurrent GETs of `path` with the token, from a separate process as remote browsers would be:
 * receiving 6 × 90 MB here would load the process that measures /healthcheck.
 */
export async function concurrentGets(server: FaultServer, path: string, count: number): Promise<Download[]> {
  const script = `
    const { request } = require('node:http');
    const get = () => new Promise((resolve, reject) => {
      const started = performance.now();
      request(process.argv[1], { headers: { authorization: 'token ' + process.argv[2] } }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - started }));
      }).on('error', reject).end();
    });
    Promise.all(Array.from({ length: Number(process.argv[3]) }, get)).then((r) => process.stdout.write(JSON.stringify(r)));`;
  const child = spawn(process.execPath, ['-e', script, `${server.url}${path}`, server.token, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`downloads failed (${code}): ${err}`);
  return JSON.parse(out) as Download[];
}

/** A ~`mb` MB notebook the way Jupyter stores long outputs (stream text as arrays of lines); its size in bytes. */
export async function writeBigNotebook(path: string, mb: number): Promise<number> {
  const line = `${'x'.repeat(90)}\n`;
  const linesPerCell = 3000;
  const cells = Array.from({ length: Math.ceil((mb * MB) / (linesPerCell * (line.length + 8))) }, (_, i) => ({
    id: `c${i}`,
    cell_type: 'code' as const,
    source: `print(${i})\n`,
    metadata: {},
    execution_count: i + 1,
    outputs: [{ output_type: 'stream' as const, name: 'stdout' as const, text: Array.from({ length: linesPerCell }, () => line) }],
  }));
  const text = serialiseNotebook({ ...emptyNotebook(), cells });
  await writeFile(path, text);
  return Buffer.byteLength(text);
}

/** One request with a wrong token from `localAddress` (a loopback address of its own, so the throttle counts it apart). */
export function wrongToken(server: FaultServer, i: number, localAddress = '127.0.0.2'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/api/notebooks', localAddress, headers: { authorization: `token wrong-${i}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `count` wrong tokens in a row from one client: the status of each. */
export async function wrongTokenStorm(server: FaultServer, count: number, localAddress?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push(await wrongToken(server, i, localAddress));
  return statuses;
}

type KernelSocket = Awaited<ReturnType<typeof openKernelSocket>>;

/** Runs a cell over a kernel socket until its reply: the reply status, its outputs and every message meanwhile. */
export async function runCell(socket: KernelSocket, cellId: string, code: string, timeoutMs = 120_000) {
  const from = socket.messages.length;
  socket.send({ type: 'execute', cellId, code });
  const reply = (await socket.waitFor((m) => m.type === 'reply' && m.cellId === cellId && socket.messages.indexOf(m) >= from, timeoutMs)) as Extract<ServerMessage, { type: 'reply' }>;
  const messages = socket.messages.slice(from);
  const outputs: Output[] = messages.flatMap((m) => (m.type === 'output' && m.cellId === cellId ? [m.output] : []));
  return { status: reply.status, outputs, messages };
}

/** Text of the stream outputs of one stream, joined. */
export const streamText = (outputs: Output[], name: 'stdout' | 'stderr') =>
  outputs.flatMap((o) => (o.output_type === 'stream' && o.name === name ? [Array.isArray(o.text) ? o.text.join('') : o.text] : [])).join('');

/** The text/plain of a cell's result. */
export function resultText(outputs: Output[]): string | undefined {
  const result = outputs.find((o) => o.output_type === 'execute_result');
  if (result?.output_type !== 'execute_result') return undefined;
  const plain = result.data['text/plain'];
  return Array.isArray(plain) ? plain.join('') : (plain as string | undefined);
}
