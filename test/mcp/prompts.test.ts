import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { expect, it } from 'vitest';
import type { EventStore } from '../../cloudtrail/query.ts';
import { MemoryStore } from '../../cloudtrail/stores/memory.ts';
import { connectInProcess, fixtureEvents } from './helpers.ts';
import { checkPromptsAndCompletions } from './prompts-check.ts';
import { fixtureRecords } from './fixture.ts';

it('offers prompts whose arguments complete from the data (in-process client)', async () => {
  const { client, close } = await connectInProcess();
  try {
    expect(client.getServerCapabilities()).toMatchObject({ prompts: {}, completions: {}, logging: {} });
    await checkPromptsAndCompletions(client, fixtureRecords());
    // Names of one service only, once the client says which service was chosen.
    const names = await client.complete({ ref: { type: 'ref/prompt', name: 'what_changed' }, argument: { name: 'event_source', value: '' } });
    expect(names.completion.values).toEqual(['ec2.amazonaws.com', 'iam.amazonaws.com', 's3.amazonaws.com', 'sts.amazonaws.com']);
    // A prompt or argument the server does not have completes to nothing, not to an error.
    for (const ref of [{ name: 'no_such_prompt', arg: 'principal' }, { name: 'investigate_principal', arg: 'colour' }]) {
      const r = await client.complete({ ref: { type: 'ref/prompt', name: ref.name }, argument: { name: ref.arg, value: 'a' } });
      expect(r.completion).toEqual({ values: [], total: 0, hasMore: false });
    }
    await expect(client.getPrompt({ name: 'sql_top_values', arguments: { column: 'eventname; DROP TABLE x' } })).rejects.toThrow(/column must be a column of the cloudtrail table/);
    await expect(client.getPrompt({ name: 'what_changed', arguments: { since: 'last tuesday' } })).rejects.toThrow(/since "last tuesday" is not a time/);
    const changed = await client.getPrompt({ name: 'what_changed', arguments: { event_source: 'iam.amazonaws.com' } });
    expect(changed.messages[0].content).toMatchObject({ type: 'text', text: expect.stringContaining('"start_time": "-24h", "read_only": false, "event_source": "iam.amazonaws.com"') });
  } finally {
    await close();
  }
});

it('completes only fixed lists for remote sources, which would need a query per keystroke', async () => {
  const inner = new MemoryStore(fixtureEvents());
  const remote: EventStore = { kind: 'lookup', query: (q) => inner.query(q), scan: (f) => inner.scan(f), eventNames: (q) => inner.eventNames(q), status: () => inner.status() };
  const { client, close } = await connectInProcess(remote);
  try {
    const principal = await client.complete({ ref: { type: 'ref/prompt', name: 'investigate_principal' }, argument: { name: 'principal', value: 'a' } });
    expect(principal.completion.values).toEqual([]);
    const since = await client.complete({ ref: { type: 'ref/prompt', name: 'investigate_principal' }, argument: { name: 'since', value: '-' } });
    expect(since.completion.values).toEqual(['-1h', '-6h', '-24h', '-7d', '-14d', '-30d']);
  } finally {
    await close();
  }
});

it('sends the progress of building the index as log messages, at the level the client set', async () => {
  for (const [level, expected] of [['info', true], ['warning', false]] as const) {
    const { client, close } = await connectInProcess(new MemoryStore(fixtureEvents()));
    const logs: { level: string; logger?: string; data: unknown }[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    try {
      await client.setLoggingLevel(level);
      // The first aggregate call builds this store's index.
      const r = await client.callTool({ name: 'get_cloudtrail_event_names', arguments: {} });
      expect(r.isError).toBeFalsy();
      await new Promise((done) => setTimeout(done, 50));
      const indexing = logs.filter((l) => /^index \d+\/240$/.test(String(l.data)));
      expect(indexing.length > 0, `level ${level}`).toBe(expected);
      if (expected) expect(indexing.at(-1)).toEqual({ level: 'info', logger: 'trailbook', data: 'index 240/240' });
    } finally {
      await close();
    }
  }
});
