import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** File names that may hold CloudTrail. */
const CANDIDATE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
/** Digest and Insight deliveries live beside the logs but are not events. */
const SKIPPED_PATH = /CloudTrail-Digest|CloudTrail-Insight/;
/** Written by the sample-data generator beside the data; not CloudTrail. */
const METADATA_FILES = new Set(['truth.json']);

/** A path deliberately not read, and why (counted in the store's status, never dropped silently). */
export interface IgnoredPath {
  path: string;
  reason: string;
}

const DIGEST_OR_INSIGHT = 'CloudTrail digest or Insight delivery (no events)';
const METADATA = 'sample-data generator metadata (no events)';
const OTHER_TYPE = 'not a .json, .jsonl or .ndjson file (optionally .gz)';

/**
 * Every candidate file under `dir`, sorted, in any layout (flat, `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/`,
 * or org trails `AWSLogs/o-xxxx/<acct>/...`), and every other path with why it is not read. Hidden entries are ignored.
 */
export async function listCloudTrailFiles(dir: string): Promise<{ files: string[]; skipped: IgnoredPath[] }> {
  const files: string[] = [];
  const skipped: IgnoredPath[] = [];
  const visit = async (d: string, root: boolean): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        if (entry.name.startsWith('.')) return;
        const path = join(d, entry.name);
        if (entry.isDirectory()) {
          if (SKIPPED_PATH.test(entry.name)) skipped.push({ path, reason: DIGEST_OR_INSIGHT });
          else await visit(path, false);
        } else if (!CANDIDATE.test(entry.name)) {
          skipped.push({ path, reason: OTHER_TYPE });
        } else if (SKIPPED_PATH.test(path)) {
          skipped.push({ path, reason: DIGEST_OR_INSIGHT });
        } else if (root && METADATA_FILES.has(entry.name)) {
          skipped.push({ path, reason: METADATA });
        } else {
          files.push(path);
        }
      }),
    );
  };
  await visit(dir, true);
  return { files: files.sort(), skipped: skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}
