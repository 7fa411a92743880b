import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';
import { normalise } from '../../cloudtrail/event.ts';
import { CloudTrailRecord } from '../../cloudtrail/record.ts';

const textOf = (r: { messages: { content: { type: string; text?: string } }[] }) => r.messages.map((m) => m.content.text ?? '').join('\n');

/**
 * Prompts and argument completion as any client sees them, over any transport, checked against values
 * computed here from the records.
 */
export async function checkPromptsAndCompletions(client: Client, records: unknown[]): Promise<void> {
  const events = records.map((r) => normalise(CloudTrailRecord.parse(r)));
  const { prompts } = await client.listPrompts();
  expect(prompts.map((p) => p.name)).toEqual(['investigate_principal', 'what_changed', 'predict_next_actions', 'sql_top_values']);
  expect(prompts.find((p) => p.name === 'investigate_principal')).toMatchObject({
    title: 'Investigate a principal',
    arguments: [expect.objectContaining({ name: 'principal', required: true }), expect.objectContaining({ name: 'since', required: false })],
  });

  // Principals: keys and the names people type, by prefix.
  const complete = async (prompt: string, name: string, value: string, context?: Record<string, string>) =>
    (await client.complete({ ref: { type: 'ref/prompt', name: prompt }, argument: { name, value }, ...(context ? { context: { arguments: context } } : {}) })).completion;
  const principals = await complete('investigate_principal', 'principal', 'ca');
  expect(principals.values).toEqual(['carol@example.com']);
  const all = await complete('predict_next_actions', 'principal', '');
  expect(new Set(all.values)).toEqual(new Set(events.flatMap((e) => [e.principal.key, e.principal.name, e.principal.human].filter((v): v is string => !!v))));

  // Event sources, and event names narrowed by the source already chosen.
  const sources = await complete('what_changed', 'event_source', 'i');
  expect(sources.values).toEqual(['iam.amazonaws.com']);
  const times = await complete('what_changed', 'since', '-2');
  expect(times.values).toEqual(['-24h']);

  // SQL columns, nested struct fields included.
  const columns = await complete('sql_top_values', 'column', 'useridentity.a');
  expect(columns.values).toEqual(['useridentity.accesskeyid', 'useridentity.accountid', 'useridentity.arn']);

  const investigate = await client.getPrompt({ name: 'investigate_principal', arguments: { principal: 'alice', since: '-3d' } });
  expect(investigate.messages[0].role).toBe('user');
  expect(textOf(investigate)).toContain('lookup_cloudtrail_events {"username": "alice", "start_time": "-3d", "read_only": false}');
  const sql = await client.getPrompt({ name: 'sql_top_values', arguments: { column: 'eventname' } });
  expect(textOf(sql)).toMatch(/SELECT eventname AS value, count\(\*\) AS events FROM cloudtrail WHERE eventtime >= '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ' GROUP BY 1/);
  await expect(client.getPrompt({ name: 'investigate_principal', arguments: { principal: 'mallory' } })).rejects.toThrow(/unknown principal "mallory"/);
}
