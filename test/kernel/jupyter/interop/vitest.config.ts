import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:jupyter`: the kernel against the real Python Jupyter clients (jupyter_client,
 * nbclient, nbconvert from Debian's packages). Not part of `npm test`, which needs only Node;
 * .ci/run installs the packages and runs these after it.
 */
export default defineConfig({
  root: resolve(import.meta.dirname, '../../../..'),
  test: {
    include: ['test/kernel/jupyter/interop/**/*.interop.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
