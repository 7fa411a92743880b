import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fixtureRecords, writeFixtureDir } from '../mcp/fixture.ts';

/**
 * Data directories as users hand them over: valid S3 deliveries mixed with files that cannot be used.
 * Shared by the store, MCP, kernel and CLI tests of skipped-input reporting.
 */

export const NOT_CLOUDTRAIL_FILE = 'notes.json';
export const CORRUPT_GZIP_FILE = 'exports/broken.json.gz';

/** The MCP fixture's deliveries plus a JSON file that is not CloudTrail, a corrupt .gz and a README (ignored by name). */
export async function writeDirWithUnusableFiles(records = fixtureRecords()): Promise<string> {
  const dir = await writeFixtureDir(records);
  await writeFile(join(dir, NOT_CLOUDTRAIL_FILE), JSON.stringify({ title: 'meeting notes', items: [1, 2] }));
  await mkdir(join(dir, 'exports'));
  // gzip magic bytes, then garbage: gunzip fails.
  await writeFile(join(dir, CORRUPT_GZIP_FILE), Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('not really gzip at all')]));
  await writeFile(join(dir, 'README.md'), '# exported from the SIEM\n');
  return dir;
}

/** `usable` valid records and `unusable` ones without eventName (as a broken export writes them), in one delivery file. */
export async function writeMostlyUnusableDir(dir: string, usable: number, unusable: number): Promise<void> {
  const records: Record<string, unknown>[] = fixtureRecords(usable + unusable);
  for (let i = usable; i < records.length; i++) delete records[i].eventName;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'export.json.gz'), gzipSync(JSON.stringify({ Records: records })));
}
