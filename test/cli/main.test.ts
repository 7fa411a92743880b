import { describe, expect, it } from 'vitest';
import { trailbook as run } from './trailbook.ts';

const COMMANDS = ['serve', 'run', 'mcp', 'sample-data', 'eval'];
const trailbook = (...args: string[]) => run(args);

describe('trailbook CLI', () => {
  it('lists every subcommand in its help', async () => {
    const { code, stdout } = await trailbook('--help');
    expect(code).toBe(0);
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
  });

  it.each(COMMANDS)('prints usage for `%s --help`', async (name) => {
    const { code, stdout } = await trailbook(name, '--help');
    expect(code).toBe(0);
    expect(stdout).toContain(`trailbook ${name}`);
    expect(stdout).not.toMatch(/not built yet/);
  });

  it.each(COMMANDS)('rejects an unknown option to `%s` with exit code 2 and its usage', async (name) => {
    const { code, stderr } = await trailbook(name, '--no-such-option');
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown option '--no-such-option'/);
    expect(stderr).toContain(`trailbook ${name}`);
  });

  it('refuses an impossible --start date instead of rolling it over to another day', async () => {
    const { code, stderr } = await trailbook('sample-data', '--start', '2026-02-30', '--out', '/nonexistent/never-written');
    expect(code).toBe(2);
    expect(stderr).toContain('trailbook sample-data: --start: 2026-02-30 is not a valid date (February 2026 has 28 days)');
  });

  it('names an unknown command and exits 2', async () => {
    const { code, stderr } = await trailbook('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });
});
