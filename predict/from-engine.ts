import type { TrailEvent } from '../cloudtrail/event.ts';
import type { EventFilter, EventStore } from '../cloudtrail/query.ts';
import type { CloudTrailSql } from '../cloudtrail/sql/engine.ts';
import { engineEvents, engineTable } from '../cloudtrail/stores/engine-columns.ts';
import { DUCKDB } from '../cloudtrail/stores/engine.ts';

/**
 * Prediction's events read from the local DuckDB table in columns (cloudtrail/stores/engine-columns.ts): just the
 * fields training uses, each string column as the engine's ENUM codes, principals once per distinct identity, so a
 * million events cost a million small views and a few thousand strings, not a million records through JSON and
 * zod. The events carry every TrailEvent field but the record itself: `raw` and `resources` throw, saying where to
 * get them (prediction never reads them).
 */

/**
 * Every event of the table matching `filter`, in (time, id) order, with the fields prediction reads. The whole
 * table is read once per engine (from the copy kept beside the database when there is one) and shared with the
 * MCP tools' index; a filter is applied to it with `matches`, which costs less than a filtered read from the
 * engine (a scan of the table each time).
 */
export async function readPredictionEvents(engine: CloudTrailSql, filter: EventFilter = {}): Promise<TrailEvent[]> {
  return engineEvents(await engineTable(engine, DUCKDB), filter);
}

/** The local engine behind a store, when it is the engine-backed `files` store. */
export function engineOf(store: EventStore): CloudTrailSql | undefined {
  const engine = (store as { engine?: unknown }).engine;
  return store.kind === 'files' && engine && typeof (engine as CloudTrailSql).withConnection === 'function' ? (engine as CloudTrailSql) : undefined;
}
