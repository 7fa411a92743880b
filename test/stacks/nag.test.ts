import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { addTrailbookStacks } from '../../stacks/app.ts';
import { AwsSolutionsChecks } from '../../stacks/nag.ts';
import { ACCOUNT, REGION, configOf, newApp, synthTrailbook } from './support.ts';

const VARIANTS: Record<string, Record<string, unknown>> = {
  'default VPC, lookup source, AWS_IAM Function URL': {},
  'new VPC, environment-agnostic (no account or region)': { account: '', region: '' },
  'Athena source, HTTPS certificate, Function URL auth NONE': {
    source: 'athena',
    athenaDatabase: 'security',
    athenaTable: 'cloudtrail_logs',
    athenaOutputLocation: 's3://trailbook-athena-results/queries/',
    athenaTrailBucket: 'org-cloudtrail-123456789012',
    certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f4f7b8e-1111-2222-3333-444455556666`,
    mcpAuthType: 'NONE',
    bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    vpc: 'new',
  },
  'Cognito sign-in, HTTPS, git over HTTPS with a token, alarm email': {
    auth: 'cognito',
    certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f4f7b8e-1111-2222-3333-444455556666`,
    domainName: 'trailbook.example.com',
    gitRemote: 'https://github.com/acme/cloudtrail-notebooks.git',
    gitTokenSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:trailbook/git-token-Zy12Xw`,
    alarmEmail: 'oncall@example.com',
  },
  'OIDC sign-in, HTTPS, git over SSH with a deploy key (partial secret ARN)': {
    auth: 'oidc',
    certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0f4f7b8e-1111-2222-3333-444455556666`,
    oidcIssuer: 'https://login.example.com',
    oidcAuthorizationEndpoint: 'https://login.example.com/oauth2/authorize',
    oidcTokenEndpoint: 'https://login.example.com/oauth2/token',
    oidcUserInfoEndpoint: 'https://login.example.com/oauth2/userinfo',
    oidcClientId: 'trailbook-workbench',
    oidcClientSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:trailbook/oidc-client-AbCdEf`,
    gitRemote: 'git@github.com:acme/notebooks.git',
    gitSshKeySecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:trailbook/deploy-key`,
  },
};

interface AcknowledgedRule {
  path: string;
  id: string;
  reason: string;
}

/** Every acknowledgement recorded with Validations.of(...).acknowledge in the tree. */
function acknowledgements(root: IConstruct): AcknowledgedRule[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^[A-Za-z]+::(?=AwsSolutions-)/, ''), reason }))
      // CDK records its own acknowledgements too (e.g. CloudFormation-Validate); only ours are under test.
      .filter((ack) => ack.id.startsWith('AwsSolutions-')),
  );
}

/** The AwsSolutions findings as they would be without any acknowledgement. */
function unacknowledgedFindings(root: IConstruct) {
  const pack = new AwsSolutionsChecks(root);
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(root).violations;
}

// Whole-app synths on a shared two-core machine: generous time.
describe('cdk-nag AwsSolutions', { timeout: 300_000 }, () => {
  for (const [name, context] of Object.entries(VARIANTS)) {
    describe(name, () => {
      const { app } = synthTrailbook({ ...context, nag: false });

      it('reports no unacknowledged error or warning', () => {
        const report = new AwsSolutionsChecks(app).validateScope(app);
        const findings = report.violations.map((v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
        expect(findings).toEqual([]);
        expect(report.success).toBe(true);
      });

      it('acknowledges only specific, real findings, each with a reason', () => {
        const acknowledged = acknowledgements(app);
        expect(acknowledged.length).toBeGreaterThan(0);
        const findings = unacknowledgedFindings(app);
        const found = new Set(findings.map((finding) => finding.ruleName));
        for (const ack of acknowledged) {
          expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(30);
          // No blanket IAM5: each wildcard finding is named exactly.
          if (ack.id.startsWith('AwsSolutions-IAM5')) expect(ack.id).toMatch(/^AwsSolutions-IAM5\[(Resource|Action)::.+\]$/);
          expect(found.has(ack.id), `stale acknowledgement ${ack.id} at ${ack.path}`).toBe(true);
        }
        // And the checks do run: without acknowledgements there are findings (exactly the acknowledged ones).
        expect([...found].sort()).toEqual([...new Set(acknowledged.map((ack) => ack.id))].sort());
      });
    });
  }

  it('is wired into the app, so synth fails on an unacknowledged finding', () => {
    const app = newApp();
    const stacks = addTrailbookStacks(app, configOf(app));
    new s3.Bucket(stacks.monitoring, 'CarelessBucket');
    let failure = '';
    try {
      app.synth();
    } catch (error) {
      failure = String(error);
    }
    expect(failure).toMatch(/does not require requests to use SSL/);
    const report = readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8');
    expect(report).toContain('AwsSolutions-S10');
    expect(report).toContain('Trailbook-Monitoring/CarelessBucket');
  });
});
