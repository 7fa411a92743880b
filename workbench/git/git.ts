import { spawn } from 'node:child_process';

/**
 * The git CLI, run with an argument array (never a shell) in one working copy. The environment is the
 * process's minus anything that would point git at another repository, plus what the caller adds
 * (credentials as GIT_CONFIG_* variables, author and committer): nothing is ever written to .git/config
 * that a person did not put there, and no credential ever appears on a command line or in a URL.
 */

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args[0]} failed${code === null ? '' : ` (exit ${code})`}: ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`);
  }
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-base --is-ancestor`). */
  ok?: number[];
  env?: Record<string, string>;
  input?: Uint8Array;
  /** Give up after this long (network operations). Default 120 s. */
  timeoutMs?: number;
}

/** Variables that would make git act on another repository or ask a person for a password. */
const INHERITED_OUT = /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NAMESPACE|CEILING_DIRECTORIES|COMMON_DIR|PREFIX|CONFIG_COUNT|CONFIG_KEY_\d+|CONFIG_VALUE_\d+|AUTHOR_\w+|COMMITTER_\w+)$/;

export class Git {
  private readonly env: Record<string, string>;

  constructor(
    readonly cwd: string,
    env: Record<string, string> = {},
  ) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([key, value]) => value !== undefined && !INHERITED_OUT.test(key))) as Record<string, string>;
    this.env = {
      ...base,
      // Fail instead of prompting (there is no terminal in a container) and keep messages parseable.
      GIT_TERMINAL_PROMPT: '0',
      GCM_INTERACTIVE: 'never',
      LC_ALL: 'C',
      ...env,
    };
  }

  /** Runs git; throws GitError unless the exit code is 0 or listed in `ok`. */
  run(args: string[], options: RunOptions = {}): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { cwd: this.cwd, env: { ...this.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new GitError(args, null, `cannot run git: ${error.message} (is git installed?)`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        if (signal) return reject(new GitError(args, null, `killed by ${signal}${signal === 'SIGKILL' ? ' (timed out)' : ''}. ${stderr}`));
        if (code === 0 || options.ok?.includes(code!)) resolve({ code: code!, stdout: Buffer.concat(out), stderr });
        else reject(new GitError(args, code, stderr));
      });
      child.stdin.end(options.input);
    });
  }

  /** stdout as text without the final newline. */
  async text(args: string[], options?: RunOptions): Promise<string> {
    return (await this.run(args, options)).stdout.toString('utf8').replace(/\n$/, '');
  }

  /** NUL-separated output (`-z`) as a list. */
  async list(args: string[], options?: RunOptions): Promise<string[]> {
    return (await this.run(args, options)).stdout.toString('utf8').split('\0').filter(Boolean);
  }

  /** The object id `rev` names, or undefined when it does not exist (an unborn HEAD, a missing path). */
  async resolve(rev: string): Promise<string | undefined> {
    // `<rev>:<path>` takes no ^{...} suffix (it would become part of the path).
    const result = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', rev], { ok: [1, 128] });
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }
}

/**
 * Config given to git through the environment (GIT_CONFIG_COUNT/KEY_n/VALUE_n, git 2.31+): it applies to
 * every command of this process and is never stored in the repository.
 */
export function configEnv(entries: Array<[string, string]>): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}
