import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../cloudtrail/config.ts';
import { defaultStateDir } from './state.ts';

/** Workbench settings: environment first, command-line flags override (see cli/commands/serve.ts). */

const MB = 1024 * 1024;
const HOUR = 3_600_000;

/** Defaults of the settings a caller of startWorkbench may leave out. */
export const WORKBENCH_DEFAULTS = {
  /** One kernel WebSocket message (a cell's source travels in one): TRAILBOOK_MAX_MESSAGE_MB. */
  maxMessageBytes: 4 * MB,
  /** A notebook save (cells with their outputs): TRAILBOOK_MAX_NOTEBOOK_MB. */
  maxNotebookBytes: 100 * MB,
  sessionIdleMs: 12 * HOUR,
  sessionMaxMs: 7 * 24 * HOUR,
  allowedHosts: [] as string[],
  trustProxy: false,
};

const megabytes = z.coerce.number().positive().max(1024);
const list = z.string().transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean));

const WorkbenchEnv = z.object({
  TRAILBOOK_HOST: z.string().min(1).default('127.0.0.1'),
  TRAILBOOK_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
  TRAILBOOK_TOKEN: z.string().min(8, 'TRAILBOOK_TOKEN must be at least 8 characters').optional(),
  TRAILBOOK_NOTEBOOK_DIR: z.string().min(1).default(resolve(PROJECT_ROOT, 'notebooks')),
  TRAILBOOK_SHARE_SECRET: z.string().min(16, 'TRAILBOOK_SHARE_SECRET must be at least 16 characters').optional(),
  /** Seconds a kernel may sit idle with no browser attached before it is shut down. */
  TRAILBOOK_KERNEL_IDLE_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** Host names (besides loopback ones) the server answers to; `.example.com` allows its subdomains too. */
  TRAILBOOK_ALLOWED_HOSTS: list.optional(),
  /** Behind a proxy that sets X-Forwarded-For/-Proto (the ALB): trust them for the client address and https. */
  TRAILBOOK_TRUST_PROXY: z.enum(['true', 'false']).optional(),
  TRAILBOOK_MAX_MESSAGE_MB: megabytes.optional(),
  TRAILBOOK_MAX_NOTEBOOK_MB: megabytes.optional(),
  TRAILBOOK_SESSION_IDLE_HOURS: z.coerce.number().positive().optional(),
  TRAILBOOK_SESSION_MAX_DAYS: z.coerce.number().positive().optional(),
  /** The origin share links are built from (e.g. https://trailbook.example.com); else the request's Host. */
  TRAILBOOK_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'TRAILBOOK_PUBLIC_URL must be an http(s) URL' }).optional(),
  /** Output budgets (workbench/kernels.ts) and the heap limit per kernel (kernel/host.ts). */
  TRAILBOOK_CELL_OUTPUT_MB: megabytes.optional(),
  TRAILBOOK_NOTEBOOK_OUTPUT_MB: megabytes.optional(),
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
  allowedHosts: string[];
  trustProxy: boolean;
  maxMessageBytes: number;
  maxNotebookBytes: number;
  /** A browser session ends after this long unused, and after sessionMaxMs in any case. */
  sessionIdleMs: number;
  sessionMaxMs: number;
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
  const d = WORKBENCH_DEFAULTS;
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
    allowedHosts: overrides.allowedHosts ?? e.TRAILBOOK_ALLOWED_HOSTS ?? d.allowedHosts,
    trustProxy: overrides.trustProxy ?? (e.TRAILBOOK_TRUST_PROXY ? e.TRAILBOOK_TRUST_PROXY === 'true' : d.trustProxy),
    maxMessageBytes: overrides.maxMessageBytes ?? (e.TRAILBOOK_MAX_MESSAGE_MB ? Math.round(e.TRAILBOOK_MAX_MESSAGE_MB * MB) : d.maxMessageBytes),
    maxNotebookBytes: overrides.maxNotebookBytes ?? (e.TRAILBOOK_MAX_NOTEBOOK_MB ? Math.round(e.TRAILBOOK_MAX_NOTEBOOK_MB * MB) : d.maxNotebookBytes),
    sessionIdleMs: overrides.sessionIdleMs ?? (e.TRAILBOOK_SESSION_IDLE_HOURS ? e.TRAILBOOK_SESSION_IDLE_HOURS * HOUR : d.sessionIdleMs),
    sessionMaxMs: overrides.sessionMaxMs ?? (e.TRAILBOOK_SESSION_MAX_DAYS ? e.TRAILBOOK_SESSION_MAX_DAYS * 24 * HOUR : d.sessionMaxMs),
    cellOutputBytes: overrides.cellOutputBytes ?? (e.TRAILBOOK_CELL_OUTPUT_MB ? Math.round(e.TRAILBOOK_CELL_OUTPUT_MB * MB) : undefined),
    notebookOutputBytes: overrides.notebookOutputBytes ?? (e.TRAILBOOK_NOTEBOOK_OUTPUT_MB ? Math.round(e.TRAILBOOK_NOTEBOOK_OUTPUT_MB * MB) : undefined),
    kernelMemoryMb: overrides.kernelMemoryMb ?? e.TRAILBOOK_KERNEL_MEMORY_MB,
  };
}
