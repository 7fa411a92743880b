import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QuietQueue } from '../../../kernel/typecheck/quiet-queue.ts';

/** Work put off until the kernel is quiet, on a fake clock. */

describe('QuietQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs its tasks, in order, once nothing has touched it for the quiet time', () => {
    const queue = new QuietQueue(100);
    const ran: string[] = [];
    queue.add(() => ran.push('a'));
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(60);
      queue.touch(); // a cell started or ended
    }
    queue.add(() => ran.push('b'));
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(99);
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ran).toEqual(['a', 'b']);
    expect(queue.pending).toBe(0);
  });

  it('cancels instead of running when told to, and does nothing after', () => {
    const queue = new QuietQueue(100);
    const ran: string[] = [];
    queue.add(() => ran.push('run'), () => ran.push('cancelled'));
    queue.cancel();
    vi.advanceTimersByTime(1000);
    expect(ran).toEqual(['cancelled']);
  });

  it('runs everything at once on flush', () => {
    const queue = new QuietQueue(100);
    const ran: number[] = [];
    queue.add(() => ran.push(1));
    queue.add(() => ran.push(2));
    queue.flush();
    expect(ran).toEqual([1, 2]);
    vi.advanceTimersByTime(1000);
    expect(ran).toEqual([1, 2]);
  });
});
