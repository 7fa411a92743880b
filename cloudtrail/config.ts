import { resolve } from 'node:path';
import { z } from 'zod';
import type { EventStore, ProgressReport } from './query.ts';

/** Where the project keeps generated and cached data unless told otherwise. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..');
export const DEFAULT_DATA_DIR = resolve(PROJECT_ROOT, '.data/sample');
export const DEFAULT_CACHE_DIR = resolve(PROJECT_ROOT, '.cache');

// Blank values count as unset (shells and .env files often export empty variables).
const optionalText = z.preprocess((v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined), z.string().optional());

/**
 * Data-plane settings, read from the environment (documented in the README and docs/athena.md).
 * Everything beyond the source and data dir is optional in the type, so a hand-made
 * `{ TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR }` stays a valid config; what a source needs is checked here.
 */
export const DataConfig = z
  .object({
    TRAILBOOK_SOURCE: z.enum(['files', 'lookup', 'athena']).default('files'),
    TRAILBOOK_DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
    /**
     * What serves the `files` source: `memory` (unset: its own parse, held in memory) or `duckdb` (SQL on the local
     * `cloudtrail` table, the one `sql` queries, so a kernel or MCP server loads the trail once). docs/sql.md.
     */
    TRAILBOOK_FILES_ENGINE: z.preprocess((v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined), z.enum(['memory', 'duckdb']).optional()),
    /** Comma list; lookup queries these regions, athena restricts the `region` partition to them. */
    TRAILBOOK_REGIONS: optionalText,
    TRAILBOOK_CACHE_DIR: optionalText,
    AWS_REGION: optionalText,
    AWS_DEFAULT_REGION: optionalText,
    /** Endpoint overrides (tests, VPC endpoints); the SDK's own AWS_ENDPOINT_URL_* names work too. */
    TRAILBOOK_CLOUDTRAIL_ENDPOINT: optionalText,
    AWS_ENDPOINT_URL_CLOUDTRAIL: optionalText,
    TRAILBOOK_ATHENA_ENDPOINT: optionalText,
    AWS_ENDPOINT_URL_ATHENA: optionalText,
    AWS_ENDPOINT_URL: optionalText,
    TRAILBOOK_ATHENA_DATABASE: optionalText,
    TRAILBOOK_ATHENA_TABLE: optionalText,
    TRAILBOOK_ATHENA_WORKGROUP: optionalText,
    TRAILBOOK_ATHENA_OUTPUT_LOCATION: optionalText,
    TRAILBOOK_ATHENA_CATALOG: optionalText,
    /** Static credentials when given in the config's env (otherwise the SDK's default chain). */
    AWS_ACCESS_KEY_ID: optionalText,
    AWS_SECRET_ACCESS_KEY: optionalText,
    AWS_SESSION_TOKEN: optionalText,
    /** Set inside AWS Lambda, where only /tmp is writable. */
    AWS_LAMBDA_FUNCTION_NAME: optionalText,
  })
  .superRefine((c, ctx) => {
    const need = (name: string, why: string) => ctx.addIssue({ code: 'custom', path: [name], message: `TRAILBOOK_SOURCE=${c.TRAILBOOK_SOURCE} needs ${name} (${why})` });
    const region = c.AWS_REGION ?? c.AWS_DEFAULT_REGION;
    if (c.TRAILBOOK_SOURCE === 'lookup' && !regionList(c.TRAILBOOK_REGIONS).length && !region)
      need('TRAILBOOK_REGIONS', 'comma-separated regions to query, e.g. us-east-1,eu-west-1; or set AWS_REGION');
    if (c.TRAILBOOK_SOURCE === 'athena') {
      if (!c.TRAILBOOK_ATHENA_DATABASE) need('TRAILBOOK_ATHENA_DATABASE', 'the Glue database holding the CloudTrail table, see docs/athena.md');
      if (!c.TRAILBOOK_ATHENA_TABLE) need('TRAILBOOK_ATHENA_TABLE', 'the CloudTrail table, see docs/athena.md');
      if (!region && !regionList(c.TRAILBOOK_REGIONS).length) need('AWS_REGION', 'the region Athena runs in');
      const out = c.TRAILBOOK_ATHENA_OUTPUT_LOCATION;
      if (out && !/^s3:\/\/[^/]+/.test(out)) ctx.addIssue({ code: 'custom', path: ['TRAILBOOK_ATHENA_OUTPUT_LOCATION'], message: `must be an s3:// URL, got "${out}"` });
    }
    for (const r of regionList(c.TRAILBOOK_REGIONS))
      if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(r)) ctx.addIssue({ code: 'custom', path: ['TRAILBOOK_REGIONS'], message: `"${r}" is not an AWS region name` });
  });
export type DataConfig = z.output<typeof DataConfig>;

export const regionList = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

export function loadDataConfig(env: NodeJS.ProcessEnv = process.env): DataConfig {
  const parsed = DataConfig.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid Trailbook configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

function credentialsOf(c: DataConfig) {
  if (!c.AWS_ACCESS_KEY_ID || !c.AWS_SECRET_ACCESS_KEY) return undefined;
  return { accessKeyId: c.AWS_ACCESS_KEY_ID, secretAccessKey: c.AWS_SECRET_ACCESS_KEY, sessionToken: c.AWS_SESSION_TOKEN };
}

/** The lookup cache directory: TRAILBOOK_CACHE_DIR (default `.cache` under the project root, /tmp in Lambda) + `/lookup`. */
export function lookupCacheDir(c: DataConfig): string {
  const root = c.TRAILBOOK_CACHE_DIR ? resolve(c.TRAILBOOK_CACHE_DIR) : c.AWS_LAMBDA_FUNCTION_NAME ? '/tmp/trailbook-cache' : DEFAULT_CACHE_DIR;
  return resolve(root, 'lookup');
}

/** Opens the configured source behind the one query interface. */
export async function openStore(input: DataConfig = loadDataConfig(), opts: { onProgress?: (p: ProgressReport) => void } = {}): Promise<EventStore> {
  // Hand-made configs go through the same checks and defaults as the environment.
  const config = loadDataConfig(input as NodeJS.ProcessEnv);
  const region = config.AWS_REGION ?? config.AWS_DEFAULT_REGION;
  switch (config.TRAILBOOK_SOURCE) {
    case 'files': {
      if (config.TRAILBOOK_FILES_ENGINE === 'duckdb') {
        const { sharedEngineStore } = await import('./stores/engine.ts');
        return sharedEngineStore(config.TRAILBOOK_DATA_DIR, { cacheDir: config.TRAILBOOK_CACHE_DIR, onProgress: opts.onProgress });
      }
      const { openFilesStore } = await import('./stores/files.ts');
      return openFilesStore(config.TRAILBOOK_DATA_DIR, { onProgress: opts.onProgress });
    }
    case 'lookup': {
      const { LookupStore } = await import('./stores/lookup.ts');
      const regions = regionList(config.TRAILBOOK_REGIONS);
      return new LookupStore({
        regions: regions.length ? regions : [region!],
        cacheDir: lookupCacheDir(config),
        endpoint: config.TRAILBOOK_CLOUDTRAIL_ENDPOINT ?? config.AWS_ENDPOINT_URL_CLOUDTRAIL ?? config.AWS_ENDPOINT_URL,
        credentials: credentialsOf(config),
      });
    }
    case 'athena': {
      const { AthenaStore } = await import('./stores/athena.ts');
      const regions = regionList(config.TRAILBOOK_REGIONS);
      return new AthenaStore({
        region: region ?? regions[0],
        database: config.TRAILBOOK_ATHENA_DATABASE!,
        table: config.TRAILBOOK_ATHENA_TABLE!,
        catalog: config.TRAILBOOK_ATHENA_CATALOG,
        workgroup: config.TRAILBOOK_ATHENA_WORKGROUP,
        outputLocation: config.TRAILBOOK_ATHENA_OUTPUT_LOCATION,
        regions,
        endpoint: config.TRAILBOOK_ATHENA_ENDPOINT ?? config.AWS_ENDPOINT_URL_ATHENA ?? config.AWS_ENDPOINT_URL,
        credentials: credentialsOf(config),
      });
    }
  }
}
