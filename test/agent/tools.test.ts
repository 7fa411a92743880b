import { describe, expect, it } from 'vitest';
import { toolResultContent } from '../../agent/tools.ts';

describe('toolResultContent', () => {
  it('sends structured output as json and text parts as text', () => {
    expect(toolResultContent({ content: [{ type: 'text', text: '{"a":1}' }], structuredContent: { a: 1 } }, 1000)).toEqual([{ json: { a: 1 } }]);
    expect(toolResultContent({ content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }, 1000)).toEqual([{ text: 'one' }, { text: 'two' }]);
  });

  it('caps oversized results and tells the model, and never sends an empty result', () => {
    const big = { events: Array.from({ length: 500 }, (_, i) => ({ id: `e${i}`, name: 'GetObject' })) };
    const [block] = toolResultContent({ content: [], structuredContent: big }, 2000);
    expect(block.json).toBeUndefined();
    expect(block.text!.length).toBeLessThan(2200);
    expect(block.text).toMatch(/truncated \d+ of \d+ characters; narrow the query/);
    expect(toolResultContent({ content: [] }, 1000)).toEqual([{ text: '(the tool returned no content)' }]);
    expect(toolResultContent({ content: [{ type: 'image', data: 'xx', mimeType: 'image/png' }] }, 1000)).toEqual([{ text: '[image content omitted]' }]);
  });
});
