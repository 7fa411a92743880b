import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureStateDir } from './state.ts';

/**
 * Signed read-only share links. A token names one registered link (share-registry.ts) and the stable id
 * of the notebook it shows (metadata.trailbook.id, not the file name, so links follow a rename and die
 * with a delete), with its expiry, under an HMAC-SHA256. It grants nothing else: no cookie, no API
 * access, no kernel. The registry, not the token, is the authority on revocation.
 */

const Payload = z.object({ l: z.string().min(1).max(64), n: z.string().min(1).max(64), e: z.number().int().min(0) });
export interface SharePayload {
  linkId: string;
  notebookId: string;
  /** Epoch ms, or null for a link that does not expire. */
  expiresAt: number | null;
}

export const SHARE_SECRET_FILE = 'share-secret';

/**
 * The configured secret, or one generated once and kept in the per-user state directory (file 0600 in a
 * 0700 directory). Never beside the notebooks: that directory is a git checkout or a shared volume.
 */
export async function loadShareSecret(stateDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  await ensureStateDir(stateDir);
  const path = join(stateDir, SHARE_SECRET_FILE);
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length >= 32) return existing;
    throw new Error(`${path} holds a share secret shorter than 32 characters: delete it to generate a new one, or set TRAILBOOK_SHARE_SECRET`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('hex');
  try {
    await writeFile(path, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(path, 'utf8')).trim();
    throw err;
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * Strict base64url: only the URL alphabet, no padding, and only the canonical spelling (Node's decoder
 * ignores stray characters and trailing bits, so `sig=` or a changed last character would otherwise pass).
 */
export function decodeBase64url(text: string): Buffer | undefined {
  if (!B64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

export type Verdict = { ok: true; share: SharePayload } | { ok: false; reason: string };

export class ShareSigner {
  constructor(private readonly secret: string) {}

  private mac(data: string): Buffer {
    return createHmac('sha256', this.secret).update(`trailbook-share-v2:${data}`).digest();
  }

  sign(share: SharePayload): string {
    const e = share.expiresAt === null ? 0 : Math.ceil(share.expiresAt / 1000);
    const payload = b64(JSON.stringify({ l: share.linkId, n: share.notebookId, e }));
    return `${payload}.${b64(this.mac(payload))}`;
  }

  /** The payload of a well-signed, unexpired token, or why it is refused. */
  verify(token: string, now = Date.now()): Verdict {
    const parts = token.split('.');
    if (parts.length !== 2) return { ok: false, reason: 'malformed share link' };
    const [payload, signature] = parts as [string, string];
    const payloadBytes = decodeBase64url(payload);
    const given = decodeBase64url(signature);
    if (!payloadBytes || !given) return { ok: false, reason: 'malformed share link' };
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid share link signature' };
    let parsed: z.infer<typeof Payload>;
    try {
      parsed = Payload.parse(JSON.parse(payloadBytes.toString('utf8')));
    } catch {
      return { ok: false, reason: 'malformed share link' };
    }
    if (parsed.e !== 0 && parsed.e * 1000 < now) return { ok: false, reason: 'this share link has expired' };
    return { ok: true, share: { linkId: parsed.l, notebookId: parsed.n, expiresAt: parsed.e === 0 ? null : parsed.e * 1000 } };
  }
}
