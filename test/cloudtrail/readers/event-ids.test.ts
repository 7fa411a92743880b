import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdColumnBuilder, idAt } from '../../../cloudtrail/readers/event-ids.ts';

describe('event id column', () => {
  it('gives back every id exactly: canonical UUIDs packed, anything else as text', () => {
    const ids = [
      ...Array.from({ length: 50 }, () => randomUUID()),
      'A1B2C3D4-0000-4000-8000-000000000001', // upper case: not canonical, kept as written
      '00000000-0000-0000-0000-000000000000', // all zero: would read back as "not a UUID"
      '',
      '2026-10-01T00:00:00Z:s3.amazonaws.com:GetObject:', // the id made for records without eventID
      'a1b2c3d4-0000-4000-8000-00000000000', // one digit short
      'g1b2c3d4-0000-4000-8000-000000000001', // not hex
      'a1b2c3d4x0000-4000-8000-000000000001', // dash missing
      'é1b2c3d4-0000-4000-8000-00000000000', // not ASCII
    ];
    const b = new IdColumnBuilder();
    for (const id of ids) b.add(id);
    const col = b.done();
    expect(ids.map((_, i) => idAt(col, i))).toEqual(ids);
    expect(col.uuids.length).toBe(16 * ids.length);
    // Only the non-canonical ids take text space.
    expect(col.other.ends[49]).toBe(0);
  });

  it('reads ids from their bytes as from their text', () => {
    const ids = [randomUUID(), 'A1B2C3D4-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000000', 'a1b2c3d4-0000-4000-8000-00000000000g', 'a1b2c3d4x0000-4000-8000-000000000001', 'short', randomUUID()];
    const text = new IdColumnBuilder();
    const bytes = new IdColumnBuilder();
    for (const id of ids) {
      text.add(id);
      const b = Buffer.from(`"${id}"`, 'latin1');
      bytes.addBytes(b, 1, b.length - 1, { text: (start, end) => b.toString('latin1', start, end) });
    }
    expect(bytes.done()).toEqual(text.done());
  });
});
