/**
 * What a source left out when it opened, so nothing is dropped silently: the status of every store, the MCP
 * status resource, the kernel's notice and `trailbook eval` all report it from this one shape.
 */
export interface SkippedInput {
  /** Files that could not be read as CloudTrail: not CloudTrail, invalid JSON, corrupt gzip, unreadable. */
  files: number;
  /** Unusable records (or NDJSON lines that are not JSON) inside files that were read. */
  records: number;
  /** Records that were loaded, for the share of unusable ones. */
  loadedRecords: number;
  /** Files that were read or tried (the share of unreadable ones). */
  candidateFiles: number;
  /** The first few skipped files, with why (`records` set when the file was read but some of its records were not). */
  examples: SkippedExample[];
  /**
   * Paths recognised and deliberately not loaded because they hold no events: digest and Insight deliveries,
   * the generator's truth.json, files whose names are not .json/.jsonl/.ndjson (optionally .gz).
   */
  ignored: number;
  /** The first few ignored paths, with why. */
  ignoredExamples: SkippedExample[];
}

export interface SkippedExample {
  file: string;
  reason: string;
  records?: number;
}

/** How many skipped files are named in a status; the counts always cover all of them. */
export const SKIPPED_EXAMPLES = 5;

export const nothingSkipped = (s: SkippedInput | undefined): boolean => !s || (s.files === 0 && s.records === 0);

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "2 files and 12 records", "1 file", "3 records". */
export function skippedCounts(s: SkippedInput): string {
  const parts = [s.files ? plural(s.files, 'file') : '', s.records ? plural(s.records, 'record') : ''].filter(Boolean);
  return parts.join(' and ') || 'nothing';
}

/** The first clause of a reason: "not CloudTrail", "corrupt gzip (...)", "record 3: eventName missing ...". */
const shortReason = (reason: string) => reason.split(/;|: expected /)[0];

/** One line for the user, naming the first skipped file and where the full list is. */
export function skippedNotice(s: SkippedInput, where: string): string {
  const first = s.examples[0];
  return `skipped ${skippedCounts(s)} that could not be used${first ? ` (first: ${first.file}: ${shortReason(first.reason)})` : ''} — ${where} lists them`;
}

/**
 * Whether most of the input was unusable: more than half of the records found, or more than half of the
 * candidate files (records inside an unreadable file cannot be counted, so files are weighed on their own).
 */
export function mostlyUnusable(s: SkippedInput): boolean {
  return s.records > s.loadedRecords || s.files * 2 > s.candidateFiles;
}
