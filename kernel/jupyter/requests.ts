import { z } from 'zod';

/**
 * The content of the requests the kernel reads, checked before use (what the handlers read; extra
 * fields are allowed). A module of its own, loaded just after the first reply: zod costs 100-200 ms
 * of CPU to load, which kernel_info (within 300 ms of launch) must not wait for.
 */

export const ExecuteContent = z.object({
  code: z.string(),
  silent: z.boolean().default(false),
  store_history: z.boolean().default(true),
  stop_on_error: z.boolean().default(true),
});
export const CodeAtCursor = z.object({ code: z.string(), cursor_pos: z.number().int().min(0) });
export const IsCompleteContent = z.object({ code: z.string() });
export const ShutdownContent = z.object({ restart: z.boolean().default(false) });
export const CommOpenContent = z.object({ comm_id: z.string() });

/** "execute_request: code Invalid input: expected string, received undefined" */
export const describeIssues = (type: string, error: z.ZodError): string => `${type}: ${error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`;
