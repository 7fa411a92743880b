import { loadDataConfig, openStore, type DataConfig } from '../config.ts';
import type { EventStore, ProgressReport } from '../query.ts';
import type { SqlSource } from './result.ts';

export { openCloudTrailSql, type CloudTrailSql } from './engine.ts';
export { AthenaSql } from './athena.ts';
export * from './result.ts';
export { tableSchema } from './schema.ts';

/**
 * The SQL engine for the configured source: the local DuckDB table over TRAILBOOK_DATA_DIR (`files`), or Athena's
 * CloudTrail table (`athena`), so the same query runs on either. `lookup` has no table to query.
 */
export async function openSqlSource(input: DataConfig = loadDataConfig(), opts: { cacheDir?: string | false } = {}): Promise<SqlSource> {
  const config = loadDataConfig(input as NodeJS.ProcessEnv);
  switch (config.TRAILBOOK_SOURCE) {
    case 'files': {
      if (config.TRAILBOOK_FILES_ENGINE === 'duckdb') {
        // The engine the store serves from: `sql` and the tools share one load.
        const { sharedEngineStore } = await import('../stores/engine.ts');
        return (await sharedEngineStore(config.TRAILBOOK_DATA_DIR, { cacheDir: opts.cacheDir ?? config.TRAILBOOK_CACHE_DIR })).sqlSource();
      }
      const { openCloudTrailSql } = await import('./engine.ts');
      return openCloudTrailSql({ dataDir: config.TRAILBOOK_DATA_DIR, cacheDir: opts.cacheDir ?? config.TRAILBOOK_CACHE_DIR });
    }
    case 'athena': {
      const [{ AthenaSql }, { AthenaStore }] = await Promise.all([import('./athena.ts'), import('../stores/athena.ts')]);
      const store = await openStore(config);
      if (!(store instanceof AthenaStore)) throw new Error('expected the athena source');
      return new AthenaSql(store, { catalog: config.TRAILBOOK_ATHENA_CATALOG, database: config.TRAILBOOK_ATHENA_DATABASE!, table: config.TRAILBOOK_ATHENA_TABLE! });
    }
    case 'lookup':
      throw new Error('SQL needs a table: use TRAILBOOK_SOURCE=files (the local DuckDB table) or athena; the lookup source (CloudTrail LookupEvents) has none');
  }
}

/**
 * The SQL engine over the data an open store reads: the DuckDB table of a `files` store's directory (built or
 * reopened from the cache), or Athena's table through an `athena` store (shared: closing the engine leaves the
 * store open). Other sources (lookup, in-memory) have no table.
 */
export async function sqlSourceFor(store: EventStore, opts: { cacheDir?: string | false; onProgress?: (p: ProgressReport) => void } = {}): Promise<SqlSource> {
  const dir = (store as { dir?: unknown }).dir;
  const { EngineStore } = await import('../stores/engine.ts');
  if (store instanceof EngineStore) return store.sqlSource();
  if (store.kind === 'files' && typeof dir === 'string') {
    const { openCloudTrailSql } = await import('./engine.ts');
    return openCloudTrailSql({ dataDir: dir, cacheDir: opts.cacheDir, onProgress: opts.onProgress });
  }
  if (store.kind === 'athena') {
    const [{ AthenaSql }, { AthenaStore }] = await Promise.all([import('./athena.ts'), import('../stores/athena.ts')]);
    if (store instanceof AthenaStore) return new AthenaSql(store, store.table, false);
  }
  throw new Error(`SQL needs a table: the files source (local DuckDB table) or athena; this source is ${store.kind}`);
}

