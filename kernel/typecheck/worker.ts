import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { CellLanguageService, type CellDiagnostic } from '../jupyter/language.ts';
import { generatePreludeTypes } from '../prelude/index.ts';

/**
 * The type checker's thread (see checker.ts): one TypeScript language service per kernel directory,
 * with the kernel's globals (Node's and the prelude's declarations) and the cells run so far. Loading
 * TypeScript and its lib files costs a second or more of CPU once; a check after that costs a few ms.
 */

export type CheckRequest = { id: number; cwd: string; cells: string[]; code: string };
export type CheckReply = { id: number; diagnostics: CellDiagnostic[] } | { id: number; error: string };
export type WorkerData = { nice: number };

/**
 * Lowers this thread's priority only (Linux: setpriority on the thread id, which /proc/thread-self
 * names). Elsewhere, or if refused, the checks simply run at normal priority.
 */
function renice(nice: number) {
  if (!nice) return;
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch {
    // not Linux, or not allowed: normal priority
  }
}
renice((workerData as WorkerData | undefined)?.nice ?? 0);

const services = new Map<string, Promise<CellLanguageService>>();

function service(cwd: string): Promise<CellLanguageService> {
  let s = services.get(cwd);
  if (!s) {
    s = generatePreludeTypes().then((types) => CellLanguageService.create(types, cwd, 'node'));
    s.catch(() => services.delete(cwd));
    services.set(cwd, s);
  }
  return s;
}

parentPort!.on('message', async (m: CheckRequest) => {
  let reply: CheckReply;
  try {
    reply = { id: m.id, diagnostics: (await service(m.cwd)).diagnostics({ cells: m.cells }, m.code) };
  } catch (err) {
    reply = { id: m.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
