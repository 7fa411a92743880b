import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TYPECHECK_PENDING_NOTE } from '../../../../kernel/jupyter/kernel.ts';
import { PROJECT_ROOT } from '../client.ts';

/** Python with Debian's Jupyter clients, and a scratch Jupyter environment holding the installed kernelspec. */

export const INSTALL_HINT =
  "The Jupyter interoperability tests need Python's Jupyter clients from Debian's packages: " +
  'sudo apt-get update && sudo apt-get install -y python3-jupyter-client python3-nbclient jupyter-nbconvert';

const run = promisify(execFile);

/** The first Python that imports jupyter_client, nbclient and nbconvert (a pyenv `python3` on PATH may not). */
export async function findPython(): Promise<string> {
  const tried: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      await run(python, ['-c', 'import jupyter_client, nbclient, nbconvert']);
      return python;
    } catch (err) {
      tried.push(`${python}: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').at(-1)}`);
    }
  }
  throw new Error(`${INSTALL_HINT}\n(tried ${tried.join('; ')})`);
}

export interface JupyterEnv {
  python: string;
  /** Where `trailbook kernel install --prefix` put the kernelspec. */
  prefix: string;
  env: NodeJS.ProcessEnv;
}

/** Installs the kernelspec into a scratch prefix with the real CLI, and an environment in which Jupyter finds only it. */
export async function jupyterEnv(): Promise<JupyterEnv> {
  const python = await findPython();
  const prefix = mkdtempSync(join(tmpdir(), 'trailbook-jupyter-prefix-'));
  await run(process.execPath, [join(PROJECT_ROOT, 'cli/trailbook.js'), 'kernel', 'install', '--prefix', prefix], { timeout: 120_000 });
  const env = {
    ...process.env,
    JUPYTER_PATH: join(prefix, 'share/jupyter'),
    JUPYTER_RUNTIME_DIR: join(prefix, 'runtime'),
    JUPYTER_CONFIG_DIR: join(prefix, 'config'),
  };
  return { python, prefix, env };
}

/** Runs Python; a failure throws with its stderr. */
export async function python(j: JupyterEnv, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(j.python, args, { env: j.env, cwd: options.cwd, timeout: options.timeoutMs ?? 170_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${j.python} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}

/**
 * A fresh kernel's first checks load TypeScript, which on a loaded machine outlasts the kernel's wait
 * before idle: those cells get a note instead of their warnings (kernel/jupyter/kernel.ts). `trailbook
 * run` waits for every check, so outputs are compared without the note.
 */
export const withoutPendingNote = <T>(outputs: T[], text: (o: T) => unknown): T[] => outputs.filter((o) => text(o) !== TYPECHECK_PENDING_NOTE);
