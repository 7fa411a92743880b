import { z } from 'zod';
import { guarded, structuredResult, type ToolContext, type ToolRegistrar } from '../context.ts';
import { iso } from '../time.ts';
import { nothingSkipped, SKIPPED_EXAMPLES, skippedNotice } from '../../cloudtrail/skipped.ts';
import { toolInput } from './input.ts';

export const STATUS_URI = 'cloudtrail://status';
export const GET_STATUS = 'get_cloudtrail_status';

const Example = z.object({ file: z.string(), reason: z.string(), records: z.number().int().optional() });

const Skipped = z
  .object({
    files: z.number().int().describe('Files that could not be read as CloudTrail (not CloudTrail, invalid JSON, corrupt gzip, unreadable)'),
    records: z.number().int().describe('Unusable records inside files that were read'),
    examples: z.array(Example).describe(`The first few skipped files (up to ${SKIPPED_EXAMPLES}), with why`),
    ignored: z.number().int().describe('Paths deliberately not read because they hold no events: digests, Insights, truth.json, other file types'),
    ignored_examples: z.array(Example),
    notice: z.string().nullable().describe('One line for the user when anything was skipped'),
  })
  .nullable()
  .describe('What the source left out; null when it cannot know (LookupEvents)');

const Status = z.object({
  source: z.string().describe('files, lookup, athena or memory'),
  location: z.string(),
  regions: z.array(z.string()),
  start_time: z.string().nullable().describe('First event, when known'),
  end_time: z.string().nullable().describe('Last event, when known'),
  count: z.number().int().nullable().describe('Events available, when known'),
  store_version: z.string(),
  server_version: z.string(),
  skipped: Skipped,
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
    skipped: s.skipped
      ? {
          files: s.skipped.files,
          records: s.skipped.records,
          examples: s.skipped.examples,
          ignored: s.skipped.ignored,
          ignored_examples: s.skipped.ignoredExamples,
          notice: nothingSkipped(s.skipped) ? null : skippedNotice(s.skipped, 'skipped.examples'),
        }
      : null,
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
      description: 'Source kind, location, regions, time range and event count of the data, what was skipped as unusable, and the server version',
      mimeType: 'application/json',
    },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await status(ctx), null, 2) }] }),
  );
  server.registerTool(
    GET_STATUS,
    {
      title: 'CloudTrail data status',
      description:
        'Which CloudTrail data this server reads: source, location, regions, first and last event time, event count, and the files and records skipped as unusable. Call first to choose time windows and to know what the data leaves out.',
      inputSchema: toolInput({}),
      outputSchema: Status,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => guarded(GET_STATUS, async () => structuredResult(await status(ctx))),
  );
};
