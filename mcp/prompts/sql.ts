import { z } from 'zod';
import { columnPaths } from '../columns.ts';
import { QUERY_SQL, SCHEMA_URI } from '../tools/query-sql.ts';
import { resolveWindow } from '../time.ts';
import { definePrompt, sinceArg } from './define.ts';

const COLUMNS = new Set(columnPaths());

export const topValues = definePrompt({
  name: 'sql_top_values',
  title: 'Top values of a column (SQL)',
  description: 'The most frequent values of one column of the cloudtrail SQL table, with a query you can edit',
  args: {
    column: z
      .string()
      .refine((c) => COLUMNS.has(c), { error: `column must be a column of the cloudtrail table (see ${SCHEMA_URI}), e.g. eventname or useridentity.arn` })
      .describe('A column of the cloudtrail table, e.g. eventname, useridentity.arn, sourceipaddress, errorcode'),
    since: sinceArg('-7d'),
  },
  completes: ['column', 'since'],
  text({ column, since = '-7d' }, ctx) {
    // eventtime is ISO text to the second in the table: compare it with an ISO string of the same form (see docs/sql.md).
    const from = new Date(resolveWindow({ start_time: since }, ctx.now()).start!).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return [
      `Run ${QUERY_SQL} with:`,
      '',
      `SELECT ${column} AS value, count(*) AS events FROM cloudtrail WHERE eventtime >= '${from}' GROUP BY 1 ORDER BY events DESC LIMIT 20`,
      '',
      `Show the result as a table and comment on what stands out (since ${since}). Read ${SCHEMA_URI} if another column would answer better.`,
    ].join('\n');
  },
});
