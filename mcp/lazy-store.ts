import type { EventStore, ProgressReport, SourceKind } from '../cloudtrail/query.ts';
import { onceUntilFailure } from './once.ts';

/**
 * An EventStore that opens its source on first use. Over stdio the MCP handshake then completes at once
 * while a large dataset loads (or the sample dataset is generated); tool calls wait for it. A failed open
 * is reported by each call as an error result and retried on the next one, so the server stays usable.
 */
export function lazyStore(
  kind: SourceKind,
  open: (onProgress: (p: ProgressReport) => void) => Promise<EventStore>,
): EventStore & { opened(): Promise<EventStore>; onLoadProgress(listener: (p: ProgressReport) => void): () => void } {
  // Whoever is connected hears how the load goes (a million events take a while); see mcp/stdio.ts.
  const listeners = new Set<(p: ProgressReport) => void>();
  const opened = onceUntilFailure(() => open((p) => listeners.forEach((l) => l(p))));
  return {
    kind,
    opened,
    onLoadProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    query: async (q, o) => (await opened()).query(q, o),
    async *scan(f, o) {
      yield* (await opened()).scan(f, o);
    },
    eventNames: async (q, o) => (await opened()).eventNames(q, o),
    status: async () => (await opened()).status(),
    async close() {
      const store = await opened.current()?.catch(() => undefined);
      await store?.close?.();
    },
  };
}
