import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * The connection file Jupyter writes before launching a kernel (`{connection_file}` in the
 * kernelspec's argv): where to bind the five sockets and how to sign messages.
 * https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files
 */

const Port = z.number().int().min(0).max(65535);

export const ConnectionInfo = z
  .object({
    transport: z.enum(['tcp', 'ipc']).default('tcp'),
    ip: z.string().min(1).default('127.0.0.1'),
    shell_port: Port,
    iopub_port: Port,
    stdin_port: Port,
    control_port: Port,
    hb_port: Port,
    key: z.string().default(''),
    signature_scheme: z.string().default('hmac-sha256'),
    kernel_name: z.string().optional(),
  })
  .loose();
export type ConnectionInfo = z.infer<typeof ConnectionInfo>;

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
  const parsed = ConnectionInfo.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConnectionFileError(`${path} is not a Jupyter connection file: ${issues}`);
  }
  return parsed.data;
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
