import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, hasDeliveryFiles } from '../../cloudtrail/generator/index.ts';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';

/**
 * The generated dataset of `events` events that measure.mts makes once into os.tmpdir()/trailbook-mcp-measure-<events>
 * (generated here when missing), opened by the files source, with a clock just after its last event so that
 * relative times (-7d) select data whatever today is.
 */
export async function openMeasureStore(events: number) {
  const dir = join(tmpdir(), `trailbook-mcp-measure-${events}`);
  if (!hasDeliveryFiles(dir)) generate({ outDir: dir, events, days: 30, seed: 42 });
  const store = await openFilesStore(dir);
  const status = await store.status();
  return { dir, store, status, now: () => (status.end ?? Date.now()) + 60_000 };
}
