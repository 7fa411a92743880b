import { parentPort } from 'node:worker_threads';
import { runJob, type WorkerJob } from './notebook-codec.ts';

/** The notebook worker thread: runs codec jobs one at a time, handing result buffers back without copying. */

parentPort!.on('message', async ({ id, job }: { id: number; job: WorkerJob }) => {
  try {
    const result = await runJob(job);
    const transfer = 'payload' in result && result.payload ? [result.payload.buffer] : 'bytes' in result ? [result.bytes.buffer] : [];
    parentPort!.postMessage({ id, result }, transfer as ArrayBuffer[]);
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message ?? String(err) });
  }
});
parentPort!.postMessage({ ready: true });
