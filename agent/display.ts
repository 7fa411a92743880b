/** The rich-display hook the kernel looks for: a method returning a MIME bundle. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for('Jupyter.display');

import type { ToolCallRecord } from './tools.ts';

export interface DisplaySource {
  answer: string;
  toolCalls: ToolCallRecord[];
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  turns: number;
  stopReason: string;
  modelId: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function compactInput(input: unknown, max = 80): string {
  let s: string;
  try {
    s = JSON.stringify(input) ?? '';
  } catch {
    s = String(input);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function footer(r: DisplaySource): string {
  const u = r.usage;
  return `${u.inputTokens.toLocaleString('en-US')} input + ${u.outputTokens.toLocaleString('en-US')} output tokens · ${r.turns} turn${r.turns === 1 ? '' : 's'} · ${r.modelId} · stop: ${r.stopReason}`;
}

/** The answer, then the tool calls as a small table and the token count. */
export function toMarkdown(r: DisplaySource): string {
  const parts = [r.answer.trim() || '_(no answer)_', '', '---'];
  if (r.toolCalls.length) {
    parts.push('', '| # | tool | input | ms | status |', '|---|---|---|---:|---|');
    r.toolCalls.forEach((c, i) => {
      const status = c.isError ? `error${c.error ? `: ${cell(c.error.slice(0, 80))}` : ''}` : 'ok';
      parts.push(`| ${i + 1} | \`${cell(c.name)}\` | \`${cell(compactInput(c.input))}\` | ${c.ms} | ${status} |`);
    });
  } else parts.push('', '_No tool calls._');
  parts.push('', `<sub>${footer(r)}</sub>`);
  return parts.join('\n');
}

export function toPlain(r: DisplaySource): string {
  const lines = [r.answer.trim() || '(no answer)', ''];
  if (r.toolCalls.length) {
    lines.push(`Tool calls (${r.toolCalls.length}):`);
    r.toolCalls.forEach((c, i) => lines.push(`  ${i + 1}. ${c.name} ${compactInput(c.input)} ${c.ms} ms${c.isError ? ' ERROR' : ''}`));
  } else lines.push('Tool calls: none');
  lines.push(`Tokens: ${footer(r)}`);
  return lines.join('\n');
}
