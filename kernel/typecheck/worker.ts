import { parentPort } from 'node:worker_threads';
import { CellLanguageService, type CellDiagnostic } from '../jupyter/language.ts';
import { generatePreludeTypes } from '../prelude/index.ts';

/**
 * The type checker's thread (see checker.ts): one TypeScript language service per kernel directory,
 * with the kernel's globals (Node's and the prelude's declarations) and the cells run so far. Loading
 * TypeScript and its lib files costs a second or more of CPU once; a check after that costs a few ms.
 */

export type CheckRequest = { id: number; cwd: string; cells: string[]; code: string };
export type CheckReply = { id: number; diagnostics: CellDiagnostic[] } | { id: number; error: string };

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
