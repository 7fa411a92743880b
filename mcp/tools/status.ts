import { z } from 'zod';
import { guarded, structuredResult, type ToolContext, type ToolRegistrar } from '../context.ts';
import { iso } from '../time.ts';
import { toolInput } from './input.ts';

export const STATUS_URI = 'cloudtrail://status';
export const GET_STATUS = 'get_cloudtrail_status';

const Status = z.object({
  source: z.string().describe('files, lookup, athena or memory'),
  location: z.string(),
  regions: z.array(z.string()),
  start_time: z.string().nullable().describe('First event, when known'),
  end_time: z.string().nullable().describe('Last event, when known'),
  count: z.number().int().nullable().describe('Events available, when known'),
  store_version: z.string(),
  server_version: z.string(),
});

async function status(ctx: ToolContext): Promise<z.infer<typeof Status>> {
  const s = await ctx.store.status();
  return {
    source: s.kind,
    location: s.location,
    regions: s.regions,
    start_time: iso(s.start) ?? null,
    end_time: iso(s.end) ?? null,
    count: s.count ?? null,
    store_version: s.version,
    server_version: ctx.version,
  };
}

/**
 * What data is behind the server, as a resource (cloudtrail://status) and, for clients that only call tools
 * (agents), as the tool get_cloudtrail_status.
 */
export const registerStatusResource: ToolRegistrar = (server, ctx) => {
  server.registerResource(
    'cloudtrail-status',
    STATUS_URI,
    {
      title: 'CloudTrail data status',
      description: 'Source kind, location, regions, time range and event count of the data, and the server version',
      mimeType: 'application/json',
    },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await status(ctx), null, 2) }] }),
  );
  server.registerTool(
    GET_STATUS,
    {
      title: 'CloudTrail data status',
      description: 'Which CloudTrail data this server reads: source, location, regions, first and last event time, event count. Call first to choose time windows.',
      inputSchema: toolInput({}),
      outputSchema: Status,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => guarded(GET_STATUS, async () => structuredResult(await status(ctx))),
  );
};
