import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system, ms) a process has used so far, from /proc (Linux; NaN elsewhere): on a
 * loaded machine wall times mostly measure the wait for a core, CPU time what the code itself costs.
 */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks, 100 per second on Linux
  } catch {
    return Number.NaN;
  }
}

/** This process's CPU time (ms, every thread: the type checker's worker too). */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The 1-minute load average, for the line that says how busy the machine was. */
export const loadLine = (): string => {
  try {
    return `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`;
  } catch {
    return 'load average unknown';
  }
};

/**
 * CPU time (ms) of this process's threads running at a lowered priority: the type checker's thread
 * (kernel/typecheck/worker.ts renices itself when background work starts it). Linux only; 0 elsewhere.
 */
export function nicedThreadsCpuMs(): number {
  let total = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(fields[16]) > 0) total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    }
  } catch {
    // not Linux, or a thread ended while read
  }
  return total;
}
