import type { ContentBlock, ConverseStreamOutput, StopReason, TokenUsage } from '@aws-sdk/client-bedrock-runtime';

/** One assistant turn assembled from a ConverseStream response. */
export interface StreamedTurn {
  /** Content in block order, ready to go back to the model as the assistant message. */
  content: ContentBlock[];
  text: string;
  stopReason?: StopReason | string;
  usage?: TokenUsage;
  /** toolUseIds whose streamed input was not valid JSON, with the raw text. */
  badToolInput: Map<string, string>;
}

interface Pending {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input: string };
}

/**
 * Reads the event stream, passing text deltas to `onText` as they arrive, and rebuilds the message.
 * Tool input arrives as JSON string fragments that only parse once the block stops.
 */
export async function collectTurn(stream: AsyncIterable<ConverseStreamOutput>, onText: (chunk: string) => void): Promise<StreamedTurn> {
  const blocks = new Map<number, Pending>();
  const turn: StreamedTurn = { content: [], text: '', badToolInput: new Map() };
  for await (const ev of stream) {
    if (ev.contentBlockStart) {
      const i = ev.contentBlockStart.contentBlockIndex ?? 0;
      const tu = ev.contentBlockStart.start?.toolUse;
      if (tu) blocks.set(i, { toolUse: { toolUseId: tu.toolUseId ?? '', name: tu.name ?? '', input: '' } });
    } else if (ev.contentBlockDelta) {
      const i = ev.contentBlockDelta.contentBlockIndex ?? 0;
      const d = ev.contentBlockDelta.delta;
      const b = blocks.get(i) ?? {};
      blocks.set(i, b);
      if (typeof d?.text === 'string') {
        b.text = (b.text ?? '') + d.text;
        turn.text += d.text;
        if (d.text) onText(d.text);
      } else if (d?.toolUse && b.toolUse) b.toolUse.input += d.toolUse.input ?? '';
    } else if (ev.messageStop) {
      turn.stopReason = ev.messageStop.stopReason;
    } else if (ev.metadata) {
      turn.usage = ev.metadata.usage;
    }
  }
  for (const i of [...blocks.keys()].sort((a, b) => a - b)) {
    const b = blocks.get(i)!;
    if (b.toolUse) {
      const { toolUseId, name, input } = b.toolUse;
      let parsed: unknown = {};
      if (input.trim()) {
        try {
          parsed = JSON.parse(input);
        } catch {
          turn.badToolInput.set(toolUseId, input);
        }
      }
      turn.content.push({ toolUse: { toolUseId, name, input: parsed as never } });
    } else if (b.text) turn.content.push({ text: b.text });
  }
  return turn;
}

/** The same turn from a non-streamed Converse response; the text reaches `onText` in one piece. */
export function turnFromConverse(
  output: { message?: { content?: ContentBlock[] } } | undefined,
  stopReason: StopReason | string | undefined,
  usage: TokenUsage | undefined,
  onText: (chunk: string) => void,
): StreamedTurn {
  const content = (output?.message?.content ?? []).filter((b) => typeof b.text === 'string' || b.toolUse);
  const text = content.map((b) => b.text ?? '').join('');
  if (text) onText(text);
  return { content, text, stopReason, usage, badToolInput: new Map() };
}
