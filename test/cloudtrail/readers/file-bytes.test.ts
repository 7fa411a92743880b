import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactBuilder, type CompactResult } from '../../../cloudtrail/readers/compact.ts';
import { FileBytes } from '../../../cloudtrail/readers/file-bytes.ts';
import { inflate } from '../../../cloudtrail/readers/file.ts';
import { idAt } from '../../../cloudtrail/readers/event-ids.ts';
import { textAt } from '../../../cloudtrail/readers/text-column.ts';
import { fixtureRecords } from '../../mcp/fixture.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-file-bytes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const put = (bytes: Buffer | string, name = 'f'): string => {
  const f = join(tmp, `${n++}-${name}`);
  writeFileSync(f, bytes);
  return f;
};

/**
 * What a fresh read gives, the reference: the inflated bytes' length and hash (a deep comparison of megabytes of
 * bytes is slow), or the message `inflate` throws.
 */
const outcome = (read: () => Buffer): { length: number; sha256: string } | { error: string } => {
  try {
    const bytes = read();
    return { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch (err) {
    return { error: (err as Error).message };
  }
};
const fresh = (path: string) => outcome(() => inflate(readFileSync(path), path));
const reused = (reader: FileBytes, path: string) => outcome(() => reader.read(path));

const delivery = (records: unknown[]) => JSON.stringify({ Records: records });
/** Bytes that do not compress, so a file of them is larger than the input buffer's first size. */
const noise = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 13) & 0xff));

describe('FileBytes', () => {
  const long = delivery(fixtureRecords(400));
  const cases: [string, Buffer | string][] = [
    ['long gzip', gzipSync(long)],
    ['short gzip after a long one', gzipSync(delivery(fixtureRecords(2)))],
    ['plain JSON', long],
    ['shorter plain JSON', delivery(fixtureRecords(1))],
    ['empty file', ''],
    ['gzip magic bytes only', Buffer.from([0x1f, 0x8b])],
    ['corrupt gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('not really gzip at all')])],
    ['a good file after a corrupt one', gzipSync(delivery(fixtureRecords(3)))],
    ['truncated gzip', gzipSync(long).subarray(0, 5000)],
    ['gzip without its trailer', gzipSync(long).subarray(0, gzipSync(long).length - 8)],
    ['multi-member gzip (the trailer sizes only the last member)', Buffer.concat([gzipSync('x'.repeat(100_000)), gzipSync(delivery([]))])],
    ['a trailer that says less than the member holds', (() => {
      const gz = Buffer.from(gzipSync(long));
      gz.writeUInt32LE(100, gz.length - 4);
      return gz;
    })()],
    ['trailing zero bytes after the member', Buffer.concat([gzipSync(long), Buffer.alloc(16)])],
    ['trailing garbage after the member', Buffer.concat([gzipSync(long), Buffer.from('garbage')])],
    ['gzip of nothing', gzipSync('')],
    ['non-gzip binary larger than the first input buffer', noise(300_000)],
    ['gzip inflating beyond the first output buffer', gzipSync(Buffer.concat([noise(200_000), Buffer.from('x'.repeat(3_000_000))]))],
    ['a small file after the large ones', gzipSync('{"Records":[]}')],
  ];
  const files = cases.map(([name, bytes]) => [name, put(bytes, name.replace(/\W+/g, '-'))] as const);

  it('gives, file after file through one reader, exactly what a fresh read and inflate give: bytes or message', () => {
    const reader = new FileBytes();
    // Twice over: the second pass starts with buffers grown by the first.
    for (let pass = 0; pass < 2; pass++)
      for (const [name, f] of files) {
        const want = fresh(f);
        expect(reused(reader, f), `${name} (pass ${pass})`).toEqual(want);
      }
    // The cases are not vacuous: some fail, some inflate, some are read as they are.
    const outcomes = files.map(([, f]) => fresh(f));
    expect(outcomes.filter((o) => 'error' in o).length).toBeGreaterThanOrEqual(4);
    expect(outcomes.some((o) => 'error' in o && o.error.includes(': corrupt gzip ('))).toBe(true);
    expect(outcomes.filter((o) => 'length' in o && o.length > 0).length).toBeGreaterThanOrEqual(10);
  });

  it('reports a missing file as readFileSync does', () => {
    const missing = join(tmp, 'missing.json.gz');
    expect(() => new FileBytes().read(missing)).toThrow(/^ENOENT: no such file or directory, open /);
  });

  it('never lets a shorter file see bytes of the longer file read before it', () => {
    // The shorter file is the longer one's prefix: read past its end, the stale bytes would complete it.
    const text = delivery(fixtureRecords(50));
    const cut = text.indexOf('},{') + 1;
    for (const gz of [false, true]) {
      const whole = put(gz ? gzipSync(text) : text);
      const prefix = put(gz ? gzipSync(text.slice(0, cut)) : text.slice(0, cut));
      const reader = new FileBytes();
      expect(reader.read(whole).length).toBe(text.length);
      const view = reader.read(prefix);
      expect(view.length).toBe(cut);
      expect(view.toString('latin1')).toBe(text.slice(0, cut));
    }
  });
});

/** Each event's fields as text, by file, so two builders' results compare whatever their string tables. */
function eventsOf(r: CompactResult, file: number): string[][] {
  const out: string[][] = [];
  for (let k = 0; k < r.count; k++) {
    if (r.fileIdx[k] !== file) continue;
    const cells = r.cols.map((col) => r.strings[col[k]]);
    out.push([String(r.times[k]), String(r.recIdx[k]), String(r.readOnly[k]), idAt(r.ids, k), textAt(r.resources, k), ...cells]);
  }
  return out;
}

describe('CompactBuilder over reused buffers', () => {
  it('builds a file after a longer one exactly as a fresh builder builds it alone', () => {
    const long = delivery(
      fixtureRecords(300).map((r, i) => ({ ...r, userAgent: `agent-${'a'.repeat(200 + i)}`, errorMessage: `message ${'m'.repeat(300)}`, eventID: `not-a-uuid-${i}-${'z'.repeat(40)}` })),
    );
    const short = delivery(fixtureRecords(3));
    // A prefix of the long file: invalid JSON, unless the builder read the long file's bytes past its end.
    const prefix = long.slice(0, long.indexOf('},{') + 1);
    for (const gz of [false, true]) {
      const enc = (s: string) => (gz ? gzipSync(s) : s);
      const files = [put(enc(long)), put(enc(short)), put(enc(prefix)), put(enc(short))];
      for (const fast of [true, false]) {
        const together = new CompactBuilder(fast);
        files.forEach((f, i) => together.addFile(i, f));
        const all = together.finish();
        files.forEach((f, i) => {
          const alone = new CompactBuilder(fast);
          alone.addFile(i, f);
          const one = alone.finish();
          expect(eventsOf(all, i), `file ${i}, gzip ${gz}, scan ${fast}`).toEqual(eventsOf(one, i));
          expect(all.outcomes[i]).toEqual(one.outcomes[0]);
        });
        expect(all.outcomes[2].error ?? all.outcomes[2].invalid, 'the prefix is refused').toBeTruthy();
        expect(eventsOf(all, 1)).toHaveLength(3);
      }
    }
  });
});
