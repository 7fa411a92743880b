import type { Notebook } from '../../notebook/format.ts';
import type { CommitResult, PullResult } from '../git/repository.ts';
import type { GitListing } from '../git/routes.ts';
import type { Person } from '../identity/alb-jwt.ts';
import type { Listing, OpenedNotebook as Opened } from '../notebooks.ts';
import type { ShareView } from '../routes/share.ts';

/** Typed calls to the workbench API. Mutations carry the double-submit CSRF token. */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

function csrfToken(): string {
  const match = /(?:^|;\s*)trailbook_csrf=([^;]+)/.exec(document.cookie);
  return match ? decodeURIComponent(match[1]!) : '';
}

/** `raw`: the body is sent as it is (an uploaded file), not as JSON of a value. */
async function call<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken();
  const payload = body === undefined ? undefined : raw ? (body as Blob) : JSON.stringify(body);
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new ApiError('Not logged in', 401, {});
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(String(data.error ?? res.statusText), res.status, data);
  return data as T;
}

/** A notebook's API path: the whole name, folders included, in one encoded segment (sub%2Fx.ipynb). */
const nb = (name: string) => `/api/notebooks/${encodeURIComponent(name)}`;
const folder = (path: string) => `/api/folders/${encodeURIComponent(path)}`;

export const api = {
  /** `git` and each notebook's `git` state are there when the notebooks are in a git working copy. */
  list: () => call<(Listing | GitListing) & { kernels: { name: string; status: string }[] }>('GET', '/api/notebooks'),
  create: (name?: string, inFolder?: string) => call<Opened>('POST', '/api/notebooks', { name, folder: inFolder || undefined }),
  open: (name: string) => call<Opened>('GET', nb(name)),
  save: (name: string, notebook: Notebook, version: string | null) => call<{ version: string }>('PUT', nb(name), { notebook, version }),
  rename: (name: string, to: string) => call<{ name: string }>('POST', `${nb(name)}/rename`, { to }),
  duplicate: (name: string) => call<Opened>('POST', `${nb(name)}/duplicate`, {}),
  remove: (name: string) => call<void>('DELETE', nb(name)),
  /** The file goes as it is; the server validates it (a malformed one is refused whole). */
  upload: (name: string, file: Blob) => call<{ name: string; version: string; notices: string[] }>('POST', `${nb(name)}/upload`, file, true),
  downloadUrl: (name: string) => `${nb(name)}/download`,
  createFolder: (path: string) => call<{ path: string }>('POST', '/api/folders', { path }),
  renameFolder: (path: string, to: string) => call<{ path: string }>('POST', `${folder(path)}/rename`, { to }),
  removeFolder: (path: string) => call<{ removed: string[] }>('DELETE', folder(path)),
  /** Omitted expiry: the server's default (30 days); 'never' only when chosen. */
  share: (name: string, expiresInHours?: number | 'never') =>
    call<ShareView & { version: string }>('POST', `${nb(name)}/share`, expiresInHours === undefined ? {} : { expiresInHours }),
  shares: (name: string) => call<{ shares: ShareView[] }>('GET', `${nb(name)}/shares`),
  revokeShare: (id: string) => call<void>('DELETE', `/api/shares/${encodeURIComponent(id)}`),
  /** Commits one notebook; the author is the signed-in person. */
  commit: (name: string, message: string) => call<CommitResult>('POST', `${nb(name)}/commit`, { message }),
  pull: () => call<PullResult>('POST', '/api/git/pull'),
  /** Who the load balancer signed in (null with token sign-in). */
  me: () => call<{ person: Person | null }>('GET', '/api/me'),
  kernelTypes: async (): Promise<string> => {
    const res = await fetch('/api/kernel/types.d.ts', { credentials: 'same-origin' });
    return res.ok ? res.text() : '';
  },
};
