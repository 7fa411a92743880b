import type { ToolRegistrar } from '../context.ts';
import { iso } from '../time.ts';

export const STATUS_URI = 'cloudtrail://status';

/** Resource describing the data behind the server, so a client can tell what it is querying. */
export const registerStatusResource: ToolRegistrar = (server, ctx) => {
  server.registerResource(
    'cloudtrail-status',
    STATUS_URI,
    {
      title: 'CloudTrail data status',
      description: 'Source kind, location, regions, time range and event count of the data, and the server version',
      mimeType: 'application/json',
    },
    async (uri) => {
      const s = await ctx.store.status();
      const status = {
        source: s.kind,
        location: s.location,
        regions: s.regions,
        start_time: iso(s.start) ?? null,
        end_time: iso(s.end) ?? null,
        count: s.count ?? null,
        store_version: s.version,
        server_version: ctx.version,
      };
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(status, null, 2) }] };
    },
  );
};
