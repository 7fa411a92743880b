import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rm, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  const sorter = new Sorter(dir);
  // Per directory (few, each holding many files): the prefix of its entries, or undefined when it is not read.
  const dirs = new Map<string, Directory | undefined>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const parent = entry.parentPath;
    let at = dirs.get(parent);
    // Node names subdirectories join(parent, name), and the root as it was given.
    if (at === undefined && !dirs.has(parent)) dirs.set(parent, (at = parent === dir ? sorter.root : sorter.below(parent.slice(sorter.rootPrefix.length))));
    if (at) sorter.add(at, entry.name, entry.isDirectory());
  }
  return sorter.done();
}

/** A directory whose entries are read: the prefix of their paths, and whether it is the root. */
interface Directory {
  prefix: string;
  root: boolean;
}

/** Sorts the entries of one walk into candidate files and paths not read, with why (shared by both walks). */
class Sorter {
  readonly files: string[] = [];
  readonly skipped: IgnoredPath[] = [];
  /** The root normalised as join() writes it ('' for '.', else with a trailing separator): join(dir, 'x') minus 'x'. */
  readonly rootPrefix: string;
  readonly root: Directory;
  private readonly rootDigest: boolean;

  constructor(dir: string) {
    this.rootPrefix = join(dir, 'x').slice(0, -1);
    this.root = { prefix: this.rootPrefix, root: true };
    this.rootDigest = SKIPPED_PATH.test(dir);
  }

  /** The directory at this path relative to the root, or undefined when its contents are never read. */
  below(relative: string): Directory | undefined {
    return excludedDir(relative) ? undefined : { prefix: `${this.rootPrefix}${relative}${sep}`, root: false };
  }

  /** Returns the entry's path when it is a candidate file. */
  add(at: Directory, name: string, isDirectory: boolean): string | undefined {
    if (name.startsWith('.')) return undefined;
    const path = at.prefix + name;
    if (isDirectory) {
      if (SKIPPED_PATH.test(name)) this.skipped.push({ path, reason: DIGEST_OR_INSIGHT });
    } else if (!CANDIDATE.test(name)) {
      this.skipped.push({ path, reason: OTHER_TYPE });
    } else if (this.rootDigest || SKIPPED_PATH.test(name)) {
      this.skipped.push({ path, reason: DIGEST_OR_INSIGHT });
    } else if (at.root && METADATA_FILES.has(name)) {
      this.skipped.push({ path, reason: METADATA });
    } else {
      this.files.push(path);
      return path;
    }
    return undefined;
  }

  done(): { files: string[]; skipped: IgnoredPath[] } {
    return { files: this.files.sort(), skipped: this.skipped.sort(byPath) };
  }
}

/** A walk with each candidate file's size and modification time. */
export interface StatedListing {
  files: string[];
  skipped: IgnoredPath[];
  /** Per file of `files`: size and `mtimeMs`, as `statSync` gives them (signature.ts digests these). */
  stats: Float64Array;
}

/**
 * The listing of `listCloudTrailFilesSync` with every candidate file's size and modification time, from one `find`
 * process: it lists and stats 22,528 files in ~0.1 CPU-s of C, against ~0.1-0.2 CPU-s for the recursive
 * `readdirSync` and ~0.3 for 22,528 `statSync` calls on the thread that also loads DuckDB (issue #14, org shape),
 * and on another core, so it runs while this thread does that. Undefined where `find` cannot be run, lacks
 * `-printf` (BSD) or fails on any entry (a directory it cannot read): the caller walks and stats here instead.
 * A symbolic link is stat-ed here (stat follows it, as the walk's `statSync` does).
 */
export async function listAndStat(dir: string): Promise<StatedListing | undefined> {
  const found = await findListing(dir);
  return found && statedListingOf(dir, found);
}

/**
 * find's output for `dir` as it printed it (`%y %s %T@ %P`, NUL-ended, in directory order), undefined where
 * `listAndStat` would give undefined. For a caller that can tell an unchanged directory from these bytes alone
 * (signature.ts listingSignature) without sorting them into a listing.
 */
export function findListing(dir: string): Promise<Buffer | undefined> {
  // A root that find would read as an option, or a system without GNU find's -printf: the caller's walk.
  if (dir.startsWith('-') || process.platform === 'win32') return Promise.resolve(undefined);
  // Into a file rather than a pipe: reading ~3.5 MB from the pipe cost this thread ~0.05 CPU-s more (22,528 files).
  const list = join(tmpdir(), `trailbook-find-${process.pid}-${randomUUID()}`);
  return new Promise((resolve) => {
    const done = (value: Buffer | undefined) => {
      rm(list, { force: true }, () => resolve(value));
    };
    try {
      // `%y %s %T@ %P`: type, size, mtime (seconds, to the nanosecond), path below the root; NUL-ended (names may
      // hold newlines). -H: the root itself may be a link to the directory, which readdirSync follows too.
      const child = execFile('find', ['-H', dir, '-fprintf', list, '%y %s %T@ %P\\0'], (err) => {
        if (err) return done(undefined);
        try {
          done(readFileSync(list));
        } catch {
          done(undefined);
        }
      });
      child.on('error', () => done(undefined));
    } catch {
      done(undefined);
    }
  });
}

/** `mtimeMs` as Node computes it from the seconds and nanoseconds (`sec * 1e3 + nsec / 1e6`), from find's `%T@` text. */
function mtimeMsOf(text: string): number {
  const dot = text.indexOf('.');
  const sec = Number(dot < 0 ? text : text.slice(0, dot));
  // GNU find prints the nanoseconds and a 0 after them (ten digits): rounded to nanoseconds either way.
  const frac = dot < 0 ? '' : text.slice(dot + 1);
  const nsec = frac ? Math.round(Number(frac.padEnd(9, '0')) / 10 ** Math.max(0, frac.length - 9)) : 0;
  if (!Number.isFinite(sec) || !Number.isFinite(nsec) || nsec >= 1e9) throw new Error(`find printed a time of ${text}`);
  return sec * 1000 + nsec / 1e6;
}

/** The listing of `listAndStat` from find's output (`findListing`); undefined when it cannot be read. */
export function statedListingOf(dir: string, found: Buffer): StatedListing | undefined {
  try {
    return sortFound(dir, found.toString('utf8'));
  } catch {
    return undefined;
  }
}

function sortFound(dir: string, out: string): StatedListing | undefined {
  const sorter = new Sorter(dir);
  // Per candidate, in the order found: its size and modification time.
  const found: number[] = [];
  const dirs = new Map<string, Directory | undefined>();
  const slashes = sep !== '/';
  let at = 0;
  for (let end = out.indexOf('\0'); end >= 0; at = end + 1, end = out.indexOf('\0', at)) {
    const a = out.indexOf(' ', at);
    const b = out.indexOf(' ', a + 1);
    const c = out.indexOf(' ', b + 1);
    if (a < 0 || c < 0 || c >= end) return undefined;
    if (c + 1 === end) continue; // the root itself
    const slash = out.lastIndexOf('/', end - 1);
    const parent = slash > c ? out.slice(c + 1, slash) : '';
    let where = dirs.get(parent);
    if (where === undefined && !dirs.has(parent)) dirs.set(parent, (where = parent ? sorter.below(slashes ? parent.replaceAll('/', sep) : parent) : sorter.root));
    if (!where) continue;
    const type = out.charCodeAt(at);
    const path = sorter.add(where, out.slice(Math.max(slash, c) + 1, end), type === 100 /* d */);
    if (path === undefined) continue;
    if (type === 102 /* f */) found.push(Number(out.slice(a + 1, b)), mtimeMsOf(out.slice(b + 1, c)));
    else {
      const st = statSync(path, { throwIfNoEntry: false });
      found.push(st ? st.size : -1, st ? st.mtimeMs : -1);
    }
  }
  if (at !== out.length) return undefined;
  // Sorted as the walk sorts its paths, each with its numbers.
  const order = sorter.files.map((_, i) => i).sort((x, y) => (sorter.files[x] < sorter.files[y] ? -1 : sorter.files[x] > sorter.files[y] ? 1 : 0));
  const files = order.map((i) => sorter.files[i]);
  const stats = new Float64Array(2 * files.length);
  order.forEach((i, k) => {
    stats[2 * k] = found[2 * i];
    stats[2 * k + 1] = found[2 * i + 1];
  });
  return { files, skipped: sorter.done().skipped, stats };
}

/** `listCloudTrailFilesSync`, for callers that await. */
export async function listCloudTrailFiles(dir: string): Promise<{ files: string[]; skipped: IgnoredPath[] }> {
  return listCloudTrailFilesSync(dir);
}
