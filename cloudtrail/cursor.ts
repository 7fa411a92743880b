import { z } from 'zod';

/** Keyset cursor: the (time, id) of the last event returned, so pages stay stable while data grows. */
const Cursor = z.object({ t: z.number(), id: z.string() });
export type Cursor = z.infer<typeof Cursor>;

export const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

export function decodeCursor(s: string): Cursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
  } catch {
    throw new Error(`Invalid cursor "${s.slice(0, 40)}": pass the nextCursor returned by the previous page unchanged.`);
  }
}
