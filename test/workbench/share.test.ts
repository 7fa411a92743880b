import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkbenchConfig } from '../../workbench/config.ts';
import { REGISTRY_FILE, ShareRegistry } from '../../workbench/share-registry.ts';
import { decodeBase64url, loadShareSecret, SHARE_SECRET_FILE, ShareSigner } from '../../workbench/share.ts';
import { defaultStateDir } from '../../workbench/state.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trailbook-share-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('share secret', () => {
  it('is generated once in the state directory (0700), as a 0600 file, and reused', async () => {
    const stateDir = join(dir, 'state', 'trailbook');
    const secret = await loadShareSecret(stateDir);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await mode(stateDir)).toBe(0o700);
    expect(await mode(join(stateDir, SHARE_SECRET_FILE))).toBe(0o600);
    expect(await loadShareSecret(stateDir)).toBe(secret);
    // TRAILBOOK_SHARE_SECRET still wins, and then nothing is written.
    const other = join(dir, 'other');
    expect(await loadShareSecret(other, 'configured-secret-0123456789')).toBe('configured-secret-0123456789');
    await expect(stat(other)).rejects.toThrow(/ENOENT/);
  });

  it('tightens a state directory that exists with wider permissions, and refuses a short secret file', async () => {
    const stateDir = join(dir, 'loose');
    await loadShareSecret(stateDir);
    const { chmod } = await import('node:fs/promises');
    await chmod(stateDir, 0o755);
    await loadShareSecret(stateDir);
    expect(await mode(stateDir)).toBe(0o700);
    await writeFile(join(stateDir, SHARE_SECRET_FILE), 'short\n');
    await expect(loadShareSecret(stateDir)).rejects.toThrow(/shorter than 32 characters/);
  });

  it('lives in TRAILBOOK_STATE_DIR, else $XDG_STATE_HOME/trailbook, else ~/.local/state/trailbook — never the notebooks dir', () => {
    expect(defaultStateDir({ TRAILBOOK_STATE_DIR: '/srv/tb-state', XDG_STATE_HOME: '/x' })).toBe('/srv/tb-state');
    expect(defaultStateDir({ XDG_STATE_HOME: '/home/u/.state' })).toBe('/home/u/.state/trailbook');
    expect(defaultStateDir({ HOME: '/home/u' })).toMatch(/\/\.local\/state\/trailbook$/);
    const config = loadWorkbenchConfig({ TRAILBOOK_NOTEBOOK_DIR: '/data/notebooks', XDG_STATE_HOME: '/home/u/.state' });
    expect(config.stateDir).toBe('/home/u/.state/trailbook');
    expect(loadWorkbenchConfig({ TRAILBOOK_STATE_DIR: '/srv/s' }).stateDir).toBe('/srv/s');
  });

  it('reads TRAILBOOK_PUBLIC_URL', () => {
    expect(loadWorkbenchConfig({ TRAILBOOK_PUBLIC_URL: 'https://trailbook.example.com' }).publicUrl).toBe('https://trailbook.example.com');
    expect(loadWorkbenchConfig({}).publicUrl).toBeUndefined();
    expect(() => loadWorkbenchConfig({ TRAILBOOK_PUBLIC_URL: 'javascript:alert(1)' })).toThrow(/TRAILBOOK_PUBLIC_URL/);
  });
});

describe('share tokens', () => {
  const signer = new ShareSigner('x'.repeat(32));
  const share = { linkId: 'link-1', notebookId: '7d0f2a4e-0000-4000-8000-000000000001', expiresAt: Date.now() + 3_600_000 };

  it('round-trip link id, notebook id and expiry, and refuse another secret', () => {
    const token = signer.sign(share);
    const verdict = signer.verify(token);
    expect(verdict).toEqual({ ok: true, share: { ...share, expiresAt: Math.ceil(share.expiresAt / 1000) * 1000 } });
    expect(new ShareSigner('y'.repeat(32)).verify(token)).toEqual({ ok: false, reason: 'invalid share link signature' });
    expect(signer.verify(signer.sign({ ...share, expiresAt: null }))).toMatchObject({ ok: true, share: { expiresAt: null } });
    expect(signer.verify(token, share.expiresAt + 2000)).toEqual({ ok: false, reason: 'this share link has expired' });
  });

  it('accept only strict, canonical base64url', () => {
    const token = signer.sign(share);
    const [payload, sig] = token.split('.') as [string, string];
    expect(sig).toHaveLength(43);
    // Node's decoder accepts all of these as the same bytes; the signer must not.
    // 43 chars carry 258 bits for 256: the last character's two low bits are ignored by Node's decoder.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = [...alphabet].map((c) => sig.slice(0, -1) + c).filter((s) => s !== sig && Buffer.from(s, 'base64url').equals(Buffer.from(sig, 'base64url')));
    expect(sameBytes.length).toBeGreaterThan(0);
    for (const variant of [`${sig}=`, `${sig}==`, `${sig} `, `${sig}!`, sig.replace(/^./, (c) => `${c}\n`), ...sameBytes]) {
      expect(signer.verify(`${payload}.${variant}`).ok, JSON.stringify(variant)).toBe(false);
    }
    expect(signer.verify(`${payload}=.${sig}`).ok).toBe(false);
    expect(signer.verify(`${payload}.${sig}.x`).ok).toBe(false);
    expect(signer.verify(`${payload}`).ok).toBe(false);
    expect(decodeBase64url('AQID')).toEqual(Buffer.from([1, 2, 3]));
    expect(decodeBase64url('AQI')).toEqual(Buffer.from([1, 2]));
    expect(decodeBase64url('AQJ')).toBeUndefined(); // same bytes as AQI, not canonical
    expect(decodeBase64url('A')).toBeUndefined();
    expect(decodeBase64url('AQ+/')).toBeUndefined(); // base64, not base64url
  });
});

describe('share registry', () => {
  it('records, lists and revokes links in an atomic 0600 JSON file', async () => {
    const registry = new ShareRegistry(join(dir, 'state'));
    expect(await registry.all()).toEqual([]);
    const now = Date.parse('2025-01-01T00:00:00Z');
    const made = await Promise.all(
      Array.from({ length: 10 }, (_, i) => registry.create({ notebookId: `nb-${i}`, notebookName: `n${i}.ipynb`, expiresAt: i ? now + i * 3_600_000 : null, createdBy: 'token user' }, now)),
    );
    // Concurrent creations are serialised: none is lost.
    expect((await registry.all()).map((l) => l.id).sort()).toEqual(made.map((l) => l.id).sort());
    expect(new Set(made.map((l) => l.id)).size).toBe(10);
    expect(made[0]).toMatchObject({ notebookId: 'nb-0', expires: null, created: '2025-01-01T00:00:00.000Z', createdBy: 'token user', revoked: false });
    expect(made[1]!.expires).toBe('2025-01-01T01:00:00.000Z');
    expect(await mode(join(dir, 'state', REGISTRY_FILE))).toBe(0o600);

    const revoked = await registry.revoke(made[3]!.id, now + 1000);
    expect(revoked).toMatchObject({ revoked: true, revokedAt: '2025-01-01T00:00:01.000Z' });
    expect((await registry.get(made[3]!.id))?.revoked).toBe(true);
    expect(await registry.revoke('no-such-link')).toBeUndefined();
    // A fresh registry on the same directory sees the same links (it is the file, not memory).
    expect((await new ShareRegistry(join(dir, 'state')).get(made[3]!.id))?.revoked).toBe(true);
  });

  it('refuses a damaged registry instead of silently starting over', async () => {
    const registry = new ShareRegistry(dir);
    await writeFile(join(dir, REGISTRY_FILE), '{"version":1,"links":[{"id":');
    await expect(registry.all()).rejects.toThrow(/damaged/);
    await expect(registry.create({ notebookId: 'n', notebookName: 'n.ipynb', expiresAt: null, createdBy: 'token user' })).rejects.toThrow(/damaged/);
    expect(await readFile(join(dir, REGISTRY_FILE), 'utf8')).toBe('{"version":1,"links":[{"id":');
  });
});
