import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { checkName } from './notebooks.ts';

/**
 * Signed read-only share links: HMAC-SHA256 over the notebook name and expiry. A link names one
 * notebook and grants nothing else (no cookie, no API access, no kernel).
 */

const Payload = z.object({ p: z.string(), e: z.number().int().min(0) });
export type SharePayload = { name: string; expiresAt: number | null };

const SECRET_FILE = '.trailbook-share-secret';

/** The configured secret, or one generated once and kept in the notebooks volume (mode 0600, never listed). */
export async function loadShareSecret(notebookDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  const path = join(notebookDir, SECRET_FILE);
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length >= 32) return existing;
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

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export class ShareSigner {
  constructor(private readonly secret: string) {}

  private mac(data: string): Buffer {
    return createHmac('sha256', this.secret).update(`trailbook-share:${data}`).digest();
  }

  /** `expiresAt` in epoch ms, or null for a link that does not expire. */
  sign(name: string, expiresAt: number | null): string {
    checkName(name);
    const payload = b64(JSON.stringify({ p: name, e: expiresAt === null ? 0 : Math.ceil(expiresAt / 1000) }));
    return `${payload}.${b64(this.mac(payload))}`;
  }

  /** Returns the payload of a valid, unexpired token, or a reason it is refused. */
  verify(token: string, now = Date.now()): { ok: true; share: SharePayload } | { ok: false; reason: string } {
    const [payload, signature, extra] = token.split('.');
    if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed share link' };
    const expected = this.mac(payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid share link signature' };
    let parsed: z.infer<typeof Payload>;
    try {
      parsed = Payload.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      checkName(parsed.p);
    } catch {
      return { ok: false, reason: 'malformed share link' };
    }
    if (parsed.e !== 0 && parsed.e * 1000 < now) return { ok: false, reason: 'this share link has expired' };
    return { ok: true, share: { name: parsed.p, expiresAt: parsed.e === 0 ? null : parsed.e * 1000 } };
  }
}
