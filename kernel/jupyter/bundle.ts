import { join } from 'node:path';
import { DEFAULT_CACHE_DIR, kernelBundle, PROJECT_ROOT } from '../bundle.ts';

/**
 * The Jupyter front door runs as plain `node` on a bundle too (built like the kernel child's, in
 * its own cache directory), so a Jupyter client gets kernel_info within the launch budget.
 * kernel/jupyter/launch.js reads this directory's manifest: keep the two in step.
 */
export const JUPYTER_CACHE_DIR = join(DEFAULT_CACHE_DIR, 'jupyter');
const ENTRY = join(PROJECT_ROOT, 'kernel/jupyter/main.ts');

/** Path of an up-to-date front-door bundle, building it when a bundled source changed. */
export const jupyterBundle = (): Promise<string> => kernelBundle(JUPYTER_CACHE_DIR, ENTRY);
