import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A small JSON cache on disk: one file per key (named by the key's SHA-256). Each entry records when it was
 * written and whether it is immutable; mutable entries expire after `ttlMs`. Writes go to a temp file and are
 * renamed into place so a crashed run never leaves a half-written entry.
 */
export interface CacheEntry<T> {
  key: string;
  writtenAt: number;
  immutable: boolean;
  value: T;
}

export class DiskCache<T> {
  constructor(
    readonly dir: string,
    readonly ttlMs: number,
  ) {}

  private fileOf(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async get(key: string, now = Date.now()): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.fileOf(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(text) as CacheEntry<T>;
      if (entry.key !== key) return undefined;
      if (!entry.immutable && now - entry.writtenAt > this.ttlMs) return undefined;
      return entry.value;
    } catch {
      return undefined; // A corrupt entry is a miss; the next write replaces it.
    }
  }

  async set(key: string, value: T, immutable: boolean, now = Date.now()): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileOf(key);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const entry: CacheEntry<T> = { key, writtenAt: now, immutable, value };
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, file);
  }
}
