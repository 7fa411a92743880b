import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * The connection file Jupyter writes before launching a kernel (`{connection_file}` in the
 * kernelspec's argv): where to bind the five sockets and how to sign messages.
 * https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files
 */

export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
  [field: string]: unknown;
}

export const CHANNELS = ['shell', 'control', 'stdin', 'iopub', 'hb'] as const;
export type Channel = (typeof CHANNELS)[number];

export class ConnectionFileError extends Error {}

export async function readConnectionFile(path: string): Promise<ConnectionInfo> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConnectionFileError(`cannot read the connection file ${path}: ${(err as Error).message}`);
  }
  const issues: string[] = [];
  const info = parseConnectionInfo(json, issues);
  if (!info) throw new ConnectionFileError(`${path} is not a Jupyter connection file: ${issues.join('; ')}`);
  return info;
}

/**
 * Checked by hand rather than with zod: loading zod costs 100-200 ms of CPU, most of the kernel's
 * launch budget (kernel_info within 300 ms). Defaults as jupyter_client writes them; other fields kept.
 */
function parseConnectionInfo(json: unknown, issues: string[]): ConnectionInfo | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    issues.push('(root): expected an object');
    return undefined;
  }
  const given = json as Record<string, unknown>;
  const text = (field: string, fallback: string, nonEmpty = false) => {
    const v = given[field] ?? fallback;
    if (typeof v !== 'string' || (nonEmpty && v === '')) issues.push(`${field}: expected a${nonEmpty ? ' non-empty' : ''} string`);
    return v as string;
  };
  const transport = given.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'ipc') issues.push(`transport: expected "tcp" or "ipc"`);
  const info: ConnectionInfo = {
    ...given,
    transport: transport as ConnectionInfo['transport'],
    ip: text('ip', '127.0.0.1', true),
    shell_port: 0,
    iopub_port: 0,
    stdin_port: 0,
    control_port: 0,
    hb_port: 0,
    key: text('key', ''),
    signature_scheme: text('signature_scheme', 'hmac-sha256'),
  };
  for (const channel of CHANNELS) {
    const port = given[`${channel}_port`];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) issues.push(`${channel}_port: expected a port number (0-65535)`);
    else info[`${channel}_port`] = port;
  }
  if (given.kernel_name !== undefined && typeof given.kernel_name !== 'string') issues.push('kernel_name: expected a string');
  return issues.length ? undefined : info;
}

/** The address to bind a channel to; tcp port 0 asks for any free port. */
export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel}_port`];
  if (info.transport === 'ipc') {
    if (!port) throw new ConnectionFileError(`the ipc transport needs an explicit ${channel}_port (the path suffix)`);
    return `ipc://${info.ip}-${port}`;
  }
  const host = info.ip.includes(':') ? `[${info.ip}]` : info.ip;
  return `tcp://${host}:${port || '*'}`;
}

/** The port a socket ended up on, from ZeroMQ's last endpoint ("tcp://127.0.0.1:40123"). */
export function boundPort(lastEndpoint: string | null): number {
  return Number(/:(\d+)$/.exec(lastEndpoint ?? '')?.[1] ?? 0);
}

/**
 * A client that leaves ports at 0 (as ipykernel allows) learns the real ones from the file, so
 * they are written back; atomically, as the client may be polling it.
 */
export async function writeConnectionFile(path: string, info: ConnectionInfo): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info, null, 1)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
