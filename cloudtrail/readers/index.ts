export { CloudTrailFileError, extractRecords, invalidReason, looksLikeRecord, NOT_CLOUDTRAIL, type Shape, type SkippedShape } from './shapes.ts';
export { decode, inflate, recordsIn, readCloudTrailFile, readCloudTrailFileSync, recordsFromBuffer, type FileRecords, type InvalidRecord } from './file.ts';
export { listCloudTrailFiles } from './walk.ts';
export { CompactBuilder, type CompactResult, type FileOutcome } from './compact.ts';
export { splitDeliveryRecords } from './split.ts';
