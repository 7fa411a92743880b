import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The real `trailbook` command as a child process, its stdout and stderr collected together. */

const CLI = resolve(import.meta.dirname, '../../cli/trailbook.js');

export function runCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, output: () => output };
}

/** Waits for `trailbook serve` to print its URL; the match, or null when it exited or took too long. */
export async function servedUrl(server: ReturnType<typeof runCli>, timeoutMs = 60_000): Promise<RegExpMatchArray | null> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => (exited = true));
  let match: RegExpMatchArray | null = null;
  // Never a token in the URL; a generated one is printed on its own line after "paste this token" (match[2]),
  // one from TRAILBOOK_TOKEN is never printed.
  while (!(match = server.output().match(/running at (http:\/\/127\.0\.0\.1:\d+)\/(?:\s+Sign in: paste this token into the login form:\s+([0-9a-zA-Z-]+))?/)) && !exited && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return match;
}
