import type { TrailEvent } from '../../cloudtrail/event.ts';

/** An event's normalised fields as plain data (getters read, principal copied), without its record and resources. */
export const eventFields = (e: TrailEvent) => ({
  id: e.id,
  time: e.time,
  source: e.source,
  name: e.name,
  region: e.region,
  account: e.account,
  principal: { ...e.principal },
  sourceIp: e.sourceIp,
  userAgent: e.userAgent,
  errorCode: e.errorCode,
  errorMessage: e.errorMessage,
  readOnly: e.readOnly,
});
