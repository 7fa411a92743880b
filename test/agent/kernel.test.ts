import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKernelHost } from '../../kernel/host.ts';
import type { KernelHandle, KernelHost } from '../../kernel/protocol.ts';
import type { Output } from '../../notebook/format.ts';
import { errorReply, startFakeBedrock, turn, type FakeBedrock, type FakeReply } from '../support/fake-bedrock.ts';
import { INVICTUS } from '../fixtures/cloudtrail/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const TOOL = 'get_cloudtrail_event_names';

let host: KernelHost;
let kernel: KernelHandle;
let fake: FakeBedrock;
let script: FakeReply[];

beforeAll(async () => {
  script = [];
  // One fake for the file; each test replaces the script entries it needs.
  fake = await startFakeBedrock((req, i) => script[i] ?? errorReply(400, 'ValidationException', `fake-bedrock: no reply ${i}`));
  host = createKernelHost();
  kernel = await host.start({
    cwd: ROOT,
    env: {
      TRAILBOOK_SOURCE: 'files',
      TRAILBOOK_DATA_DIR: INVICTUS,
      TRAILBOOK_BEDROCK_ENDPOINT: fake.url,
      TRAILBOOK_BEDROCK_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '1',
    },
  });
});
afterAll(async () => {
  await host.shutdownAll();
  await fake.close();
});
afterEach(() => {
  fake.requests.length = 0;
  script.length = 0;
});

const streamText = (outputs: Output[]) =>
  outputs.map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? (Array.isArray(o.text) ? o.text.join('') : o.text) : '')).join('');

describe('the kernel `agent` global', () => {
  it('streams the answer into the running cell and displays tool calls and tokens', async () => {
    let release!: () => void;
    const shown = new Promise<void>((r) => (release = r));
    script.push(
      turn({
        text: ['Let me count ', 'the event names.'],
        pauseAfterFirstText: () => shown,
        toolUse: { toolUseId: 'k_1', name: TOOL, inputChunks: ['{"top"', ': 2}'] },
        usage: { inputTokens: 900, outputTokens: 30 },
      }),
      turn({
        text: ['Decrypt leads.'],
        usage: { inputTokens: 1100, outputTokens: 10 },
        assert: (req) => {
          const result = req.body.messages.at(-1).content[0].toolResult;
          if (result.toolUseId !== 'k_1' || result.status !== 'success') throw new Error(`bad toolResult ${JSON.stringify(result)}`);
          if (!JSON.stringify(result.content).includes('Decrypt')) throw new Error('tool result lacks the dataset\'s top event');
        },
      }),
    );
    const live: string[] = [];
    const reply = await kernel.execute({
      code: "const r = await agent.ask('Which API calls are most common?');\nr",
      onOutput: (o) => {
        if (o.output_type !== 'stream') return;
        live.push(Array.isArray(o.text) ? o.text.join('') : o.text);
        // The model's first words reached the cell while Bedrock was still streaming the turn.
        if (live.join('').includes('Let me count')) release();
      },
    });
    expect(reply.status).toBe('ok');
    expect(fake.assertionFailures).toEqual([]);
    expect(fake.requests.map((r) => r.modelId)).toEqual(['eu.anthropic.claude-sonnet-4-20250514-v1:0', 'eu.anthropic.claude-sonnet-4-20250514-v1:0']);
    const text = streamText(reply.outputs);
    expect(text).toMatch(/^Let me count the event names\.\n· get_cloudtrail_event_names \{"top":2\} → ok \(\d+ ms\)\n\nDecrypt leads\.$/);
    const result = reply.outputs.find((o) => o.output_type === 'execute_result');
    expect(result?.output_type).toBe('execute_result');
    const data = (result as { data: Record<string, string | string[]> }).data;
    const md = [data['text/markdown']].flat().join('');
    expect(md).toMatch(/^Decrypt leads\./);
    expect(md).toContain(`| 1 | \`${TOOL}\` | \`{"top":2}\` |`);
    expect(md).toContain('2,000 input + 40 output tokens');
  });

  it('shows Bedrock access problems as a normal cell error with guidance, and the kernel keeps working', async () => {
    script.push(errorReply(403, 'AccessDeniedException', 'You are not authorized to perform: bedrock:InvokeModelWithResponseStream'));
    const reply = await kernel.execute({ code: "await agent.ask('anything')" });
    expect(reply.status).toBe('error');
    const err = reply.outputs.find((o) => o.output_type === 'error') as { ename: string; evalue: string } | undefined;
    expect(err?.ename).toBe('BedrockSetupError');
    expect(err?.evalue).toMatch(/Access denied by Amazon Bedrock/);
    expect(err?.evalue).toMatch(/Model access/);
    expect(err?.evalue).toContain('TRAILBOOK_BEDROCK_MODEL_ID');
    const after = await kernel.execute({ code: "agent.target().modelId + ' ' + (await cloudtrail.eventNames({ top: 1 }))[0].name" });
    expect(after.status).toBe('ok');
    const plain = (after.outputs.find((o) => o.output_type === 'execute_result') as { data: Record<string, unknown> }).data['text/plain'];
    expect(String(plain)).toContain('eu.anthropic.claude-sonnet-4-20250514-v1:0 Decrypt');
  });

  it('stops the Bedrock conversation when the cell is interrupted', async () => {
    let release!: () => void;
    const never = new Promise<void>((r) => (release = r));
    script.push(turn({ text: ['Thinking', ' forever'], pauseAfterFirstText: () => never, usage: { inputTokens: 1, outputTokens: 1 } }));
    let sawText!: () => void;
    const started = new Promise<void>((r) => (sawText = r));
    const running = kernel.execute({
      code: "await agent.ask('slow question')",
      onOutput: (o) => {
        if (o.output_type === 'stream') sawText();
      },
    });
    await started;
    await kernel.interrupt();
    const reply = await running;
    expect(reply.status).toBe('aborted');
    // The kernel closed the abandoned stream instead of reading on in the background.
    await expect.poll(() => fake.abandoned, { timeout: 5000 }).toBeGreaterThan(0);
    release();
    const after = await kernel.execute({ code: '1 + 1' });
    expect(after.status).toBe('ok');
    expect(fake.requests).toHaveLength(1);
  });
});
