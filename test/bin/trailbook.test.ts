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
async function cdkSynth(context: Record<string, unknown>, args: string[] = []) {
  const repoCdk = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8'));
  writeFileSync(
    path.join(work, 'cdk.json'),
    JSON.stringify({ ...repoCdk, app: `cd ${JSON.stringify(REPO_ROOT)} && ${repoCdk.app}`, context: { ...repoCdk.context, ...context } }),
  );
  const out = path.join(work, 'cdk.out');
  const result = await run(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/aws-cdk/bin/cdk'), 'synth', '-q', '--no-notices', '-o', out, '-c', `mcpEntry=${MCP_ENTRY}`, ...args],
    {
      cwd: work,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
      timeout: 230_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return { ...result, out };
}

const CERTIFICATE = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f4f7b8e-1111-2222-3333-444455556666`;

describe('bin/trailbook.ts through the cdk CLI', () => {
  it('synthesises all five stacks offline with -c auth=cognito -c certificateArn=..., nag-clean, every feature flag set', { timeout: 240_000 }, async () => {
    const { out, stdout, stderr } = await cdkSynth({ account: ACCOUNT, region: REGION, ...LOOKUP_CONTEXT }, ['-c', 'auth=cognito', '-c', `certificateArn=${CERTIFICATE}`]);
    const templates = readdirSync(out).filter((file) => file.endsWith('.template.json')).sort();
    expect(templates).toEqual([
      'Trailbook-Application.template.json',
      'Trailbook-CloudTrailMcp.template.json',
      'Trailbook-Iam.template.json',
      'Trailbook-Infrastructure.template.json',
      'Trailbook-Monitoring.template.json',
    ]);
    // No warnings or errors from cdk-nag, CloudFormation validation or CDK annotations, and no unset feature flag.
    expect(stderr).not.toMatch(/\b(ERROR|WARNING)\b/);
    expect(`${stdout}\n${stderr}`).not.toMatch(/feature flags? (are|is) not configured/);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const app = manifest.artifacts['Trailbook-Application'];
    expect(app.environment).toBe(`aws://${ACCOUNT}/${REGION}`);
    // The default VPC came from the supplied lookup, not a new VPC.
    const infra = readFileSync(path.join(out, 'Trailbook-Infrastructure.template.json'), 'utf8');
    expect(infra).toContain('vpc-0a1b2c3d4e5f60718');
    expect(infra).not.toContain('AWS::EC2::VPC"');
    // The -c values reached the app: Cognito signs people in on the HTTPS listener.
    const application = readFileSync(path.join(out, 'Trailbook-Application.template.json'), 'utf8');
    expect(application).toContain('"Type": "authenticate-cognito"');
    expect(application).toContain(CERTIFICATE);
    expect(application).toContain('AWS::Cognito::UserPool"');
    const report = JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.filter((plugin: { conclusion: string }) => plugin.conclusion !== 'success')).toEqual([]);
  });

  it('warns loudly when there is no certificate, and still synthesises', { timeout: 240_000 }, async () => {
    const { stdout, stderr } = await cdkSynth({ account: ACCOUNT, region: REGION, ...LOOKUP_CONTEXT });
    expect(stderr).toMatch(/WARNING NO HTTPS: certificateArn is not set, so the workbench is served over plain HTTP[^\n]*\n\s+Trailbook-Application /);
    expect(`${stdout}\n${stderr}`).not.toMatch(/feature flags? (are|is) not configured/);
  });

  it('fails the synth when cdk-nag finds something, e.g. the ALB opened to the world', { timeout: 240_000 }, async () => {
    const failure = await cdkSynth({ account: ACCOUNT, region: REGION, ...LOOKUP_CONTEXT, allowedCidrs: ['0.0.0.0/0'] }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toMatch(/AwsSolutions-EC23|allows for 0\.0\.0\.0\/0/);
  });
});
