import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** File names that may hold CloudTrail. */
const CANDIDATE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
/** Digest and Insight deliveries live beside the logs but are not events. */
const SKIPPED_PATH = /CloudTrail-Digest|CloudTrail-Insight/;
/** Written by the sample-data generator beside the data; not CloudTrail. */
const METADATA_FILES = new Set(['truth.json']);

/**
 * Every candidate file under `dir`, sorted, in any layout (flat, `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/`,
 * or org trails `AWSLogs/o-xxxx/<acct>/...`). Hidden entries are ignored.
 */
export async function listCloudTrailFiles(dir: string): Promise<{ files: string[]; skipped: string[] }> {
  const files: string[] = [];
  const skipped: string[] = [];
  const visit = async (d: string, root: boolean): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.name.startsWith('.')) return;
        const path = join(d, entry.name);
        if (entry.isDirectory()) {
          if (SKIPPED_PATH.test(entry.name)) skipped.push(path);
          else await visit(path, false);
        } else if (CANDIDATE.test(entry.name)) {
          if (SKIPPED_PATH.test(path) || (root && METADATA_FILES.has(entry.name))) skipped.push(path);
          else files.push(path);
        }
      }),
    );
  };
  await visit(dir, true);
  return { files: files.sort(), skipped: skipped.sort() };
}
