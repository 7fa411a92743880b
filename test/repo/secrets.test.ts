import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Secrets never enter git, not even generated ones: a committed share secret let anyone with the
 * repository forge share links for every instance. This scans what git tracks (`git ls-files`), by
 * name and by content.
 */

const ROOT = resolve(import.meta.dirname, '../..');

/** Source and documentation files may be named after secrets (share-secret.ts, secrets.md) without being one. */
const SOURCE = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs', '.md']);
/** Data named after what it records, not secrets: CloudTrail logs of attack techniques ("retrieve-secrets"). Contents are still scanned. */
const NAME_ALLOWED = [/^test\/fixtures\/cloudtrail\//];
const SECRET_NAME = [/secret/i, /\.(pem|key|p12|pfx|keystore|jks)$/i, /^id_(rsa|dsa|ecdsa|ed25519)$/i, /^\.env(\.|$)/i, /^\.?(htpasswd|netrc|npmrc|pgpass)$/i];
// Built from parts so this file does not match itself.
const PRIVATE_KEY = new RegExp(['-----BEGIN ', '[A-Z ]*', 'PRIVATE KEY', '-----'].join(''));
const HEX_64 = /^[0-9a-f]{64}$/i;
const MAX_SCANNED = 2 * 1024 * 1024;

/** Why a tracked file looks like a secret, or undefined. */
export function secretReason(path: string, content: string | undefined): string | undefined {
  const name = basename(path);
  const nameAllowed = SOURCE.has(extname(name).toLowerCase()) || NAME_ALLOWED.some((p) => p.test(path));
  if (!nameAllowed && SECRET_NAME.some((p) => p.test(name))) return 'its name is a secret file name';
  if (content === undefined) return undefined;
  if (PRIVATE_KEY.test(content)) return 'it holds a private key';
  if (name.startsWith('.') && content.split(/\r?\n/).some((line) => HEX_64.test(line.trim()))) return 'it is a dotfile holding a 64-hex-digit key';
  return undefined;
}

describe('secrets in git', () => {
  it('recognises secret-looking files (so the scan below can fail)', () => {
    const hex = 'ab'.repeat(32);
    expect(secretReason('notebooks/.trailbook-share-secret', `${hex}\n`)).toBeDefined();
    expect(secretReason('deploy/server.pem', 'x')).toBeDefined();
    expect(secretReason('home/.ssh/id_ed25519', 'x')).toBeDefined();
    expect(secretReason('.env', 'A=1')).toBeDefined();
    expect(secretReason('.env.production', 'A=1')).toBeDefined();
    expect(secretReason('config/tls.key', 'x')).toBeDefined();
    expect(secretReason('notes/keys.txt', ['-----BEGIN ', 'OPENSSH PRIVATE KEY-----\nabc'].join(''))).toBeDefined();
    expect(secretReason('.some-state', `  ${hex}  `)).toBeDefined();
    // Source named after secrets, hashes in ordinary files, short hex in dotfiles: not secrets.
    expect(secretReason('workbench/share-secret.ts', 'export const x = 1')).toBeUndefined();
    expect(secretReason('docs/secrets.md', '# How we keep secrets')).toBeUndefined();
    expect(secretReason('package-lock.json', `"integrity": "${hex}"`)).toBeUndefined();
    expect(secretReason('.gitignore', 'node_modules/\n')).toBeUndefined();
    expect(secretReason('.nvmrc', 'deadbeef\n')).toBeUndefined();
    expect(secretReason('test/fixtures/cloudtrail/x/aws.credential-access.secretsmanager-retrieve-secrets.json.gz', undefined)).toBeUndefined();
    expect(secretReason('test/fixtures/cloudtrail/x/.leaked', `${hex}\n`)).toBeDefined();
  });

  it('no file tracked by git looks like a secret', () => {
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\0').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(50);
    const found: string[] = [];
    for (const path of tracked) {
      let content: string | undefined;
      try {
        const full = resolve(ROOT, path);
        // Tracked but deleted in the working tree (being removed): judge by name only.
        if (statSync(full).size <= MAX_SCANNED) content = readFileSync(full, 'utf8');
      } catch {
        content = undefined;
      }
      const reason = secretReason(path, content);
      if (reason) found.push(`${path}: ${reason}`);
    }
    expect(found, 'remove these from git (git rm --cached) and add them to .gitignore').toEqual([]);
  });
});
