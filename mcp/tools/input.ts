import { z } from 'zod';

/**
 * A tool's input object: unknown argument names are rejected (a misspelt filter silently ignored would
 * return wrong data), with a message listing the valid names.
 */
export function toolInput<S extends z.ZodRawShape>(shape: S) {
  const valid = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown argument${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}; valid arguments: ${valid}`
        : undefined,
  });
}
