import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/**
 * The SDK checks every tool result against the tool's output schema with zod's asynchronous parse, which does
 * not use zod's compiled object parsers: for a 50-event lookup page the check took as long as the tool itself.
 * This puts a schema in front of each output schema that runs the same schema's synchronous parse (compiled)
 * and reports its issues unchanged, so the check accepts and refuses what it did, with the same message.
 * Only the check changes: tools/list is answered from a list made from the schemas as registered (tool-list.ts).
 */
export function checkOutputsSynchronously(server: McpServer): void {
  const tools = (server as unknown as { _registeredTools: Record<string, { outputSchema?: unknown }> })._registeredTools;
  for (const tool of Object.values(tools)) {
    if (tool.outputSchema instanceof z.ZodObject) tool.outputSchema = synchronousCheck(tool.outputSchema);
  }
}

const checks = new WeakMap<z.ZodObject, z.ZodObject>();

/** The issues of a failed parse as a check reports them (the same objects: zod finalises them again unchanged). */
const issues = (error: z.ZodError) => error.issues as unknown as z.core.$ZodRawIssue[];

/** An object schema whose one check is `schema`'s synchronous parse; the asynchronous one where that needs it. */
export function synchronousCheck(schema: z.ZodObject): z.ZodObject {
  let check = checks.get(schema);
  if (!check) {
    check = z.looseObject({}).check((ctx) => {
      let r: ReturnType<typeof schema.safeParse>;
      try {
        r = schema.safeParse(ctx.value);
      } catch (err) {
        if (!(err instanceof z.core.$ZodAsyncError)) throw err;
        return schema.safeParseAsync(ctx.value).then((a) => void (a.success || ctx.issues.push(...issues(a.error))));
      }
      if (!r.success) ctx.issues.push(...issues(r.error));
    });
    checks.set(schema, check);
  }
  return check;
}
