import type { Principal, TrailEvent } from '../cloudtrail/event.ts';
import type { EventStore } from '../cloudtrail/query.ts';
import { COL } from '../cloudtrail/readers/compact.ts';
import type { EventColumns } from '../cloudtrail/readers/columns.ts';
import type { TrainingColumns } from './columns.ts';

/** What the parsing `files` store (cloudtrail/stores/files.ts) lends prediction. */
interface FilesColumns {
  columns: EventColumns;
  principalOf: (id: number) => Principal;
  events: () => readonly TrailEvent[];
}

/** The parsing `files` store's columns, when `store` is one. */
export function filesColumnsOf(store: EventStore): FilesColumns | undefined {
  const lend = (store as { predictionColumns?: () => FilesColumns }).predictionColumns;
  return store.kind === 'files' && typeof lend === 'function' ? lend.call(store) : undefined;
}

/**
 * The store's events as training columns: its string-id columns with its one string table, rows already in
 * (time, id) order, and its own views as the events.
 */
export function filesTrainingColumns({ columns: c, principalOf, events }: FilesColumns): TrainingColumns {
  const coded = (col: number) => ({ codes: c.cols[col], texts: c.strings });
  return {
    count: c.count,
    times: c.times,
    source: coded(COL.source),
    name: coded(COL.name),
    region: coded(COL.region),
    sourceIp: coded(COL.sourceIp),
    userAgent: coded(COL.userAgent),
    errorCode: coded(COL.errorCode),
    principal: c.cols[COL.principal],
    principalCodes: c.strings.length,
    principalOf,
    readOnly: c.readOnly,
    event: (i) => events()[i],
  };
}
