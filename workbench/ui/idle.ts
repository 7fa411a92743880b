/**
 * When to do deferred work on the page without making what a person does wait for it. Long tasks
 * (Monaco's evaluation takes a few hundred ms of one core, and cannot be split) hold every key and
 * click behind them; these helpers place them after the first paint and between a person's inputs.
 */

/** Resolves at the browser's next idle moment, or after `timeout` ms of steady work. */
export function nextIdle(timeout = 200): Promise<IdleDeadline | undefined> {
  return new Promise((resolve) => {
    if ('requestIdleCallback' in window) requestIdleCallback((deadline) => resolve(deadline), { timeout });
    else setTimeout(() => resolve(undefined), 0);
  });
}

/** Resolves after the next frame has been produced (the one after it has started). */
export const afterPaint = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

// Counted from the moment the app starts, so a click made while the notebook was still loading counts.
let lastInput = -Infinity;
for (const type of ['keydown', 'pointerdown', 'input', 'wheel'] as const) {
  document.addEventListener(type, () => (lastInput = performance.now()), { capture: true, passive: true });
}

/**
 * Resolves once the page has painted, the main thread is idle and nobody has pressed a key, clicked
 * or scrolled for `quietMs`; at the latest `maxMs` after the call (someone typing without a pause
 * then meets one delay, the keys queue: none is lost).
 */
export async function whenQuiet(quietMs = 400, maxMs = 4000): Promise<void> {
  const deadline = performance.now() + maxMs;
  await afterPaint();
  for (;;) {
    await nextIdle(quietMs);
    const now = performance.now();
    const wait = Math.min(quietMs - (now - lastInput), deadline - now);
    if (wait <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
