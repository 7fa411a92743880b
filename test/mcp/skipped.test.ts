import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFilesStore } from '../../cloudtrail/stores/files.ts';
import { CORRUPT_GZIP_FILE, NOT_CLOUDTRAIL_FILE, writeDirWithUnusableFiles } from '../cloudtrail/unusable-dir.ts';
import { fixtureRecords } from './fixture.ts';
import { call, connectInProcess, ok } from './helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(ROOT, 'cli/trailbook.js');
const records = fixtureRecords();
let dir: string;

beforeAll(async () => {
  dir = await writeDirWithUnusableFiles(records);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function readStatus(client: Client): Promise<Record<string, any>> {
  const res = await client.readResource({ uri: 'cloudtrail://status' });
  const content = res.contents[0];
  return JSON.parse('text' in content ? content.text : '');
}

function expectSkippedListed(status: Record<string, any>) {
  expect(status.count).toBe(records.length);
  expect(status.skipped).toMatchObject({ files: 2, records: 0, ignored: 1 });
  expect(status.skipped.examples.map((e: { file: string; reason: string }) => `${e.file}: ${e.reason}`)).toEqual([
    expect.stringMatching(new RegExp(`^${CORRUPT_GZIP_FILE}: corrupt gzip`)),
    expect.stringMatching(new RegExp(`^${NOT_CLOUDTRAIL_FILE}: not CloudTrail`)),
  ]);
  expect(status.skipped.notice).toMatch(new RegExp(`^skipped 2 files that could not be used \\(first: ${CORRUPT_GZIP_FILE}: corrupt gzip \\(.+\\)\\) — skipped\\.examples lists them$`));
}

describe('skipped input over MCP', () => {
  it('cloudtrail://status and get_cloudtrail_status list the skipped files with reasons (in-process client)', async () => {
    const conn = await connectInProcess(await openFilesStore(dir, { workers: 0, cacheDir: false }));
    try {
      const status = await readStatus(conn.client);
      expectSkippedListed(status);
      expect(ok(await call(conn.client, 'get_cloudtrail_status'))).toEqual(status);
    } finally {
      await conn.close();
    }
  });

  it('trailbook mcp (stdio) serves the same status and logs the skipped files on stderr', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp'],
      env: { ...process.env, TRAILBOOK_SOURCE: 'files', TRAILBOOK_DATA_DIR: dir, TRAILBOOK_CACHE_DIR: resolve(dir, '.cache') } as Record<string, string>,
      cwd: ROOT,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr!.on('data', (d) => (stderr += d));
    const client = new Client({ name: 'skipped-stdio', version: '1.0.0' });
    await client.connect(transport);
    try {
      expectSkippedListed(await readStatus(client));
      expect(stderr).toContain(`trailbook mcp: skipped 2 files that could not be used (first: ${CORRUPT_GZIP_FILE}: corrupt gzip`);
    } finally {
      await client.close();
    }
  }, 60_000); // a child process on a loaded two-core machine
});
