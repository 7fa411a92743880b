import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TYPESCRIPT_METADATA } from '../../notebook/format.ts';
import { PROJECT_ROOT } from '../bundle.ts';

/**
 * The kernelspec that lets Jupyter clients (JupyterLab, VS Code, nbconvert, nbclient, papermill)
 * start the Trailbook kernel. Its name is the one saved notebooks already carry in
 * `metadata.kernelspec.name`, so notebooks open with this kernel in both directions.
 * https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs
 */

export const KERNEL_NAME = TYPESCRIPT_METADATA.kernelspec.name;
export const LAUNCHER = join(PROJECT_ROOT, 'kernel/jupyter/launch.js');

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'message' | 'signal';
  env: Record<string, string>;
  metadata: Record<string, unknown>;
}

/**
 * `node` is this one, by absolute path: a client started from a desktop launcher (VS Code) may not
 * have the shell's PATH. After moving Node or the checkout, install again.
 */
export function kernelSpec(node = process.execPath): KernelSpec {
  return {
    argv: [node, LAUNCHER, '-f', '{connection_file}'],
    display_name: TYPESCRIPT_METADATA.kernelspec.display_name,
    language: TYPESCRIPT_METADATA.kernelspec.language,
    interrupt_mode: 'message',
    env: {},
    metadata: { debugger: false },
  };
}

export interface Location {
  /** Install under PREFIX/share/jupyter/kernels (a virtualenv or conda prefix, or a scratch directory). */
  prefix?: string;
}

/** Jupyter's per-user data directory, as jupyter_core's `jupyter_data_dir()` finds it. */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Jupyter');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'jupyter');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'jupyter');
}

/** The kernelspec directory: PREFIX/share/jupyter/kernels/NAME, or the user's. */
export function kernelSpecDir(location: Location = {}): string {
  const root = location.prefix ? join(location.prefix, 'share', 'jupyter') : userDataDir();
  return join(root, 'kernels', KERNEL_NAME);
}

export async function installKernelSpec(location: Location = {}): Promise<string> {
  const dir = kernelSpecDir(location);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'kernel.json'), `${JSON.stringify(kernelSpec(), null, 1)}\n`);
  return dir;
}

/** Removes the kernelspec; returns its directory, or undefined when there was none. */
export async function uninstallKernelSpec(location: Location = {}): Promise<string | undefined> {
  const dir = kernelSpecDir(location);
  try {
    await readFile(join(dir, 'kernel.json'));
  } catch {
    return undefined;
  }
  await rm(dir, { recursive: true, force: true });
  return dir;
}
