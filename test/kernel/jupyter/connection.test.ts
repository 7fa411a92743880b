import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionFileError, endpoint, readConnectionFile } from '../../../kernel/jupyter/connection.ts';

/** The connection file as jupyter_client writes it, read without zod (kernel_info's launch budget). */

const dir = mkdtempSync(join(tmpdir(), 'trailbook-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, json: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
};
const ports = { shell_port: 5001, iopub_port: 5002, stdin_port: 5003, control_port: 5004, hb_port: 0 };

describe('readConnectionFile', () => {
  it("fills jupyter_client's defaults and keeps fields it does not know", async () => {
    const info = await readConnectionFile(file('minimal.json', { ...ports, jupyter_session: '/tmp/x.ipynb' }));
    expect(info).toEqual({ ...ports, transport: 'tcp', ip: '127.0.0.1', key: '', signature_scheme: 'hmac-sha256', jupyter_session: '/tmp/x.ipynb' });
    expect(endpoint(info, 'hb')).toBe('tcp://127.0.0.1:*');
    expect(endpoint(info, 'shell')).toBe('tcp://127.0.0.1:5001');
  });

  it('reads a full file as given', async () => {
    const full = { ...ports, transport: 'ipc', ip: '/tmp/kernel', key: 'k', signature_scheme: 'hmac-sha512', kernel_name: 'trailbook-typescript' };
    expect(await readConnectionFile(file('full.json', full))).toEqual(full);
  });

  it('names every problem of a malformed file, and the file', async () => {
    const path = file('bad.json', { ...ports, shell_port: 70000, hb_port: '1', transport: 'udp', key: 3 });
    const error = await readConnectionFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFileError);
    expect((error as Error).message).toBe(
      `${path} is not a Jupyter connection file: transport: expected "tcp" or "ipc"; key: expected a string; shell_port: expected a port number (0-65535); hb_port: expected a port number (0-65535)`,
    );
    await expect(readConnectionFile(file('array.json', [1]))).rejects.toThrow('is not a Jupyter connection file: (root): expected an object');
    await expect(readConnectionFile(file('text.json', 'not json'))).rejects.toThrow(/cannot read the connection file .*text\.json/);
  });
});
