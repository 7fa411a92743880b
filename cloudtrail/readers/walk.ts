import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

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

const byPath = (a: IgnoredPath, b: IgnoredPath) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Whether a directory below the root (path relative to it) is one whose contents are never read. */
const excludedDir = (relative: string) => relative.split(sep).some((part) => part.startsWith('.') || SKIPPED_PATH.test(part));

/**
 * Every candidate file under `dir`, sorted, in any layout (flat, `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/`,
 * or org trails `AWSLogs/o-xxxx/<acct>/...`), and every other path with why it is not read. Hidden entries are ignored.
 *
 * One synchronous recursive `readdirSync`: a promise per directory and per entry (the async walk this replaced)
 * cost 0.15-0.22 CPU-s at 15,400-22,528 files, a `readdirSync` per directory ~0.12, the recursive one ~0.04
 * (bench/load.ts, issue #14), on the critical path of every reopen. Paths are joined by hand: path.join's
 * normalising cost as much again.
 */
export function listCloudTrailFilesSync(dir: string): { files: string[]; skipped: IgnoredPath[] } {
  const files: string[] = [];
  const skipped: IgnoredPath[] = [];
  // The root normalised as join() writes it ('' for '.', else with a trailing separator): join(dir, 'x') minus 'x'.
  const rootPrefix = join(dir, 'x').slice(0, -1);
  const rootDigest = SKIPPED_PATH.test(dir);
  // Per directory (few, each holding many files): the prefix of its entries, or undefined when it is not read.
  const dirs = new Map<string, { prefix: string; root: boolean } | undefined>();
  const dirOf = (parent: string) => {
    if (dirs.has(parent)) return dirs.get(parent);
    // Node names subdirectories join(parent, name), and the root as it was given.
    const root = parent === dir;
    const info = root ? { prefix: rootPrefix, root } : excludedDir(parent.slice(rootPrefix.length)) ? undefined : { prefix: `${parent}${sep}`, root };
    dirs.set(parent, info);
    return info;
  };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const name = entry.name;
    const at = dirOf(entry.parentPath);
    if (!at || name.startsWith('.')) continue;
    const path = at.prefix + name;
    if (entry.isDirectory()) {
      if (SKIPPED_PATH.test(name)) skipped.push({ path, reason: DIGEST_OR_INSIGHT });
    } else if (!CANDIDATE.test(name)) {
      skipped.push({ path, reason: OTHER_TYPE });
    } else if (rootDigest || SKIPPED_PATH.test(name)) {
      skipped.push({ path, reason: DIGEST_OR_INSIGHT });
    } else if (at.root && METADATA_FILES.has(name)) {
      skipped.push({ path, reason: METADATA });
    } else {
      files.push(path);
    }
  }
  return { files: files.sort(), skipped: skipped.sort(byPath) };
}

/** `listCloudTrailFilesSync`, for callers that await. */
export async function listCloudTrailFiles(dir: string): Promise<{ files: string[]; skipped: IgnoredPath[] }> {
  return listCloudTrailFilesSync(dir);
}
