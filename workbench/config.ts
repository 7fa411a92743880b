import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../cloudtrail/config.ts';
import { defaultStateDir } from './state.ts';

/** Workbench settings: environment first, command-line flags override (see cli/commands/serve.ts). */
const WorkbenchEnv = z.object({
  TRAILBOOK_HOST: z.string().min(1).default('127.0.0.1'),
  TRAILBOOK_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
  TRAILBOOK_TOKEN: z.string().min(8, 'TRAILBOOK_TOKEN must be at least 8 characters').optional(),
  TRAILBOOK_NOTEBOOK_DIR: z.string().min(1).default(resolve(PROJECT_ROOT, 'notebooks')),
  TRAILBOOK_SHARE_SECRET: z.string().min(16, 'TRAILBOOK_SHARE_SECRET must be at least 16 characters').optional(),
  /** Seconds a kernel may sit idle with no browser attached before it is shut down. */
  TRAILBOOK_KERNEL_IDLE_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** The origin share links are built from (e.g. https://trailbook.example.com); else the request's Host. */
  TRAILBOOK_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'TRAILBOOK_PUBLIC_URL must be an http(s) URL' }).optional(),
  /** Output budgets (workbench/kernels.ts) and the heap limit per kernel (kernel/host.ts). */
  TRAILBOOK_CELL_OUTPUT_MB: z.coerce.number().positive().max(1024).optional(),
  TRAILBOOK_NOTEBOOK_OUTPUT_MB: z.coerce.number().positive().max(1024).optional(),
  TRAILBOOK_KERNEL_MEMORY_MB: z.coerce.number().int().min(64).optional(),
});

export interface WorkbenchConfig {
  host: string;
  port: number;
  token: string;
  /** True when the token was generated (so the CLI prints it prominently). */
  tokenGenerated: boolean;
  notebookDir: string;
  /** Undefined: generated and persisted in the state directory (see share.ts). */
  shareSecret?: string;
  /** Generated share secret and share-link registry (state.ts): TRAILBOOK_STATE_DIR, else the XDG state dir. */
  stateDir?: string;
  /** Unset: share links use the request's Host. */
  publicUrl?: string;
  kernelIdleMs: number;
  /** Unset: the defaults of workbench/kernels.ts (16 MB, 64 MB) and kernel/host.ts (1024 MB). */
  cellOutputBytes?: number;
  notebookOutputBytes?: number;
  kernelMemoryMb?: number;
}

export function loadWorkbenchConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<WorkbenchConfig> = {}): WorkbenchConfig {
  // An empty variable (e.g. `docker run -e TRAILBOOK_TOKEN=`) means "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('TRAILBOOK_') && v !== ''));
  const parsed = WorkbenchEnv.safeParse(present);
  if (!parsed.success) {
    throw new Error(`Invalid workbench configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const token = overrides.token ?? e.TRAILBOOK_TOKEN;
  return {
    host: overrides.host ?? e.TRAILBOOK_HOST,
    port: overrides.port ?? e.TRAILBOOK_PORT,
    token: token ?? randomBytes(24).toString('hex'),
    tokenGenerated: !token,
    notebookDir: resolve(overrides.notebookDir ?? e.TRAILBOOK_NOTEBOOK_DIR),
    shareSecret: overrides.shareSecret ?? e.TRAILBOOK_SHARE_SECRET,
    kernelIdleMs: overrides.kernelIdleMs ?? e.TRAILBOOK_KERNEL_IDLE_SECONDS * 1000,
    stateDir: overrides.stateDir ?? defaultStateDir(env),
    publicUrl: overrides.publicUrl ?? e.TRAILBOOK_PUBLIC_URL,
    cellOutputBytes: overrides.cellOutputBytes ?? (e.TRAILBOOK_CELL_OUTPUT_MB ? Math.round(e.TRAILBOOK_CELL_OUTPUT_MB * 1024 * 1024) : undefined),
    notebookOutputBytes: overrides.notebookOutputBytes ?? (e.TRAILBOOK_NOTEBOOK_OUTPUT_MB ? Math.round(e.TRAILBOOK_NOTEBOOK_OUTPUT_MB * 1024 * 1024) : undefined),
    kernelMemoryMb: overrides.kernelMemoryMb ?? e.TRAILBOOK_KERNEL_MEMORY_MB,
  };
}
