import type { ToolRegistrar } from '../context.ts';
import { registerEventNames } from './event-names.ts';
import { registerGetEvent } from './get-event.ts';
import { registerLookupEvents } from './lookup-events.ts';
import { registerPredictTools } from './predict.ts';
import { registerListPrincipals } from './principals.ts';
import { registerQuerySql } from './query-sql.ts';
import { registerStatusResource } from './status.ts';
import { registerActivityTimeline } from './timeline.ts';

/** Every tool and resource the server offers. Adding a tool is one line here plus its own module. */
export const registrars: ToolRegistrar[] = [
  registerLookupEvents,
  registerEventNames,
  registerListPrincipals,
  registerGetEvent,
  registerActivityTimeline,
  registerPredictTools,
  registerQuerySql,
  registerStatusResource,
];
