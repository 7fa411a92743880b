import { isAscii } from 'node:buffer';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactBuilder, type CompactResult } from '../../../cloudtrail/readers/compact.ts';
import { IdentityTable, SCANNED_FIELDS, ScannedFile, scanDelivery, scanDeliveryFields } from '../../../cloudtrail/readers/delivery-scan.ts';
import { eventTime, eventTimeAt } from '../../../cloudtrail/readers/event-time.ts';
import { inflate } from '../../../cloudtrail/readers/file.ts';
import { generate } from '../../../cloudtrail/generator/index.ts';
import { listCloudTrailFiles } from '../../../cloudtrail/readers/walk.ts';
import { FIXTURES } from '../../fixtures/cloudtrail/index.ts';

// The scan is a shortcut past JSON.parse: over any input, CompactBuilder must give with it exactly what it gives
// with JSON.parse alone (`new CompactBuilder(false)`, the reference).

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function both(files: string[]): { scanned: CompactResult; reference: CompactResult; scannedFiles: number } {
  const fast = new CompactBuilder();
  const slow = new CompactBuilder(false);
  files.forEach((f, i) => {
    fast.addFile(i, f);
    slow.addFile(i, f);
  });
  return { scanned: fast.finish(), reference: slow.finish(), scannedFiles: fast.scannedFiles };
}

const allFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();

const scans = (json: string | Buffer) => scanDelivery(Buffer.isBuffer(json) ? json : Buffer.from(json), new IdentityTable()) !== undefined;

describe('CompactBuilder with the delivery scan', () => {
  it('gives what JSON.parse gives over every vendored fixture, scanning the delivery files', () => {
    const files = allFiles(FIXTURES);
    const { scanned, reference, scannedFiles } = both(files);
    expect(reference.count).toBeGreaterThan(3000);
    expect(scanned).toEqual(reference);
    // The 55 invictus delivery files are scanned; the stratus JSON arrays (and README, LICENSE...) fall back.
    const deliveries = files.filter((f) => f.endsWith('.json.gz') && inflate(readFileSync(f), f).subarray(0, 12).toString() === '{"Records":[');
    expect(deliveries.length).toBeGreaterThanOrEqual(55);
    expect(scannedFiles).toBe(deliveries.length);
  });

  it('gives what JSON.parse gives over a generated trail, scanning every file', async () => {
    const dir = join(tmp, 'generated');
    generate({ outDir: dir, events: 4000, days: 3, seed: 11, accounts: 2 });
    const { files } = await listCloudTrailFiles(dir);
    const { scanned, reference, scannedFiles } = both(files);
    expect(reference.count).toBeGreaterThan(3900);
    expect(scanned).toEqual(reference);
    expect(scannedFiles).toBe(files.length);
  });
});

/** A record as compact JSON text, with `extra` fields (raw JSON text) spliced in before the closing brace. */
const base = {
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', principalId: 'AIDA1', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', accessKeyId: 'AKIA1', userName: 'alice' },
  eventTime: '2026-10-27T04:15:23Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.7',
  userAgent: 'aws-cli/2.13.0',
  requestParameters: { bucketName: 'b', key: 'k', list: [1, -0.5, 2e10, true, false, null, { a: [] }] },
  responseElements: null,
  requestID: 'r-1',
  eventID: '60a5ea32-b874-412b-9e80-5bd3d613f441',
  readOnly: true,
  resources: [{ ARN: 'arn:aws:s3:::b', type: 'AWS::S3::Bucket', accountId: '111122223333' }],
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
};
const rec = (extra = '', fields: Record<string, unknown> = {}) => {
  const json = JSON.stringify({ ...base, ...fields });
  return extra ? `${json.slice(0, -1)},${extra}}` : json;
};
const deliveryText = (...records: string[]) => `{"Records":[${records.join(',')}]}`;

/** Each case is one file: [name, file text, whether the scan reads it (false: it falls back to JSON.parse)]. */
const CASES: [string, string, boolean][] = [
  ['plain', deliveryText(rec(), rec('', { eventName: 'PutObject', readOnly: false })), true],
  ['escapes in kept strings', deliveryText(rec('"errorMessage":"a\\u0000b\\"c\\\\d\\/e\\b\\f\\n\\r\\t"'), rec('"userAgent":"\\ud83d\\ude00 smile \\ud800 lone \\u00e9"')), true],
  ['escapes decoding to a scanned value', deliveryText(rec('"eventName":"Get\\u004fbject","awsRegion":"us-\\u0065ast-1"')), true],
  ['a string ending in a backslash before the next key', deliveryText(rec('"userAgent":"a\\\\","errorCode":"X\\\\\\""')), true],
  ['escaped quotes that spell keys', deliveryText(rec('"requestParameters":{"q":"\\",\\"eventName\\":\\"Evil\\",\\"x\\":\\""},"errorMessage":"\\"eventName\\":\\"Nope\\""')), true],
  ['repeated keys: the last wins', deliveryText(rec('"eventName":"Second","eventName":"Third","userIdentity":null,"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"}')), true],
  ['repeated userIdentity: an object after a string', deliveryText(rec('"userIdentity":"x","userIdentity":{"type":"AWSService","invokedBy":"s3.amazonaws.com"}')), true],
  ['repeated userIdentity: null after an object', deliveryText(rec('"userIdentity":null')), true],
  [
    'identities alike in their first bytes, and one identity written two ways',
    deliveryText(
      rec('"userIdentity":{"type":"IAMUser","sessionContext":{"a":1},"userName":"x"}'),
      rec('"userIdentity":{"type":"IAMUser","sessionContext":{"a":1},"userName":"y"}'),
      rec('"userIdentity":{"type":"IAMUser","sessionContext":{"a":1},"userName":"x"}'),
      rec('"userIdentity":{ "type":"IAMUser","sessionContext":{"a":1},"userName":"x"}'),
      rec('"userIdentity":{"type":"IAMUser","sessionContext":{"a":1},"userName":"x","accessKeyId":"AKIA2"}'),
      rec('"userIdentity":{}'),
    ),
    true,
  ],
  ['nested keys named like top-level fields', deliveryText(rec('"additionalEventData":{"eventName":"Inner","eventTime":"bad","userIdentity":5,"resources":"x","readOnly":false}')), true],
  ['fields null', deliveryText(rec('', { eventID: null, errorCode: null, errorMessage: null, awsRegion: null, sourceIPAddress: null, userAgent: null, recipientAccountId: null, readOnly: null, resources: null, userIdentity: null })), true],
  ['fields absent', deliveryText(JSON.stringify({ eventTime: '2026-10-27T04:15:23Z', eventSource: 'a.amazonaws.com', eventName: 'A' }), '{}'), true],
  ['absent eventID: the fallback id', deliveryText(rec('', { eventID: undefined, requestID: 'req-9' }), rec('', { eventID: undefined, requestID: undefined })), true],
  ['account from the identity', deliveryText(rec('', { recipientAccountId: undefined })), true],
  [
    'fields of the wrong type',
    deliveryText(
      rec('', { eventName: 5 }),
      rec('', { eventSource: null }),
      rec('', { eventTime: 17 }),
      rec('', { userIdentity: 'alice' }),
      rec('', { userIdentity: [] }),
      rec('', { resources: {} }),
      rec('', { resources: [1] }),
      rec('', { errorCode: {} }),
      rec('', { eventID: ['x'] }),
      rec('', { readOnly: 'true' }),
      rec('', { readOnly: 'false' }),
      rec('', { readOnly: 1 }),
      ...['truE', 'tru', 'truee', 'fals', 'falsE', 'falsee', 'xrue', 'xalse', ''].map((readOnly) => rec('', { readOnly })),
      rec('', { resources: [{ arn: 'lower', type: null, accountId: null }, { ARN: 'upper', arn: 'both' }] }),
    ),
    true,
  ],
  [
    'event times',
    deliveryText(
      ...[
        '2026-10-27T04:15:23.123Z',
        '2026-10-27T04:15:23+02:00',
        '2026-10-27T04:15:23',
        '2026-13-01T00:00:00Z',
        '2026-02-30T10:00:00Z',
        '2026-10-27T24:00:00Z',
        '2026-10-27T10:60:00Z',
        '2026-10-27T10:00:60Z',
        'not a date',
        '',
      ].map((t, i) => rec('', { eventTime: t, eventID: `id-${i}` })),
    ),
    true,
  ],
  ['numbers and literals in skipped values', deliveryText(rec('"x":[0,-0,1.5E-3,1e+5,-12.25e-2,true,false,null,[],{},[[{}]]]')), true],
  ['UTF-8 text', deliveryText(rec('', { errorMessage: 'Zugriff verweigert für Bücher – 拒否 😀', userAgent: 'café', requestParameters: { 'schlüssel': 'wert ü' } })), true],
  [
    'one value spelt plainly and escaped, in ASCII and UTF-8 neighbours (ids by bytes)',
    deliveryText(
      rec('', { userAgent: 'a/b', sourceIPAddress: 'caf\u00e9' }),
      rec('"userAgent":"a\\/b","sourceIPAddress":"caf\\u00e9","errorMessage":"caf\u00e9"'),
      rec('', { userAgent: 'a/b', errorMessage: 'caf\u00e9', awsRegion: 'us-east-1' }),
    ),
    true,
  ],
  [
    'values alike in the bytes the interner hashes',
    deliveryText(
      ...['aws-cli/2.13.0 Python/3.11.4 Linux', 'aws-cli/2.13.1 Python/3.11.4 Linux', 'aws-cli/2.13.0 Python/3.11.5 Linux', 'aws-cli/2.13.0 Python/3.11.4 Linux'].map((ua, i) =>
        rec('', { userAgent: ua, eventID: `60a5ea32-b874-412b-9e80-5bd3d613f44${i}` }),
      ),
    ),
    true,
  ],
  [
    'event ids the bytes path must not pack',
    deliveryText(
      ...['60A5EA32-B874-412B-9E80-5BD3D613F441', '60a5ea32-b874-412b-9e80-5bd3d613f44g', '60a5ea32xb874-412b-9e80-5bd3d613f441', '00000000-0000-0000-0000-000000000000', '60a5ea32-b874-412b-9e80-5bd3d613f4411', ''].map((id) =>
        rec('', { eventID: id }),
      ),
      rec('"eventID":"60a5ea32-b874-412b-9e80-5bd3d613f\\u0034\\u00341"'),
    ),
    true,
  ],
  [
    "resources in CloudTrail's plain shape, and beside it (written from the bytes, or parsed)",
    deliveryText(
      ...[
        '[]',
        '[{}]',
        '[{},{}]',
        '[{"ARN":"arn:aws:s3:::b","accountId":"111122223333","type":"AWS::S3::Bucket"}]',
        '[{"accountId":"1","type":"T","ARN":"a"},{"ARN":"b"},{"arn":"c","type":"U"}]',
        '[{"ARN":null,"arn":"lower"}]',
        '[{"ARN":"x","ARN":null,"arn":"y"}]',
        '[{"arn":"y","ARN":"x"}]',
        '[{"ARN":"x","arn":null}]',
        '[{"type":null,"accountId":null}]',
        '[{"other":"o","ARN":"a","extra":null,"":""}]',
        '[{"ARN":""},{"type":""}]',
        '[{"ARNX":"a","arnx":"b","typ":"c","accountid":"d","Type":"e","ARn":"f","accountIdx":"g"}]',
        '[{"__proto__":"p","ARN":"a"}]',
        '[{"ARN":"a b \u0041"}]',
        '[{"ARN":"a\/b"}]',
        '[{"ARN":1,"type":true}]',
        '[{"ARN":{"x":null}}]',
        '[{"ARN":"a"} ]',
        '[ {"ARN":"a"}]',
        '[{"ARN" :"a"}]',
        '[{"ARN":"a"},null]',
        '[{"ARN":"a"},[]]',
        '[{"ARN":"a"},"s"]',
        '{"ARN":"a"}',
        'null',
      ].map((resources, i) => rec(`"resources":${resources}`, { resources: undefined, eventID: `res-${i}` })),
    ),
    true,
  ],
  ['resources in a UTF-8 file', deliveryText(rec('"resources":[{"ARN":"arn:aws:s3:::bücher","type":"T"}]'), rec('"resources":[{"ARN":"x"}]')), true],
  ['readOnly as escaped text', deliveryText(rec('"readOnly":"tru\\u0065"'), rec('"readOnly":"fals\\u0065"'), rec('"readOnly":"True"')), true],
  ['account from the identity after a null recipient', deliveryText(rec('', { recipientAccountId: null }), rec('', { recipientAccountId: '' }), rec('', { recipientAccountId: undefined, userIdentity: null })), true],
  ['pretty-printed', JSON.stringify({ Records: [JSON.parse(rec()), JSON.parse(rec('', { eventName: 'B' }))] }, null, 2), true],
  ['CR LF and tabs between tokens', ` \r\n{\t"Records" :\r\n[ ${rec()} ,\n\t${rec('', { eventName: 'B' })}\n] }\r\n `, true],
  ['no records', deliveryText(), true],
  // Left to JSON.parse: the answers must still be the same.
  ['raw control character in a skipped string', deliveryText(rec('"x":"a\u0001b"')), false],
  ['raw line feed in a kept string', deliveryText(rec('"errorMessage":"a\nb"')), false],
  ['bad escape', deliveryText(rec('"x":"a\\xb"')), false],
  ['short \\u escape', deliveryText(rec('"x":"\\u12"')), false],
  ['missing colon deep inside', deliveryText(rec('"x":{"a" 1}')), false],
  ['trailing comma', deliveryText(rec('"x":[1,2,]')), false],
  ['leading zero', deliveryText(rec('"x":01')), false],
  ['bare minus', deliveryText(rec('"x":-')), false],
  ['misspelt literal', deliveryText(rec('"x":nul')), false],
  ['misspelt null in resources', deliveryText(rec('"resources":[{"ARN":nul}]', { resources: undefined })), false],
  ['unterminated resources', `{"Records":[${rec().slice(0, -1)},"resources":[{"ARN":"a"`, false],
  ['unterminated', deliveryText(rec()).slice(0, -10), false],
  ['junk after the document', `${deliveryText(rec())} x`, false],
  ['escaped key', deliveryText(rec('"event\\u004eame":"Escaped"')), false],
  ['another top-level key', `{"Records":[${rec()}],"more":1}`, false],
  ['top-level key first', `{"x":1,"Records":[${rec()}]}`, false],
  ['byte-order mark', `\ufeff${deliveryText(rec())}`, false],
  ['a record that is not an object', deliveryText(rec(), 'null', '"s"'), false],
  ['Insight file', deliveryText(rec('', { eventType: 'AwsCloudTrailInsight', eventCategory: 'Insight' })), false],
  ['JSON array', `[${rec()}]`, false],
  ['NDJSON', `${rec()}\n${rec('', { eventName: 'B' })}\n{oops\n`, false],
  ['deep nesting', deliveryText(rec(`"x":${'['.repeat(20000)}${']'.repeat(20000)}`)), false],
];

describe('delivery scan over adversarial files', () => {
  const dir = join(tmp, 'adversarial');
  const files = CASES.map(([name, text], i) => {
    const f = join(dir, `${String(i).padStart(2, '0')}-${name.replace(/\W+/g, '-')}.json${i % 2 ? '.gz' : ''}`);
    return [f, i % 2 ? gzipSync(text) : Buffer.from(text)] as const;
  });

  it.each(CASES.map(([name, text, scanned], i) => [name, text, scanned, i] as const))('%s', (name, text, scanned, i) => {
    expect(scans(text), 'read by the scan').toBe(scanned);
    const f = join(tmp, `case-${i}.json`);
    writeFileSync(f, text);
    const { scanned: a, reference } = both([f]);
    expect(a).toEqual(reference);
  });

  it('all in one builder (shared string table and identity table) still equals the reference', () => {
    mkdirSync(dir, { recursive: true });
    for (const [f, bytes] of files) writeFileSync(f, bytes);
    const { scanned, reference, scannedFiles } = both(files.map(([f]) => f));
    expect(scanned).toEqual(reference);
    expect(scannedFiles).toBe(CASES.filter(([, , s]) => s).length);
    // The cases are not vacuous: events were kept and records were refused.
    expect(reference.count).toBeGreaterThan(30);
    expect(reference.outcomes.some((o) => o.invalid > 0)).toBe(true);
    expect(reference.outcomes.some((o) => o.error)).toBe(true);
  });
});

describe('the walk and its reused slots', () => {
  // Strings are stepped over a word at a time while no byte of it is a quote, a backslash or a control byte: each
  // such byte, and its harmless neighbours, at every offset of a word and near the end of a string.
  const bytes = [0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xc3, 0xff];
  it('accepts and reads strings exactly as JSON.parse does, whatever byte is where', () => {
    let checked = 0;
    for (const c of bytes)
      for (let before = 0; before < 9; before++)
        for (const after of [0, 1, 3, 4, 7]) {
          const inner = Buffer.concat([Buffer.from('a'.repeat(before)), Buffer.from([c]), Buffer.from('b'.repeat(after))]);
          // The byte raw in a kept string, raw in a skipped string, and in a key.
          for (const [head, tail] of [
            ['"errorMessage":"', '"'],
            ['"requestParameters":{"k":"', '"}'],
            ['"additional', '":1'],
          ]) {
            const json = Buffer.concat([Buffer.from(`{"Records":[${rec().slice(0, -1)},${head}`), inner, Buffer.from(`${tail}}]}`)]);
            let reference: { Records: Record<string, unknown>[] } | undefined;
            try {
              reference = JSON.parse(json.toString(isAscii(json) ? 'latin1' : 'utf8'));
            } catch {
              reference = undefined;
            }
            const scanned = scanDelivery(json, new IdentityTable());
            // The scan never accepts what JSON.parse refuses, and refuses nothing else but an escaped key.
            const escapedKey = head === '"additional' && c === 0x5c;
            expect(scanned !== undefined, `${c} ${before} ${after} ${head}`).toBe(reference !== undefined && !escapedKey);
            if (scanned && reference) expect(scanned[0].errorMessage).toEqual(reference.Records[0].errorMessage ?? undefined);
            checked++;
          }
        }
    expect(checked).toBe(bytes.length * 9 * 5 * 3);
  });

  it('reads a file into a ScannedFile that a longer file, and a file refused half-way, used before', () => {
    const ids = new IdentityTable();
    const reused = new ScannedFile();
    const one = JSON.stringify({ eventTime: '2026-10-27T04:15:23Z', eventSource: 'a.amazonaws.com', eventName: 'A' });
    const sparse = deliveryText(one, one);
    const fresh = () => {
      const out = new ScannedFile();
      expect(scanDeliveryFields(Buffer.from(sparse), new IdentityTable(), out)).toBe(true);
      return out;
    };
    expect(scanDeliveryFields(Buffer.from(deliveryText(rec(), rec(), rec())), ids, reused)).toBe(true);
    expect(reused.count).toBe(3);
    // Refused inside its second record, after that record's first fields were written.
    expect(scanDeliveryFields(Buffer.from(deliveryText(rec(), rec('"x":"a\u0001b"'))), ids, reused)).toBe(false);
    expect(scanDeliveryFields(Buffer.from(sparse), ids, reused)).toBe(true);
    const want = fresh();
    expect(reused.count).toBe(2);
    for (let r = 0; r < 2; r++) for (let f = 0; f < SCANNED_FIELDS.length; f++) expect(reused.value(r, f), SCANNED_FIELDS[f]).toEqual(want.value(r, f));
  });

  it('steps over values nested up to its depth and leaves deeper ones to JSON.parse', () => {
    for (const [depth, scanned] of [
      [1, true],
      [511, true],
      [512, true],
      [513, false],
    ] as const) {
      const nest = (open: string, close: string) => `${open.repeat(depth)}${close.repeat(depth)}`;
      const mixed = `${'{"a":['.repeat(depth / 2)}1${']}'.repeat(depth / 2)}`;
      const text = deliveryText(rec(`"x":${nest('[', ']')},"y":${nest('{"k":', '1}'.slice(1)).replace(/:}/g, ':1}')},"z":${depth % 2 ? '0' : mixed}`));
      expect(JSON.parse(text).Records).toHaveLength(1);
      expect(scans(text), `depth ${depth}`).toBe(scanned);
      const f = join(tmp, `depth-${depth}.json`);
      writeFileSync(f, text);
      const { scanned: a, reference } = both([f]);
      expect(a).toEqual(reference);
      expect(reference.count).toBe(1);
    }
  });

  it('finds whitespace wherever JSON allows it inside stepped-over values', () => {
    const spaced = ' { "a" : [ 1 , { } , [ ] , "s" , true , false , null , -2.5e3 , { "b" : { "c" : [ ] } } ] , "d" : { } } ';
    const text = deliveryText(rec(`"requestParameters":${spaced},"responseElements":\r\n[ ]\t,"x" :\t"y"`));
    expect(JSON.parse(text).Records[0].x).toBe('y');
    expect(scans(text)).toBe(true);
    for (const bad of [' { "a" : [ 1 , ] } ', ' { "a" 1 } ', ' [ 1 2 ] ', ' { , } ', ' { "a" : 1 , } ']) expect(scans(deliveryText(rec(`"requestParameters":${bad}`))), bad).toBe(false);
  });
});

describe('eventTime', () => {
  it('is Date.parse for CloudTrail times and everything else', () => {
    const strings = [
      '2026-10-27T04:15:23Z',
      '2026-10-27T04:15:23.5Z',
      '1970-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '2024-02-29T12:00:00Z',
      '2023-02-29T12:00:00Z',
      '2026-02-31T12:00:00Z',
      '2026-00-10T12:00:00Z',
      '2026-10-00T12:00:00Z',
      '2026-10-32T12:00:00Z',
      '2026-13-27T04:15:23Z',
      '2026-10-27T24:00:00Z',
      '2026-10-27T23:59:60Z',
      '2026-10-27T23:60:00Z',
      '2026-10-27T04:15:23z',
      '2026-10-27 04:15:23Z',
      '2026/10/27T04:15:23Z',
      '+02026-10-27T04:15:23Z',
      '9999-12-31T23:59:59Z',
      '0000-01-01T00:00:00Z',
      'abcd-ef-ghTij:kl:mnZ',
    ];
    for (let i = 0; i < 2000; i++) strings.push(new Date(Date.UTC(2020, 0, 1) + i * 7_654_321_987).toISOString().replace(/\.\d+/, ''));
    // Twice: the second pass answers from the hours kept by the first.
    for (let pass = 0; pass < 2; pass++) for (const s of strings) expect(Object.is(eventTime(s), Date.parse(s)), s).toBe(true);
    // From the bytes, inside a larger buffer, in order and each twice in a row (the kept last hour).
    for (let pass = 0; pass < 2; pass++)
      for (const s of pass ? [...strings].reverse() : strings) {
        const b = Buffer.from(`x"${s}"y`, 'latin1');
        const d = { text: (start: number, end: number) => b.toString('latin1', start, end) };
        for (let k = 0; k < 2; k++) expect(Object.is(eventTimeAt(b, 2, b.length - 2, d), Date.parse(s)), s).toBe(true);
      }
  });
});

describe('inflate', () => {
  it('reads a multi-member gzip file whole (its trailer sizes only the last member)', () => {
    const a = Buffer.from('x'.repeat(100_000));
    const b = Buffer.from('{"Records":[]}');
    expect(inflate(Buffer.concat([gzipSync(a), gzipSync(b)]), 'f').equals(Buffer.concat([a, b]))).toBe(true);
  });
});
