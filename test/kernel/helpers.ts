import { resolve } from 'node:path';
import { createKernelHost } from '../../kernel/host.ts';
import type { KernelHandle, KernelHost, KernelHostOptions, KernelStartOptions } from '../../kernel/protocol.ts';
import type { Output } from '../../notebook/format.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export { INVICTUS } from '../fixtures/cloudtrail/index.ts';

/** A host and one kernel for a test file; call `close()` in afterAll. */
export async function startKernel(hostOptions: KernelHostOptions = {}, start: KernelStartOptions = {}): Promise<{ host: KernelHost; kernel: KernelHandle; close: () => Promise<void> }> {
  const host = createKernelHost(hostOptions);
  const kernel = await host.start({ cwd: PROJECT_ROOT, ...start });
  return { host, kernel, close: () => host.shutdownAll() };
}

export const resultOf = (outputs: Output[]) => {
  const r = outputs.find((o) => o.output_type === 'execute_result');
  return r && r.output_type === 'execute_result' ? r.data : undefined;
};

export const textOf = (outputs: Output[], name: 'stdout' | 'stderr' = 'stdout') =>
  outputs
    .filter((o) => o.output_type === 'stream' && o.name === name)
    .map((o) => (o.output_type === 'stream' ? (Array.isArray(o.text) ? o.text.join('') : o.text) : ''))
    .join('');

export const errorOf = (outputs: Output[]) => {
  const e = outputs.find((o) => o.output_type === 'error');
  return e && e.output_type === 'error' ? e : undefined;
};
