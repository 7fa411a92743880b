import { runInThisContext, Script } from 'node:vm';
import { interruptFlag, SIGNALLED, SYNC_PART } from '../../../kernel/child/interrupt-pipe.ts';
import { runSynchronousPart } from '../../../kernel/child/sync-part.ts';

/**
 * Run by sync-part.test.ts in a process of its own (it signals itself). Each cycle: a synchronous part
 * is interrupted just as it ends, then the next part runs with no interrupt asked for. Prints how many
 * first parts were interrupted and how many next parts were stopped all the same.
 * `plain`: the parts run straight under breakOnSigint, as the kernel did before sync-part.ts.
 */

const [cyclesArg, mode] = process.argv.slice(2);
const cycles = Number(cyclesArg);
process.on('SIGINT', () => {}); // as the kernel: a SIGINT between parts is ignored

// What the interrupt worker does when the host interrupts `exec` (interrupt-pipe.ts). Here the part
// raises it itself and ends at once, before Node's watchdog thread can have taken the signal.
Object.assign(globalThis, {
  interruptNow(exec: number) {
    if (mode === 'plain') process.kill(process.pid, 'SIGINT');
    else if (Atomics.compareExchange(interruptFlag, SYNC_PART, exec, SIGNALLED) === exec) process.kill(process.pid, 'SIGINT');
  },
});

const run = (code: string, exec: number) => (mode === 'plain' ? runInThisContext(code, { breakOnSigint: true }) : runSynchronousPart(new Script(code), exec));
const stopped = (f: () => void) => {
  try {
    f();
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw err;
    return true;
  }
};

let interrupted = 0;
let stray = 0;
for (let exec = 1; exec < 2 * cycles; exec += 2) {
  if (stopped(() => run(`interruptNow(${exec}); "ended"`, exec))) interrupted++;
  await new Promise((resolve) => setTimeout(resolve, 5));
  if (stopped(() => run('{ const until = Date.now() + 5; while (Date.now() < until); }', exec + 1))) stray++;
}
console.log(JSON.stringify({ interrupted, stray }));
