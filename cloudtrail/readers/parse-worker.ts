import { parentPort } from 'node:worker_threads';
import { CompactBuilder, transferables } from './compact.ts';
import { columnBuffers, withColumns, type PartWithColumns } from './columns.ts';

/**
 * Worker side of the files loader: asks for batches of files, parses them into compact columns,
 * and transfers the columns back when told there is no more work.
 *
 * `capacity` comes with a thread's first batch: about how many events it will parse, to size its columns once (the
 * thread is started before the files are listed, so it is not in `workerData`).
 */
export type ToWorker = { type: 'files'; files: [number, string][]; capacity?: number } | { type: 'done' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; files: number; events: number }
  | { type: 'result'; result: PartWithColumns };

const port = parentPort!;
let builder: CompactBuilder | undefined;
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'files') {
    builder ??= new CompactBuilder(true, msg.capacity);
    let events = 0;
    for (const [index, path] of msg.files) events += builder.addFile(index, path).events;
    port.postMessage({ type: 'progress', files: msg.files.length, events } satisfies FromWorker);
  } else {
    // Sorted and laid out column by column here (one gather), in parallel with the other threads: the main thread
    // then only copies or remaps sorted runs of each column.
    const result = withColumns((builder ?? new CompactBuilder(true)).finish());
    port.postMessage({ type: 'result', result } satisfies FromWorker, [...transferables(result), ...columnBuffers(result)]);
  }
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
