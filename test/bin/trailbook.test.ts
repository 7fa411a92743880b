import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../stacks/paths.ts';
import { ACCOUNT, LOOKUP_CONTEXT, MCP_ENTRY, REGION } from '../stacks/support.ts';

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'trailbook-cdk-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The real `cdk synth --all` with the repository's cdk.json (its app command and context), run from a scratch
 * directory whose cdk.json adds the account, region and the cached lookups — so nothing is written to the repo
 * (no cdk.context.json) and nothing calls AWS.
 */
async function cdkSynth(context: Record<string, unknown>) {
  const repoCdk = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8'));
  writeFileSync(
    path.join(work, 'cdk.json'),
    JSON.stringify({ ...repoCdk, app: `cd ${JSON.stringify(REPO_ROOT)} && ${repoCdk.app}`, context: { ...repoCdk.context, ...context } }),
  );
  const out = path.join(work, 'cdk.out');
  const result = await run(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/aws-cdk/bin/cdk'), 'synth', '--all', '-q', '--no-notices', '-o', out, '-c', `mcpEntry=${MCP_ENTRY}`],
    {
      cwd: work,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return { ...result, out };
}

describe('bin/trailbook.ts through the cdk CLI', () => {
  it('synthesises all five stacks offline with the lookup context supplied, nag-clean', { timeout: 160_000 }, async () => {
    const { out, stderr } = await cdkSynth({ account: ACCOUNT, region: REGION, ...LOOKUP_CONTEXT });
    const templates = readdirSync(out).filter((file) => file.endsWith('.template.json')).sort();
    expect(templates).toEqual([
      'Trailbook-Application.template.json',
      'Trailbook-CloudTrailMcp.template.json',
      'Trailbook-Iam.template.json',
      'Trailbook-Infrastructure.template.json',
      'Trailbook-Monitoring.template.json',
    ]);
    // No warnings or errors from cdk-nag, CloudFormation validation or CDK annotations.
    expect(stderr).not.toMatch(/\b(ERROR|WARNING)\b/);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const app = manifest.artifacts['Trailbook-Application'];
    expect(app.environment).toBe(`aws://${ACCOUNT}/${REGION}`);
    // The default VPC came from the supplied lookup, not a new VPC.
    const infra = readFileSync(path.join(out, 'Trailbook-Infrastructure.template.json'), 'utf8');
    expect(infra).toContain('vpc-0a1b2c3d4e5f60718');
    expect(infra).not.toContain('AWS::EC2::VPC"');
    const report = JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.filter((plugin: { conclusion: string }) => plugin.conclusion !== 'success')).toEqual([]);
  });

  it('fails the synth when cdk-nag finds something, e.g. the ALB opened to the world', { timeout: 160_000 }, async () => {
    const failure = await cdkSynth({ account: ACCOUNT, region: REGION, ...LOOKUP_CONTEXT, allowedCidrs: ['0.0.0.0/0'] }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toMatch(/AwsSolutions-EC23|allows for 0\.0\.0\.0\/0/);
  });
});
