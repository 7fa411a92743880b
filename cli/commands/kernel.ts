import { parseCommandArgs, UsageError, type Command } from '../command.ts';

const usage = `Usage: trailbook kernel install [--user | --prefix DIR]
       trailbook kernel uninstall [--user | --prefix DIR]
       trailbook kernel start -f CONNECTION_FILE

Makes the Trailbook TypeScript kernel available to Jupyter clients (JupyterLab, VS Code, nbconvert,
nbclient, papermill) as the kernelspec "trailbook-typescript", shown as "TypeScript (Trailbook)".

  install    write the kernelspec (and build the kernel bundles so the first launch is fast)
  uninstall  remove it
  start      run the kernel on a Jupyter connection file (what the kernelspec's argv does)

Options:
  --user        the user's Jupyter data directory (default; JUPYTER_DATA_DIR overrides it)
  --prefix DIR  DIR/share/jupyter/kernels, e.g. a virtualenv (sys.prefix) or a scratch directory
                (point JUPYTER_PATH at DIR/share/jupyter, or pass the prefix to jupyter)`;

const command: Command = {
  name: 'kernel',
  summary: 'Install the Jupyter kernelspec (TypeScript (Trailbook)) or run the kernel',
  usage,
  async run(argv) {
    const [action, ...rest] = argv;
    if (action === 'start') {
      const { main } = await import('../../kernel/jupyter/main.ts');
      // exit, not a return code: the runtime's and ZeroMQ's handles must not keep a finished kernel alive.
      process.exit(await main(rest));
    }
    if (action !== 'install' && action !== 'uninstall') throw new UsageError(action ? `unknown action "${action}"` : 'missing the action (install, uninstall or start)');
    const { values, positionals } = parseCommandArgs({
      args: rest,
      options: { user: { type: 'boolean', default: false }, prefix: { type: 'string' } },
      allowPositionals: true,
    });
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.user && values.prefix) throw new UsageError('give --user or --prefix, not both');
    const location = { prefix: values.prefix };
    const spec = await import('../../kernel/jupyter/kernelspec.ts');

    if (action === 'uninstall') {
      const dir = await spec.uninstallKernelSpec(location);
      if (!dir) {
        console.error(`trailbook kernel: no kernelspec ${spec.KERNEL_NAME} in ${spec.kernelSpecDir(location)}`);
        return 1;
      }
      console.log(`Removed the kernelspec ${spec.KERNEL_NAME} from ${dir}`);
      return 0;
    }
    const [{ jupyterBundle }, { kernelBundle }] = await Promise.all([import('../../kernel/jupyter/bundle.ts'), import('../../kernel/bundle.ts')]);
    await Promise.all([jupyterBundle(), kernelBundle()]);
    const dir = await spec.installKernelSpec(location);
    console.log(`Installed the kernelspec ${spec.KERNEL_NAME} ("${spec.kernelSpec().display_name}") in ${dir}`);
    if (values.prefix) console.log(`Jupyter finds it with JUPYTER_PATH=${values.prefix}/share/jupyter (unless ${values.prefix} is its own prefix).`);
    return 0;
  },
};
export default command;
