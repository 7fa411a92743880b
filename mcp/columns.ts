import { CLOUDTRAIL_COLUMNS, PARTITION_COLUMNS, type Field } from '../cloudtrail/sql/schema.ts';

/** Every column path of the `cloudtrail` SQL table: `eventname`, `useridentity.arn`, `useridentity.sessioncontext.sessionissuer.username`, ... */
export function columnPaths(fields: Field[] = [...CLOUDTRAIL_COLUMNS, ...PARTITION_COLUMNS], prefix = ''): string[] {
  return fields.flatMap((f) => {
    const path = `${prefix}${f.name}`;
    return Array.isArray(f.type) ? [path, ...columnPaths(f.type, `${path}.`)] : [path];
  });
}
