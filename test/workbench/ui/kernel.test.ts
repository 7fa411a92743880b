import { describe, expect, it } from 'vitest';
import { cellTooLarge, formatMb, messageOverLimit, wireBytes } from '../../../workbench/message-limit.ts';
import { closeNotice, refuseOversized } from '../../../workbench/ui/kernel.ts';

const MB = 1024 * 1024;

describe('the kernel message limit in the browser', () => {
  it('formats sizes so that over the limit never reads as equal to it', () => {
    expect(formatMb(4 * MB)).toBe('4 MB');
    expect(formatMb(4.4 * MB + 100)).toBe('4.4 MB');
    expect(cellTooLarge(4.4 * MB, 4 * MB)).toBe('cell too large: 4.4 MB, limit 4 MB');
    expect(cellTooLarge(4 * MB + 1, 4 * MB)).toBe('cell too large: just over 4 MB, limit 4 MB');
    expect(Buffer.byteLength(messageOverLimit(1024 * MB))).toBeLessThanOrEqual(123); // a WebSocket close reason
    expect(wireBytes('é€')).toBe(5);
  });

  it('answers an oversized cell itself, as a failed cell with the size and limit, instead of sending it', () => {
    const code = 'x'.repeat(4.4 * MB);
    const message = { type: 'execute' as const, cellId: 'big', code };
    const replies = refuseOversized(message, wireBytes(JSON.stringify(message)), 4 * MB)!;
    expect(replies).toHaveLength(2);
    expect(replies[0]).toMatchObject({ type: 'output', cellId: 'big', output: { output_type: 'error', ename: 'CellTooLarge' } });
    expect(JSON.stringify(replies[0])).toContain('cell too large: 4.4 MB, limit 4 MB');
    expect(replies[1]).toEqual({ type: 'reply', cellId: 'big', status: 'error', executionCount: null, durationMs: 0 });
    expect(refuseOversized({ type: 'execute', cellId: 'ok', code: '1' }, 40, 4 * MB)).toBeUndefined();
    expect(refuseOversized({ type: 'interrupt' }, 5 * MB, 4 * MB)).toBeUndefined();
  });

  it('tells the user why the server closed the connection, and stays quiet on ordinary drops', () => {
    expect(closeNotice(1009, messageOverLimit(4 * MB))).toBe('The kernel connection was closed: message too large: over the 4 MB limit (TRAILBOOK_MAX_MESSAGE_MB). Reconnecting…');
    expect(closeNotice(1007, '')).toMatch(/invalid data/);
    expect(closeNotice(1006, '')).toBeUndefined();
    expect(closeNotice(1000, '')).toBeUndefined();
  });
});
