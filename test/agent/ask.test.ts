import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialsProviderError } from '@smithy/core/config';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ask, BedrockSetupError, cellWriter, createAgent, DEFAULT_MAX_TURNS, type AskOptions } from '../../agent/index.ts';
import { errorReply, startFakeBedrock, turn, type FakeBedrock, type FakeRequest, type Script } from '../support/fake-bedrock.ts';
import { connectCloudTrailMcp } from './mcp-fixture.ts';

const TOOL = 'get_cloudtrail_event_names';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

let mcp: Awaited<ReturnType<typeof connectCloudTrailMcp>>;
let fake: FakeBedrock | undefined;
beforeAll(async () => {
  mcp = await connectCloudTrailMcp();
});
afterAll(() => mcp.close());
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function withFake(script: Script): Promise<AskOptions> {
  fake = await startFakeBedrock(script);
  return { endpoint: fake.url, region: 'us-east-1', credentials: creds, env: {}, maxAttempts: 1 };
}

/** The toolResult blocks of the last user message in a Converse request. */
function toolResultsOf(req: FakeRequest): any[] {
  const last = req.body.messages.at(-1);
  expect(last.role).toBe('user');
  return last.content.map((c: any) => c.toolResult).filter(Boolean);
}

describe('agent.ask over ConverseStream with MCP tools', () => {
  it('streams text in order, runs the tool through MCP, feeds the result back and sums usage', async () => {
    const streamed: string[] = [];
    let releaseFirstTurn!: () => void;
    const firstChunkSeen = new Promise<void>((r) => (releaseFirstTurn = r));
    let serverFinishedTurn1 = false;
    const expectedTop = (await mcp.client.callTool({ name: TOOL, arguments: { top: 3 } })) as any;
    const listed = (await mcp.client.listTools()).tools;
    const statusText = ((await mcp.client.readResource({ uri: 'cloudtrail://status' })).contents[0] as { text: string }).text;
    const opts = await withFake([
      turn({
        text: ['Let me count ', 'the event names.'],
        // The server holds the rest of the turn until the client has shown the first chunk: proves real streaming.
        pauseAfterFirstText: async () => {
          await firstChunkSeen;
          serverFinishedTurn1 = true;
        },
        toolUse: { toolUseId: 'tooluse_1', name: TOOL, inputChunks: ['{"to', 'p"', ': 3}'] },
        usage: { inputTokens: 1200, outputTokens: 40 },
        assert: (req) => {
          // Every MCP tool is offered, with its JSON input schema and description.
          expect(req.body.toolConfig.tools.map((t: any) => t.toolSpec.name)).toEqual(listed.map((t) => t.name));
          for (const [i, t] of listed.entries()) {
            const { $schema: _s, ...schema } = t.inputSchema as Record<string, unknown>;
            expect(req.body.toolConfig.tools[i].toolSpec).toEqual({ name: t.name, description: t.description, inputSchema: { json: schema } });
          }
          expect(statusText.length).toBeGreaterThan(10);
          expect(req.body.system[0].text).toContain(statusText);
          expect(req.body.system[0].text).toContain(mcp.client.getInstructions()!);
          expect(req.body.system[0].text).toMatch(/CloudTrail analyst/);
          expect(req.body.system[0].text).toMatch(/eventID/);
          expect(req.body.system[0].text).toContain('cloudtrail://status');
          expect(req.body.messages).toEqual([{ role: 'user', content: [{ text: 'Which API calls are most common?' }] }]);
        },
      }),
      turn({
        text: ['Decrypt ', 'is the most ', 'common call.'],
        usage: { inputTokens: 1500, outputTokens: 25 },
        assert: (req) => {
          const assistant = req.body.messages[1];
          expect(assistant.role).toBe('assistant');
          expect(assistant.content).toEqual([{ text: 'Let me count the event names.' }, { toolUse: { toolUseId: 'tooluse_1', name: TOOL, input: { top: 3 } } }]);
          const [result] = toolResultsOf(req);
          expect(result.toolUseId).toBe('tooluse_1');
          expect(result.status).toBe('success');
          const body = result.content[0].json ?? JSON.parse(result.content[0].text);
          expect(body).toEqual(expectedTop.structuredContent ?? JSON.parse(expectedTop.content[0].text));
        },
      }),
    ]);
    const result = await ask(mcp.client, 'Which API calls are most common?', {
      ...opts,
      onText: (c) => {
        streamed.push(c);
        if (streamed.length === 1) {
          expect(serverFinishedTurn1).toBe(false);
          releaseFirstTurn();
        }
      },
    });
    expect(fake!.assertionFailures).toEqual([]);
    expect(streamed).toEqual(['Let me count ', 'the event names.', '\n\n', 'Decrypt ', 'is the most ', 'common call.']);
    expect(result.answer).toBe('Decrypt is the most common call.');
    expect(result.transcript).toBe('Let me count the event names.\n\nDecrypt is the most common call.');
    expect(result.turns).toBe(2);
    expect(result.stopReason).toBe('end_turn');
    expect(result.usage).toEqual({ inputTokens: 2700, outputTokens: 65, totalTokens: 2765 });
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ name: TOOL, input: { top: 3 }, isError: false });
    expect(result.toolCalls[0].ms).toBeGreaterThanOrEqual(0);
    // Default model for a us-* region is the US cross-region inference profile of Claude Sonnet 4.
    expect(fake!.requests.map((r) => [r.operation, r.modelId])).toEqual([
      ['converse-stream', 'us.anthropic.claude-sonnet-4-20250514-v1:0'],
      ['converse-stream', 'us.anthropic.claude-sonnet-4-20250514-v1:0'],
    ]);

    const bundle = (result as any)[Symbol.for('Jupyter.display')]();
    expect(bundle['text/markdown']).toMatch(/^Decrypt is the most common call\./);
    expect(bundle['text/markdown']).toContain(`| 1 | \`${TOOL}\` | \`{"top":3}\` |`);
    expect(bundle['text/markdown']).toContain('2,700 input + 65 output tokens');
    expect(bundle['text/plain']).toContain(`1. ${TOOL} {"top":3}`);
    expect(bundle['text/plain']).toContain('2 turns');
  });

  it('runs several tool uses of one turn and returns all results, in order, in one message', async () => {
    const opts = await withFake([
      turn({
        text: ['Two lookups.'],
        toolUses: [
          { toolUseId: 'm1', name: TOOL, inputChunks: ['{"top":1}'] },
          { toolUseId: 'm2', name: TOOL, inputChunks: ['{"top":', '2, "event_source": "iam.amazonaws.com"}'] },
        ],
        usage: { inputTokens: 10, outputTokens: 10 },
      }),
      turn({
        text: ['Done.'],
        usage: { inputTokens: 10, outputTokens: 10 },
        assert: (req) => {
          const results = toolResultsOf(req);
          expect(results.map((r) => [r.toolUseId, r.status])).toEqual([
            ['m1', 'success'],
            ['m2', 'success'],
          ]);
          const iam = results[1].content[0].json;
          expect(iam.event_names.length).toBeGreaterThan(0);
          expect(iam.event_names.every((n: any) => n.source === 'iam.amazonaws.com')).toBe(true);
        },
      }),
    ]);
    const result = await ask(mcp.client, 'q', opts);
    expect(fake!.assertionFailures).toEqual([]);
    expect(result.toolCalls.map((c) => c.input)).toEqual([{ top: 1 }, { top: 2, event_source: 'iam.amazonaws.com' }]);
  });

  it('returns tool failures to the model as error toolResults and keeps going', async () => {
    const opts = await withFake([
      turn({ toolUse: { toolUseId: 'bad_1', name: 'no_such_tool', inputChunks: ['{}'] }, usage: { inputTokens: 10, outputTokens: 5 } }),
      turn({ toolUse: { toolUseId: 'bad_2', name: TOOL, inputChunks: ['{"top": "lots"'] }, usage: { inputTokens: 20, outputTokens: 5 } }),
      turn({ toolUse: { toolUseId: 'bad_3', name: TOOL, inputChunks: ['{"top": "three"}'] }, usage: { inputTokens: 30, outputTokens: 5 } }),
      turn({ text: ['Sorry, the tools failed.'], usage: { inputTokens: 40, outputTokens: 5 } }),
    ]);
    const result = await ask(mcp.client, 'q', opts);
    expect(fake!.assertionFailures).toEqual([]);
    const [r1] = toolResultsOf(fake!.requests[1]);
    expect(r1).toMatchObject({ toolUseId: 'bad_1', status: 'error' });
    expect(r1.content[0].text).toMatch(/no_such_tool/);
    const [r2] = toolResultsOf(fake!.requests[2]);
    expect(r2).toMatchObject({ toolUseId: 'bad_2', status: 'error' });
    expect(r2.content[0].text).toMatch(/not valid JSON/);
    const [r3] = toolResultsOf(fake!.requests[3]);
    expect(r3).toMatchObject({ toolUseId: 'bad_3', status: 'error' });
    expect(result.toolCalls.map((c) => [c.name, c.isError])).toEqual([
      ['no_such_tool', true],
      [TOOL, true],
      [TOOL, true],
    ]);
    expect(result.answer).toBe('Sorry, the tools failed.');
    expect(result.usage.inputTokens).toBe(100);
  });

  it('stops at the turn limit with a clear notice (default 8, configurable)', async () => {
    const looping: Script = (_req, i) =>
      turn({ text: [`Looking (${i + 1}).`], toolUse: { toolUseId: `t${i}`, name: TOOL, inputChunks: ['{"top": 1}'] }, usage: { inputTokens: 100, outputTokens: 10 } });
    const opts = await withFake(looping);
    const result = await ask(mcp.client, 'loop forever', opts);
    expect(fake!.requests).toHaveLength(DEFAULT_MAX_TURNS);
    expect(DEFAULT_MAX_TURNS).toBe(8);
    expect(result.turns).toBe(8);
    expect(result.stopReason).toBe('turn_limit');
    // Tools of the last turn are not run: nobody would read their results.
    expect(result.toolCalls).toHaveLength(7);
    expect(result.answer).toMatch(/Stopped after 8 model turns/);
    expect(result.answer).toMatch(/maxTurns/);
    expect(result.usage).toEqual({ inputTokens: 800, outputTokens: 80, totalTokens: 880 });

    await fake!.close();
    const opts3 = await withFake(looping);
    const r3 = await ask(mcp.client, 'loop forever', { ...opts3, maxTurns: 3 });
    expect(fake!.requests).toHaveLength(3);
    expect(r3.stopReason).toBe('turn_limit');
    expect(r3.answer).toMatch(/Stopped after 3 model turns/);
  });

  it('works through the non-streaming Converse API too', async () => {
    const opts = await withFake([
      turn({ toolUse: { toolUseId: 'c1', name: TOOL, inputChunks: ['{"top": 2}'] }, usage: { inputTokens: 50, outputTokens: 5 } }),
      turn({
        text: ['Two names.'],
        usage: { inputTokens: 70, outputTokens: 3 },
        assert: (req) => expect(toolResultsOf(req)[0]).toMatchObject({ toolUseId: 'c1', status: 'success' }),
      }),
    ]);
    const chunks: string[] = [];
    const result = await ask(mcp.client, 'q', { ...opts, stream: false, onText: (c) => chunks.push(c) });
    expect(fake!.assertionFailures).toEqual([]);
    expect(fake!.requests.map((r) => r.operation)).toEqual(['converse', 'converse']);
    expect(chunks).toEqual(['Two names.']);
    expect(result.usage.totalTokens).toBe(128);
    expect(result.toolCalls[0]).toMatchObject({ name: TOOL, input: { top: 2 }, isError: false });
  });

  it('uses the configured model id and region-specific default profiles', async () => {
    const opts = await withFake([turn({ text: ['ok'], usage: { inputTokens: 1, outputTokens: 1 } }), turn({ text: ['ok'], usage: { inputTokens: 1, outputTokens: 1 } })]);
    await ask(mcp.client, 'q', { ...opts, region: undefined, env: { TRAILBOOK_BEDROCK_REGION: 'ap-southeast-2' } });
    await ask(mcp.client, 'q', { ...opts, env: { TRAILBOOK_BEDROCK_MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0' } });
    expect(fake!.requests.map((r) => r.modelId)).toEqual(['apac.anthropic.claude-sonnet-4-20250514-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0']);
    // SigV4 scope names the resolved region and the bedrock service.
    expect(fake!.requests[0].headers.authorization).toMatch(/\/ap-southeast-2\/bedrock\/aws4_request/);
  });
});

describe('agent.ask configuration errors', () => {
  const guidance = /TRAILBOOK_BEDROCK_REGION[\s\S]*TRAILBOOK_BEDROCK_MODEL_ID/;

  it('explains AccessDeniedException (403) with model access and IAM guidance', async () => {
    const opts = await withFake([errorReply(403, 'AccessDeniedException', "You don't have access to the model with the specified model ID.")]);
    const err = await ask(mcp.client, 'q', opts).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(BedrockSetupError);
    expect(err.kind).toBe('access');
    expect(err.message).toContain("You don't have access to the model");
    expect(err.message).toContain('bedrock:InvokeModelWithResponseStream');
    expect(err.message).toMatch(/Model access/);
    expect(err.message).toContain('us.anthropic.claude-sonnet-4-20250514-v1:0');
    expect(err.message).toMatch(guidance);
    expect(err.cause?.name).toBe('AccessDeniedException');
  });

  it('explains an unknown model id (ValidationException / ResourceNotFoundException)', async () => {
    const opts = await withFake([
      errorReply(400, 'ValidationException', 'The provided model identifier is invalid.'),
      errorReply(404, 'ResourceNotFoundException', 'Model not found.'),
    ]);
    const e1 = await ask(mcp.client, 'q', { ...opts, modelId: 'nope.model' }).catch((e) => e);
    expect(e1).toBeInstanceOf(BedrockSetupError);
    expect(e1.kind).toBe('model');
    expect(e1.message).toMatch(/cannot use model nope\.model in region us-east-1/);
    expect(e1.message).toMatch(guidance);
    const e2 = await ask(mcp.client, 'q', { ...opts, modelId: 'nope.model' }).catch((e) => e);
    expect(e2.kind).toBe('model');
  });

  it('explains missing credentials from a failing credentials provider without calling Bedrock', async () => {
    const opts = await withFake([turn({ text: ['never'], usage: { inputTokens: 1, outputTokens: 1 } })]);
    const failing = async () => {
      throw new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false });
    };
    const err = await ask(mcp.client, 'q', { ...opts, credentials: failing }).catch((e) => e);
    expect(err).toBeInstanceOf(BedrockSetupError);
    expect(err.kind).toBe('credentials');
    expect(err.message).toMatch(/no AWS credentials were found/);
    expect(err.message).toMatch(/AWS_PROFILE/);
    expect(err.message).toMatch(/AWS_ACCESS_KEY_ID/);
    expect(err.message).toContain('bedrock:InvokeModelWithResponseStream');
    expect(fake!.requests).toHaveLength(0);
  });

  it('explains missing credentials from the default provider chain with an empty environment', async () => {
    const opts = await withFake([turn({ text: ['never'], usage: { inputTokens: 1, outputTokens: 1 } })]);
    const saved = { ...process.env };
    const empty = mkdtempSync(join(tmpdir(), 'no-aws-'));
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && k !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') delete process.env[k];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: join(empty, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
      // Keeps the chain off the network: no instance metadata service here.
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      const err = await ask(mcp.client, 'q', { ...opts, credentials: undefined }).catch((e) => e);
      expect(err).toBeInstanceOf(BedrockSetupError);
      expect(err.kind).toBe('credentials');
      expect(fake!.requests).toHaveLength(0);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('passes other service errors through unchanged, including errors inside the stream', async () => {
    const opts = await withFake([
      {
        kind: 'turn',
        items: [
          { event: 'messageStart', payload: { role: 'assistant' } },
          { event: 'contentBlockDelta', payload: { delta: { text: 'Partial' }, contentBlockIndex: 0 } },
          { exception: 'modelStreamErrorException', message: 'The model stream failed.' },
        ],
      },
    ]);
    const chunks: string[] = [];
    const err = await ask(mcp.client, 'q', { ...opts, onText: (c) => chunks.push(c) }).catch((e) => e);
    expect(chunks).toEqual(['Partial']);
    expect(err).not.toBeInstanceOf(BedrockSetupError);
    expect(err.name).toBe('ModelStreamErrorException');
    expect(err.message).toMatch(/model stream failed/);
  });

  it('rejects a missing question or bad options before calling anything', async () => {
    await expect(ask(mcp.client, '  ')).rejects.toThrow(/question must be a non-empty string/);
    await expect(ask(mcp.client, 'q', { maxTurns: 0 })).rejects.toThrow(/bad options[\s\S]*maxTurns/);
  });
});

describe('createAgent (the kernel global)', () => {
  it('streams text and tool-call lines to the cell writer and exposes the target', async () => {
    const opts = await withFake([
      turn({ text: ['Checking.'], toolUse: { toolUseId: 'k1', name: TOOL, inputChunks: ['{"top":1}'] }, usage: { inputTokens: 5, outputTokens: 5 } }),
      turn({ text: ['Done.'], usage: { inputTokens: 5, outputTokens: 5 } }),
    ]);
    const out: string[] = [];
    const agent = createAgent({ mcp: async () => mcp.client, write: (c) => out.push(c), defaults: opts, env: {} });
    const result = await agent.ask('what?');
    expect(result.answer).toBe('Done.');
    const text = out.join('');
    expect(text).toMatch(/^Checking\.\n· get_cloudtrail_event_names \{"top":1\} → ok \(\d+ ms\)\n\nDone\.$/);
    expect(agent.target({ region: 'eu-central-1' })).toMatchObject({ region: 'eu-central-1', modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0' });
  });
});

describe('cellWriter', () => {
  it('puts tool lines on their own line and keeps at most one blank line between turns', () => {
    const out: string[] = [];
    const w = cellWriter((c) => out.push(c));
    const call = { name: 't', input: { a: 1 }, isError: false, ms: 3 };
    w.text('\n\nHello');
    w.toolCall(call);
    w.toolCall({ ...call, isError: true, error: 'boom' });
    w.text('\n\n');
    w.text('Answer.\n');
    w.text('\n\n\nMore');
    expect(out.join('')).toBe('Hello\n· t {"a":1} → ok (3 ms)\n· t {"a":1} → error: boom (3 ms)\n\nAnswer.\n\nMore');
  });
});
