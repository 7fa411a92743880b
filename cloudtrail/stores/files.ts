import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { normalise, type TrailEvent } from '../event.ts';
import { CloudTrailRecord } from '../record.ts';
import { MemoryStore } from './memory.ts';

// First, simple version: reads every delivery file into memory. The data-plane work replaces it with a streaming, indexed loader.

export interface FileLoadError {
  file: string;
  message: string;
}

export interface FilesStoreOptions {
  onError?: (e: FileLoadError) => void;
}

async function* walk(dir: string): AsyncIterable<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (/\.json(\.gz)?$/.test(entry.name) && !/CloudTrail-Digest|CloudTrail-Insight/.test(path)) yield path;
  }
}

export async function openFilesStore(dir: string, opts: FilesStoreOptions = {}): Promise<MemoryStore & { errors: FileLoadError[] }> {
  const events: TrailEvent[] = [];
  const errors: FileLoadError[] = [];
  for await (const file of walk(dir)) {
    try {
      const buf = await readFile(file);
      const json = JSON.parse((file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8'));
      const records: unknown[] = Array.isArray(json) ? json : json?.Records;
      if (!Array.isArray(records)) throw new Error('not a CloudTrail file: expected {"Records":[...]} or an array of records');
      for (const r of records) events.push(normalise(CloudTrailRecord.parse(r)));
    } catch (err) {
      const e = { file, message: (err as Error).message };
      errors.push(e);
      opts.onError?.(e);
    }
  }
  return Object.assign(new MemoryStore(events, { kind: 'files', location: dir }), { errors });
}
