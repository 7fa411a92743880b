import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { installKernelSpec, KERNEL_NAME, kernelSpecDir, LAUNCHER, uninstallKernelSpec, userDataDir } from '../../../kernel/jupyter/kernelspec.ts';
import { JupyterClient, PROJECT_ROOT } from './client.ts';

const scratch = mkdtempSync(join(tmpdir(), 'trailbook-kernelspec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('kernelspec', () => {
  it('is named as the saved notebooks name their kernel, so they open with it', () => {
    const dir = join(PROJECT_ROOT, 'notebooks');
    const names = readdirSync(dir).filter((f) => f.endsWith('.ipynb')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).metadata.kernelspec.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set([KERNEL_NAME]));
    expect(KERNEL_NAME).toBe('trailbook-typescript');
  });

  it('installs under PREFIX/share/jupyter/kernels and uninstalls', async () => {
    const prefix = join(scratch, 'prefix');
    const dir = await installKernelSpec({ prefix });
    expect(dir).toBe(join(prefix, 'share/jupyter/kernels/trailbook-typescript'));
    expect(JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'))).toEqual({
      argv: [process.execPath, LAUNCHER, '-f', '{connection_file}'],
      display_name: 'TypeScript (Trailbook)',
      language: 'typescript',
      interrupt_mode: 'message',
      env: {},
      metadata: { debugger: false },
    });
    expect(await uninstallKernelSpec({ prefix })).toBe(dir);
    expect(await uninstallKernelSpec({ prefix })).toBeUndefined();
  });

  it("finds the user's Jupyter data directory as jupyter_core does", () => {
    expect(userDataDir({ JUPYTER_DATA_DIR: '/x/jup' }, 'linux')).toBe('/x/jup');
    expect(userDataDir({ XDG_DATA_HOME: '/x/data' }, 'linux')).toBe('/x/data/jupyter');
    expect(userDataDir({}, 'darwin')).toMatch(/Library\/Jupyter$/);
    expect(kernelSpecDir()).toBe(join(userDataDir(), 'kernels', 'trailbook-typescript'));
  });

  it('trailbook kernel install/uninstall --prefix, and refuses --user with --prefix', async () => {
    const prefix = join(scratch, 'cli');
    expect(await main(['kernel', 'install', '--prefix', prefix])).toBe(0);
    expect(JSON.parse(readFileSync(join(prefix, 'share/jupyter/kernels/trailbook-typescript/kernel.json'), 'utf8')).display_name).toBe('TypeScript (Trailbook)');
    expect(await main(['kernel', 'uninstall', '--prefix', prefix])).toBe(0);
    expect(await main(['kernel', 'uninstall', '--prefix', prefix])).toBe(1);
    expect(await main(['kernel', 'install', '--user', '--prefix', prefix])).toBe(2);
    expect(await main(['kernel', 'frobnicate'])).toBe(2);
  }, 120_000);
});

describe('kernel launch', () => {
  it('binds free ports when the connection file says 0 and writes them back', async () => {
    const client = await JupyterClient.launch({ kernelPicksPorts: true });
    try {
      const info = await client.ready();
      expect(info.content.status).toBe('ok');
      for (const channel of ['shell', 'iopub', 'stdin', 'control', 'hb']) expect(client.connection[`${channel}_port`]).toBeGreaterThan(0);
      expect(await client.heartbeat()).toBe('ping');
    } finally {
      await client.close();
    }
  }, 120_000);

  it('exits with a message naming a bad connection file', async () => {
    const client = await JupyterClient.launch({ argv: [process.execPath, LAUNCHER, '-f', join(scratch, 'missing.json')] });
    try {
      expect(await client.exited).toBe(1);
      expect(client.stderr).toContain(`cannot read the connection file ${join(scratch, 'missing.json')}`);
    } finally {
      await client.close();
    }
  }, 60_000);
});
