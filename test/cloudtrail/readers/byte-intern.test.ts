import { describe, expect, it } from 'vitest';
import { ByteInterner } from '../../../cloudtrail/readers/byte-intern.ts';

/** An interner over a plain Map string table, decoding keys as JSON string contents (so escapes count). */
function table() {
  const ids = new Map<string, number>([['', 0]]);
  const strings = [''];
  let decoded = 0;
  const interner = new ByteInterner(
    (b, start, end) => {
      decoded++;
      return JSON.parse(`"${Buffer.from(b.subarray(start, end)).toString('utf8')}"`) as string;
    },
    (s) => {
      let id = ids.get(s);
      if (id === undefined) ids.set(s, (id = strings.push(s) - 1));
      return id;
    },
  );
  const id = (text: string) => {
    // Inside a larger buffer, at an offset, as values are inside a file.
    const b = Buffer.from(`xx"${text}"yy`, 'utf8');
    return interner.id(b, 3, b.length - 3);
  };
  return { id, strings, decoded: () => decoded };
}

describe('ByteInterner', () => {
  it('gives one id per string, decoding each spelling once', () => {
    const t = table();
    const a = t.id('s3.amazonaws.com');
    expect(t.id('s3.amazonaws.com')).toBe(a);
    expect(t.id('ec2.amazonaws.com')).not.toBe(a);
    // Another spelling of the same string: a new key, the same id.
    expect(t.id('s3.amazonaws\\u002ecom')).toBe(a);
    expect(t.id('a\\/b')).toBe(t.id('a/b'));
    expect(t.id('caf\u00e9')).toBe(t.id('caf\\u00e9'));
    expect(t.strings).toEqual(['', 's3.amazonaws.com', 'ec2.amazonaws.com', 'a/b', 'caf\u00e9']);
    const decoded = t.decoded();
    t.id('s3.amazonaws.com');
    t.id('caf\u00e9');
    expect(t.decoded()).toBe(decoded);
  });

  it('tells apart values alike in the bytes it hashes', () => {
    const t = table();
    // Same length, same first and last bytes, differing at every position in turn: many share a hash.
    const base = 'aws-cli/2.13.0 Python/3.11.4 Linux/6.5.0 exe/x86_64 prompt/off';
    const variants = Array.from({ length: base.length }, (_, i) => base.slice(0, i) + (base[i] === 'Z' ? 'Y' : 'Z') + base.slice(i + 1));
    const ids = variants.map((v) => t.id(v));
    expect(new Set(ids).size).toBe(variants.length);
    expect(variants.map((v) => t.strings[t.id(v)])).toEqual(variants);
    // Short values too, where the bytes are compared four at a time and then one by one.
    const short = Array.from({ length: 9 }, (_, n) => Array.from({ length: n + 1 }, (_, i) => 'a'.repeat(i) + 'b' + 'a'.repeat(n - i))).flat();
    const shortIds = short.map((v) => t.id(v));
    expect(new Set([...shortIds, ...ids]).size).toBe(short.length + variants.length);
    expect(short.map((v) => t.strings[t.id(v)])).toEqual(short);
    expect(t.id('')).toBe(0);
  });

  it('keeps answering right past its bound (starts again, the string table still knows each string)', () => {
    const t = table();
    const n = (1 << 20) + 1000;
    for (let i = 0; i < n; i++) t.id(`v${i}`);
    expect(t.strings.length).toBe(n + 1);
    expect(t.strings[t.id('v5')]).toBe('v5');
    expect(t.strings[t.id(`v${n - 1}`)]).toBe(`v${n - 1}`);
    expect(t.strings.length).toBe(n + 1);
  });
});
