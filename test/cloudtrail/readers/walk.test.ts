import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorySignatureSync, signatureOf } from '../../../cloudtrail/readers/signature.ts';
import { listAndStat, listCloudTrailFilesSync } from '../../../cloudtrail/readers/walk.ts';
import { INVICTUS } from '../../fixtures/cloudtrail/index.ts';

/** A directory with every kind of entry the walk sorts: candidates in a trail's layout, and paths it does not read. */
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'trailbook-walk-'));
  const day = join(root, 'AWSLogs', '111122223333', 'CloudTrail', 'eu-west-1', '2026', '11', '30');
  mkdirSync(day, { recursive: true });
  const put = (path: string, text = '{"Records":[]}') => writeFileSync(path, text);
  for (let i = 0; i < 30; i++) put(join(day, `111122223333_CloudTrail_eu-west-1_20261130T${String(i).padStart(4, '0')}Z_x.json.gz`), 'x'.repeat(i));
  put(join(root, 'export.jsonl'));
  put(join(root, 'flat.json'));
  put(join(root, 'truth.json'));
  put(join(day, 'truth.json'));
  put(join(root, 'README.md'));
  put(join(root, '.hidden.json'));
  mkdirSync(join(root, '.git', 'objects'), { recursive: true });
  put(join(root, '.git', 'objects', 'x.json'));
  mkdirSync(join(root, 'AWSLogs', '111122223333', 'CloudTrail-Digest', 'eu-west-1'), { recursive: true });
  put(join(root, 'AWSLogs', '111122223333', 'CloudTrail-Digest', 'eu-west-1', 'd.json.gz'));
  put(join(day, '111122223333_CloudTrail-Insight_eu-west-1_x.json.gz'));
  // Names with a space, a newline and letters beyond ASCII.
  put(join(root, 'with space.json'));
  put(join(root, 'new\nline.json'));
  put(join(root, 'café ☕.json'));
  // A link to a file (stat follows it), and one to nothing.
  symlinkSync(join(root, 'flat.json'), join(root, 'link.json'));
  symlinkSync(join(root, 'gone.json'), join(root, 'broken.json'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the two walks give, with each one's signature. */
async function both(dir: string) {
  const found = await listAndStat(dir);
  if (!found) throw new Error('find did not run');
  const walked = listCloudTrailFilesSync(dir);
  return { found: { files: found.files, skipped: found.skipped, signature: signatureOf(found.files, found.stats) }, walked: { ...walked, signature: directorySignatureSync(walked.files) } };
}

describe('the listing with sizes and times from find', () => {
  it('gives the walk’s files and skipped paths, and the same signature as stat-ing them here', async () => {
    for (const dir of [root, `${root}/`, INVICTUS]) {
      const { found, walked } = await both(dir);
      expect(found).toEqual(walked);
    }
    const { found } = await both(root);
    expect(found.files.map((f) => f.slice(root.length + 1))).toEqual(expect.arrayContaining(['new\nline.json', 'café ☕.json', 'with space.json', 'link.json', 'broken.json']));
    // truth.json below the root is a candidate: only the generator writes one, at the root.
    expect(found.files).toHaveLength(30 + 8);
    expect(found.skipped.map((s) => s.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/digest or Insight/), expect.stringMatching(/generator metadata/), expect.stringMatching(/not a \.json/)]));
  });

  it('sees an edit in place: same size, a new modification time, a new signature (still the same as stat-ing here)', async () => {
    const before = (await both(root)).found.signature;
    const file = join(root, 'flat.json');
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    writeSync(fd, '{"Records":[ ]}'.slice(0, size), 0, 'utf8');
    closeSync(fd);
    const later = new Date(Date.now() + 90_000);
    utimesSync(file, later, later);
    expect(statSync(file).size).toBe(size);
    const { found, walked } = await both(root);
    expect(found.signature).not.toBe(before);
    expect(found.signature).toBe(walked.signature);
  });

  it('gives nothing where find cannot list the directory, for the caller to walk it', async () => {
    expect(await listAndStat(join(root, 'no-such-directory'))).toBeUndefined();
    expect(await listAndStat('-name')).toBeUndefined();
  });
});
