import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createKernelHost } from '../host.ts';
import { jupyterBundle } from './bundle.ts';
import { CHANNELS, readConnectionFile, writeConnectionFile } from './connection.ts';
import { JupyterKernel } from './kernel.ts';

/**
 * The Jupyter kernel process (what a kernelspec launches): reads the connection file, binds the
 * sockets, starts the runtime (kernel/host.ts, the same child process the workbench runs) and
 * serves until a client asks it to shut down, its parent goes away or it gets SIGTERM.
 * SIGINT interrupts the running cell, for clients that interrupt by signal.
 */

export const USAGE = 'Usage: trailbook kernel start -f CONNECTION_FILE';
/** How often to check that the process that launched the kernel (JPY_PARENT_PID) is still there. */
const PARENT_POLL_MS = 2000;

const log = (line: string) => process.stderr.write(`[trailbook kernel] ${line}\n`);

/**
 * The embedded default, as `serve`, `run` and `mcp` do: with the default data settings the sample
 * dataset is generated on first use. Before the runtime starts, so kernel_info is not held up.
 * A configuration error is left for the first cell that reads data to report.
 */
async function ensureSampleData() {
  try {
    const [{ loadDataConfig }, { ensureDefaultSampleData }] = await Promise.all([import('../../cloudtrail/config.ts'), import('../../cloudtrail/generator/index.ts')]);
    await ensureDefaultSampleData(loadDataConfig(), log);
  } catch (err) {
    log(`sample data: ${(err as Error).message}`);
  }
}

/**
 * `runningBundle`: the bundle file this code was loaded from (launch.js); when the sources changed
 * since it was built, the rebuilt one takes over.
 */
export async function main(argv: string[], runningBundle?: string): Promise<number> {
  if (runningBundle) {
    const current = await jupyterBundle().catch(() => runningBundle);
    if (current !== runningBundle) return ((await import(pathToFileURL(current).href)) as typeof import('./main.ts')).main(argv, current);
  }
  let file: string | undefined;
  try {
    file = parseArgs({ args: argv, options: { 'connection-file': { type: 'string', short: 'f' } } }).values['connection-file'];
  } catch (err) {
    log(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!file) {
    log(`missing the connection file\n${USAGE}`);
    return 2;
  }

  const connection = await readConnectionFile(file);
  const cwd = process.cwd();
  const host = createKernelHost();
  const kernel = await JupyterKernel.start({
    connection,
    cwd,
    log,
    startRuntime: async () => {
      await ensureSampleData();
      return host.start({ name: connection.kernel_name ?? 'jupyter', cwd });
    },
    preludeTypes: async () => (await import('../prelude/index.ts')).generatePreludeTypes(),
  });
  if (CHANNELS.some((c) => connection[`${c}_port`] === 0)) {
    await writeConnectionFile(file, { ...connection, ...Object.fromEntries(CHANNELS.map((c) => [`${c}_port`, kernel.ports[c]])) });
  }

  let stop!: () => void;
  const stopped = new Promise<{ restart: boolean }>((resolve) => (stop = () => resolve({ restart: false })));
  process.on('SIGINT', () => void kernel.interrupt());
  process.on('SIGTERM', stop);
  const parent = Number(process.env.JPY_PARENT_PID);
  if (parent > 1) {
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        log(`parent process ${parent} is gone: shutting down`);
        stop();
      }
    }, PARENT_POLL_MS).unref();
  }

  await Promise.race([kernel.done, stopped]);
  await kernel.close();
  await host.shutdownAll();
  return 0;
}
