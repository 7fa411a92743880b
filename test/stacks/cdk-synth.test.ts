import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../stacks/paths.ts';

const run = promisify(execFile);
const out = mkdtempSync(path.join(tmpdir(), 'trailbook-cdk-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const CERTIFICATE = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f4f7b8e-1111-2222-3333-444455556666';

/** The environment of someone without AWS access: no credentials, no instance metadata to wait for. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AWS_|CDK_DEFAULT_)/.test(key)));
  return { ...env, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

type Resource = { Type: string; Properties: any };

// The real CLI on cdk.json's app (bin/trailbook.ts through tsx), as the README and CI run it. Slow on a shared machine.
describe('cdk synth -c auth=cognito -c certificateArn=…', { timeout: 600_000 }, () => {
  it('synthesises every stack offline, with Cognito sign-in, sign-out and the state volume wired into the workbench', async () => {
    const cdk = path.join(REPO_ROOT, 'node_modules/.bin/cdk');
    const args = ['synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', out, '-c', 'auth=cognito', '-c', `certificateArn=${CERTIFICATE}`, '-c', 'cognitoDomainPrefix=trailbook-synth-test'];
    const { stdout, stderr } = await run(cdk, args, { cwd: REPO_ROOT, env: offlineEnv(), timeout: 540_000, maxBuffer: 64 * 1024 * 1024 });
    expect(`${stdout}\n${stderr}`).toMatch(/Successfully synthesized/);

    const template = JSON.parse(readFileSync(path.join(out, 'Trailbook-Application.template.json'), 'utf8'));
    const resources = Object.values(template.Resources as Record<string, Resource>);
    const https = resources.find((r) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener' && r.Properties.Port === 443)!;
    expect(https.Properties.DefaultActions.map((a: { Type: string }) => a.Type)).toEqual(['authenticate-cognito', 'forward']);
    const rules = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rules.map((r) => r.Properties.Conditions)).toEqual([[{ Field: 'path-pattern', PathPatternConfig: { Values: ['/signed-out'] } }]]);
    const [container] = resources.find((r) => r.Type === 'AWS::ECS::TaskDefinition')!.Properties.ContainerDefinitions;
    const environment = Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
    expect(environment).toMatchObject({ TRAILBOOK_AUTH: 'alb', TRAILBOOK_STATE_DIR: '/data/state' });
    expect(environment.TRAILBOOK_COGNITO_DOMAIN).toBeDefined();
    expect(environment.TRAILBOOK_COGNITO_CLIENT_ID).toBeDefined();
    expect(container.Secrets ?? []).toEqual([]);
    // Never a token in an output.
    expect(JSON.stringify(template.Outputs)).not.toMatch(/token=/i);
    for (const stack of ['Infrastructure', 'Iam', 'CloudTrailMcp', 'Monitoring']) {
      expect(JSON.parse(readFileSync(path.join(out, `Trailbook-${stack}.template.json`), 'utf8')).Resources).toBeDefined();
    }
  });
});
