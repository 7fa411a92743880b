import { loadDataConfig } from '../../cloudtrail/config.ts';
import { parseCommandArgs, UsageError, type Command } from '../command.ts';

const usage = `Usage: trailbook serve [--host HOST] [--port PORT] [--notebook-dir DIR]

Serves the workbench (UI, notebooks API, kernels) and prints its URL, and a generated access token to paste
into the login form (never in the URL).

Options:
  --host HOST           interface to listen on (default TRAILBOOK_HOST or 127.0.0.1; 0.0.0.0 in a container)
  --port PORT           port (default TRAILBOOK_PORT or 8888; 0 picks a free port)
  --notebook-dir DIR    where notebooks are stored (default TRAILBOOK_NOTEBOOK_DIR or ./notebooks)
  --no-sample-data      do not generate the sample CloudTrail dataset on first start

Environment: TRAILBOOK_TOKEN (access token; generated and printed when unset), TRAILBOOK_SHARE_SECRET
(HMAC key for share links; generated and kept in TRAILBOOK_STATE_DIR when unset, by default
$XDG_STATE_HOME/trailbook or ~/.local/state/trailbook, with the share-link registry), TRAILBOOK_PUBLIC_URL
(origin of share links; default the request's host), TRAILBOOK_MAX_NOTEBOOK_MB (largest notebook opened; 100),
TRAILBOOK_KERNEL_IDLE_SECONDS (shut down kernels idle this long with no browser attached; default 3600),
plus the data settings (TRAILBOOK_SOURCE, TRAILBOOK_DATA_DIR, ...).`;

/** The embedded default: the sample dataset, generated on first start (shared with `mcp` and `run`). */
async function ensureSample(log: (line: string) => void): Promise<void> {
  const { ensureDefaultSampleData } = await import('../../cloudtrail/generator/index.ts');
  await ensureDefaultSampleData(loadDataConfig(), log);
}

const command: Command = {
  name: 'serve',
  summary: 'Start the workbench (UI, API and kernels)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'notebook-dir': { type: 'string' },
        'no-sample-data': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got "${values.port}"`);
    }
    const { loadWorkbenchConfig } = await import('../../workbench/config.ts');
    const { albVerifierFromEnv, cognitoSignOutFromEnv } = await import('../../workbench/identity/index.ts');
    let config;
    let identity;
    let cognitoSignOut;
    try {
      config = loadWorkbenchConfig(process.env, {
        ...(values.host ? { host: values.host } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(values['notebook-dir'] ? { notebookDir: values['notebook-dir'] } : {}),
      });
      identity = albVerifierFromEnv(process.env);
      cognitoSignOut = cognitoSignOutFromEnv(process.env);
    } catch (err) {
      console.error(`trailbook serve: ${(err as Error).message}`);
      return 2;
    }
    const log = (line: string) => console.log(`[trailbook] ${line}`);
    const { ensureUiBuild } = await import('../../workbench/build.ts');
    await Promise.all([values['no-sample-data'] ? undefined : ensureSample(log), ensureUiBuild(log)]);
    // Git (clone or pull, or the folder's own working copy) and seeding, before anything reads the notebooks.
    const { prepareNotebooks } = await import('../../workbench/git/start.ts');
    const notebooks = await prepareNotebooks(config.notebookDir, process.env, log);
    const { startWorkbench } = await import('../../workbench/server.ts');
    const workbench = await startWorkbench({ ...config, notebookDir: notebooks.notebookDir, git: notebooks.repository, identity, cognitoSignOut, log });
    // Last line of defence; every socket and stream already has its own error handler. A rejection nobody
    // awaited has already unwound: log it and keep serving the other users. An uncaught exception may have
    // left state half-changed (resuming is unsafe, say Node's docs): log it with context, then Node exits.
    process.on('unhandledRejection', (reason) => log(`unhandled rejection (still serving): ${reason instanceof Error ? reason.stack : String(reason)}`));
    process.on('uncaughtExceptionMonitor', (err, origin) => log(`fatal ${origin}, exiting: ${err.stack ?? err}`));
    log(`notebooks in ${notebooks.notebookDir}`);
    // Never a token in a URL (history, proxy logs). A generated token is printed on its own line for this
    // terminal, to paste into the login form; one from the environment never (a deployment's logs would keep it).
    if (identity) console.log(`\n  Trailbook workbench is running at ${workbench.url}/ (sign-in by the load balancer ${identity.loadBalancerArn})\n`);
    else if (config.tokenGenerated) console.log(`\n  Trailbook workbench is running at ${workbench.url}/\n\n  Sign in: paste this token into the login form:\n\n    ${config.token}\n`);
    else console.log(`\n  Trailbook workbench is running at ${workbench.url}/ (sign in with the token from TRAILBOOK_TOKEN)\n`);

    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log(`${signal}: shutting down kernels and the server`);
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        void workbench
          .close()
          .then(() => notebooks.repository?.close())
          .finally(resolve);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};
export default command;
