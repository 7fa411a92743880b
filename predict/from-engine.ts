import { normalisePrincipal, type TrailEvent } from '../cloudtrail/event.ts';
import type { EventFilter, EventStore } from '../cloudtrail/query.ts';
import type { CloudTrailSql } from '../cloudtrail/sql/engine.ts';
import { EngineEvent, engineEvents, engineTable, SCOL, type EngineTable } from '../cloudtrail/stores/engine-columns.ts';
import { DUCKDB } from '../cloudtrail/stores/engine.ts';
import { withColumns, type TrainingColumns } from './columns.ts';

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
  const table = await engineTable(engine, DUCKDB);
  const events = engineEvents(table, filter);
  // Remembered with the columns behind them, so that training from these events reads the columns.
  const rows = Object.keys(filter).length ? Uint32Array.from(events, (e) => e.k) : table.columns.order;
  return withColumns(events, events.slice(), engineTrainingColumns(table, rows));
}

const UNKNOWN = Object.freeze(normalisePrincipal(undefined));

/**
 * The table's columns as training columns: its ENUM codes per string column, its principals by index (-1: none),
 * and `rows` (default: every event in (time, id) order) as the events, each made as a view when asked for.
 */
export function engineTrainingColumns(table: EngineTable, rows: Uint32Array = table.columns.order): TrainingColumns {
  const c = table.columns;
  const coded = (col: number) => ({ codes: c.cols[col], texts: c.values[col] });
  return {
    count: rows.length,
    rows,
    times: c.times,
    source: coded(SCOL.source),
    name: coded(SCOL.name),
    region: coded(SCOL.region),
    sourceIp: coded(SCOL.sourceIp),
    userAgent: coded(SCOL.userAgent),
    errorCode: coded(SCOL.errorCode),
    principal: c.principal,
    principalCodes: c.principals.length,
    principalOf: (code) => (code < 0 ? UNKNOWN : c.principals[code]),
    readOnly: c.readOnly,
    event: (i) => new EngineEvent(table, rows[i]),
  };
}

/** Every event of the engine's table as training columns, no event made. */
export async function readEngineTrainingColumns(engine: CloudTrailSql): Promise<TrainingColumns> {
  return engineTrainingColumns(await engineTable(engine, DUCKDB));
}

/** The local engine behind a store, when it is the engine-backed `files` store. */
export function engineOf(store: EventStore): CloudTrailSql | undefined {
  const engine = (store as { engine?: unknown }).engine;
  return store.kind === 'files' && engine && typeof (engine as CloudTrailSql).withConnection === 'function' ? (engine as CloudTrailSql) : undefined;
}
