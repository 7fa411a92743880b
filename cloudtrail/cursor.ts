import { z } from 'zod';

/**
 * Opaque page cursors: JSON in base64url, checked against a schema when read back. `label` names the source in
 * the error ("Invalid lookup cursor ...") so a cursor passed to the wrong store says where it came from.
 */
export function cursorCodec<S extends z.ZodType>(schema: S, label?: string) {
  const what = label ? `${label} cursor` : 'cursor';
  return {
    encode: (c: z.infer<S>): string => Buffer.from(JSON.stringify(c)).toString('base64url'),
    decode(s: string): z.infer<S> {
      try {
        return schema.parse(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
      } catch {
        throw new Error(`Invalid ${what} "${s.slice(0, 40)}": pass the nextCursor returned by the previous page unchanged.`);
      }
    },
  };
}

/** Keyset cursor: the (time, id) of the last event returned, so pages stay stable while data grows. */
export const Cursor = z.object({ t: z.number(), id: z.string() });
export type Cursor = z.infer<typeof Cursor>;

const keyset = cursorCodec(Cursor);
export const encodeCursor = keyset.encode;
export const decodeCursor = keyset.decode;

/** A keyset cursor for one sort order: continuing with the other order would skip or repeat events. */
export const OrderedCursor = Cursor.extend({ o: z.enum(['asc', 'desc']) });

export function checkCursorOrder(cursor: { o: 'asc' | 'desc' } | undefined, order: 'asc' | 'desc'): void {
  if (cursor && cursor.o !== order) throw new Error(`This cursor was made for order "${cursor.o}"; pass the same order to continue.`);
}
