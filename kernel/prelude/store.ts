import type { EventStore } from '../../cloudtrail/query.ts';

let shared: Promise<EventStore> | undefined;

/**
 * The kernel's one CloudTrail store. `cloudtrail` and `predict` both need it; opening it once halves the
 * memory and load time of a kernel on the 100k-event sample. A failed open is forgotten so the next use retries.
 */
export function kernelStore(env: NodeJS.ProcessEnv): Promise<EventStore> {
  shared ??= (async () => {
    const [{ openStore, loadDataConfig }, { noticeSkipped }] = await Promise.all([import('../../cloudtrail/config.ts'), import('./cloudtrail.ts')]);
    const store = await openStore(loadDataConfig(env));
    noticeSkipped(store.skipped);
    return store;
  })().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}
