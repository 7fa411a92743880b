import { loadavg } from 'node:os';

/** The load average of the last 1, 5 and 15 minutes, for figures taken on a shared machine. */
export const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Prints, per stage, the median time from the previous stage's mark (and the whole), over the calls after the
 * first few (JIT); rows missing a mark are left out. Used by the stage probes (lookup-stages.mts, client-stages.mts).
 */
export function stageTable(title: string, stages: string[], rows: Record<string, number>[], cpuPerCall: number, width = 44): void {
  const kept = rows.slice(5).filter((r) => stages.every((s) => r[s] !== undefined));
  console.log(`${title}: medians of ${kept.length} calls (ms from the previous mark); load average ${load()}`);
  for (let i = 1; i < stages.length; i++) {
    console.log(`  ${`${stages[i - 1]} -> ${stages[i]}`.padEnd(width)} ${median(kept.map((r) => r[stages[i]] - r[stages[i - 1]])).toFixed(3).padStart(8)}`);
  }
  console.log(`  ${'whole'.padEnd(width)} ${median(kept.map((r) => r[stages.at(-1)!] - r[stages[0]])).toFixed(3).padStart(8)}`);
  console.log(`  ${'CPU of this process per call'.padEnd(width)} ${cpuPerCall.toFixed(3).padStart(8)}`);
}
