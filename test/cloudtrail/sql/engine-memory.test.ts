import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCloudTrailSql } from '../../../cloudtrail/sql/engine.ts';
import { INVICTUS } from '../../fixtures/cloudtrail/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'trailbook-sql-memory-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('building the local table under a memory limit', () => {
  it('starts again with a larger limit when DuckDB runs out of memory, and says so', async () => {
    const progress: string[] = [];
    const sql = await openCloudTrailSql({ dataDir: INVICTUS, cacheDir: tmp, memoryLimit: '1MB', onProgress: (p) => p.detail && progress.push(p.detail) });
    try {
      expect(progress).toContain('DuckDB ran out of its 1MB memory limit; building again with 1GB');
      expect(sql.opened).toMatchObject({ cached: false, events: 2900 });
      const { rows } = await sql.query('SELECT count(*) AS n FROM cloudtrail');
      expect(rows).toEqual([{ n: 2900 }]);
    } finally {
      await sql.close();
    }
  }, 120_000);
});
